import { describe, expect, it } from 'vitest';
import { PRESETS } from '../src/index.js';
import { networkFileName } from '../src/onnx/model-files.js';
import { Rng, hash32 } from '../src/random.js';
import { layerContexts } from '../src/space/backbone.js';
import { OPERATOR_NAMES } from '../src/space/operators.js';

describe('network file names', () => {
  it('two architectures whose old 32-bit FNV names collide get two files (the old name would have measured the wrong network)', () => {
    const backbone = PRESETS.mnist();
    const layers = layerContexts(backbone).length;
    const rng = new Rng(7);
    const seen = new Map<number, string[]>();
    let pair: [string[], string[]] | undefined;
    // a birthday search: among ~10^5 random architectures two share a 32-bit hash with high probability
    for (let i = 0; i < 400_000 && !pair; i++) {
      const arch = Array.from({ length: layers }, () => OPERATOR_NAMES[Math.floor(rng.next() * OPERATOR_NAMES.length)] as string);
      const h = hash32(arch.join(','));
      const other = seen.get(h);
      if (other && other.join(',') !== arch.join(',')) pair = [other, arch];
      else seen.set(h, arch);
    }
    expect(pair).toBeDefined();
    const [a, b] = pair as [string[], string[]];
    expect(hash32(a.join(','))).toBe(hash32(b.join(','))); // the old file names: equal
    const name = (arch: string[]) => networkFileName({ backbone, arch, seed: 0 });
    expect(name(a)).not.toBe(name(b));
    expect(name(a)).toMatch(/^[0-9a-f]{32}\.onnx$/);
  });

  it('the seed and the weights file are part of the name (they change the exported bytes)', () => {
    const backbone = PRESETS.mnist();
    const arch = layerContexts(backbone).map(() => 'MB_3_1');
    const names = new Set([
      networkFileName({ backbone, arch, seed: 0 }),
      networkFileName({ backbone, arch, seed: 1 }),
      networkFileName({ backbone, arch, seed: 0, weightsFile: 'w.bin' }),
    ]);
    expect(names.size).toBe(3);
  });
});
