import { describe, expect, it } from 'vitest';
import { ArchitectureError, formatArchitecture, parseArchitecture } from '../src/space/architecture.js';
import type { HurricaneError } from '../src/errors.js';
import { PRESETS, layerContexts, layerList, makeBackbone, preset, skipLayersEnabled, skipLayersOf } from '../src/space/backbone.js';
import { OPERATOR_NAMES, parseOperator } from '../src/space/operators.js';

describe('the 32 operators', () => {
  it('are exactly the docs/method.md §4 names: 3+3+9+9+3+3+1+1', () => {
    expect(OPERATOR_NAMES).toHaveLength(32);
    expect(new Set(OPERATOR_NAMES).size).toBe(32);
    const count = (re: RegExp) => OPERATOR_NAMES.filter((n) => re.test(n)).length;
    expect([
      count(/^SEP_\d$/),
      count(/^SEP_\d_SE$/),
      count(/^MB_\d_\d$/),
      count(/^MB_\d_\d_SE$/),
      count(/^Choice_\d$/),
      count(/^Choice_\d_SE$/),
      count(/^ChoiceX$/),
      count(/^ChoiceX_SE$/),
    ]).toEqual([3, 3, 9, 9, 3, 3, 1, 1]);
    expect(parseOperator('MB_5_3_SE')).toEqual({ name: 'MB_5_3_SE', family: 'MB', k: 5, e: 3, se: true });
    expect(parseOperator('MB_5_2')).toBeNull();
    expect(parseOperator('ChoiceX_3')).toBeNull();
  });
});

describe('presets', () => {
  it('imagenet is exactly Table 4', () => {
    const b = PRESETS.imagenet();
    expect(b.input).toEqual([3, 224, 224]);
    expect(b.classes).toBe(1000);
    expect([b.stemChannels, b.stemStride, b.lastChannels]).toEqual([16, 2, 1024]);
    expect(b.stages).toEqual([
      { channels: 64, repeats: 4, stride: 2 },
      { channels: 160, repeats: 4, stride: 2 },
      { channels: 320, repeats: 8, stride: 2 },
      { channels: 640, repeats: 4, stride: 2 },
    ]);
    const ctx = layerContexts(b);
    expect(ctx).toHaveLength(20);
    expect(ctx.map((c) => [c.h, c.cin, c.cout, c.stride])).toEqual([
      [112, 16, 64, 2],
      [56, 64, 64, 1],
      [56, 64, 64, 1],
      [56, 64, 64, 1],
      [56, 64, 160, 2],
      [28, 160, 160, 1],
      [28, 160, 160, 1],
      [28, 160, 160, 1],
      [28, 160, 320, 2],
      ...Array(7).fill([14, 320, 320, 1]),
      [14, 320, 640, 2],
      [7, 640, 640, 1],
      [7, 640, 640, 1],
      [7, 640, 640, 1],
    ]);
  });

  it('layers with the same (H, W, C_in, C_out, stride) share a context: 8 distinct contexts in Table 4', () => {
    const ids = layerContexts(PRESETS.imagenet()).map((c) => c.contextId);
    expect(new Set(ids).size).toBe(8);
    expect(ids[1]).toBe(ids[3]);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('spos allows only the original SPOS operators', () => {
    expect(PRESETS.spos().operators).toEqual(['Choice_3', 'Choice_5', 'Choice_7', 'ChoiceX']);
    expect(PRESETS.spos().stages).toEqual(PRESETS.imagenet().stages);
  });

  it('cifar and mnist have small inputs, 10 classes and a spatial size that shrinks to 4x4', () => {
    const cifar = layerContexts(PRESETS.cifar());
    expect(PRESETS.cifar().input).toEqual([3, 32, 32]);
    expect(cifar.map((c) => c.h)).toEqual([32, 32, 32, 32, 32, 16, 16, 16, 16, 8, 8, 8, 8, 8, 8, 8, 8, 4, 4, 4]);
    expect(PRESETS.mnist().input).toEqual([1, 28, 28]);
    expect(layerContexts(PRESETS.mnist()).at(-1)?.h).toBe(4);
    expect(PRESETS.cifar().classes).toBe(10);
  });

  it('derives custom backbones and rejects impossible ones', () => {
    const b = makeBackbone({ inputSize: 64, classes: 5, widthMultiplier: 0.5, stageRepeats: [1, 1, 1, 1] });
    expect(b.stages.map((s) => s.channels)).toEqual([32, 80, 160, 320]);
    expect(layerContexts(b)).toHaveLength(4);
    expect(() => makeBackbone({ stageChannels: [64, 160], stageRepeats: [4, 4, 8, 4] })).toThrow(/same length/);
    expect(() => makeBackbone({ stageChannels: [16, 64, 320, 640], widthMultiplier: 1 })).toThrow(
      /layer 0: Choice_3 with a projection branch needs C_out > C_in, got 16 → 16/,
    );
    expect(() => preset('cifar10')).toThrow("unknown preset 'cifar10'; choose one of imagenet, spos, cifar, mnist");
  });
});

describe('architectures', () => {
  const spos = PRESETS.spos();
  const twenty = Array(20).fill('Choice_3');

  it('parse from a comma-separated list and from JSON', () => {
    expect(parseArchitecture(twenty.join(','), spos)).toEqual(twenty);
    expect(parseArchitecture(` ${twenty.join(' , ')} `, spos)).toEqual(twenty);
    expect(parseArchitecture(JSON.stringify(twenty), spos)).toEqual(twenty);
    expect(parseArchitecture(JSON.stringify({ arch: twenty }), spos)).toEqual(twenty);
    expect(formatArchitecture(twenty)).toBe(twenty.join(','));
  });

  const error = (text: string, b = spos, allowed?: string[][]) => {
    try {
      parseArchitecture(text, b, allowed ? { allowedPerLayer: allowed } : {});
    } catch (e) {
      expect(e).toBeInstanceOf(ArchitectureError);
      return (e as Error).message;
    }
    throw new Error('expected an error');
  };

  it('name the wrong length', () => {
    expect(error('Choice_3,Choice_5')).toBe(
      "architecture has 2 layers, but the 'spos' backbone has 20 searchable layers; give exactly 20 operators",
    );
    expect(error('')).toMatch(/has 0 layers/);
  });
  it('name the layer of an unknown operator, with a suggestion', () => {
    const a = [...twenty];
    a[6] = 'Choice_4';
    expect(error(a.join(','))).toBe("architecture: layer 7: 'Choice_4' is not one of the 32 operators — did you mean 'Choice_3'?");
  });
  it('name the layer of an operator outside the space', () => {
    const a = [...twenty];
    a[19] = 'MB_3_3';
    expect(error(a.join(','))).toBe(
      "architecture: layer 20: 'MB_3_3' is not in the 'spos' space (allowed: Choice_3, Choice_5, Choice_7, ChoiceX)",
    );
  });
  it('name the layer of an operator outside a reduced per-layer space', () => {
    const a = [...twenty];
    a[2] = 'ChoiceX';
    const allowed = twenty.map(() => ['Choice_3', 'Choice_5']);
    expect(error(a.join(','), spos, allowed)).toBe(
      "architecture: layer 3: 'ChoiceX' is not among this layer's candidates (Choice_3, Choice_5)",
    );
  });
  it('reject empty layers and malformed JSON', () => {
    expect(error(`${twenty.slice(1).join(',')},`)).toBe('architecture: layer 20 is empty; write an operator name such as Choice_3');
    expect(error('["Choice_3",')).toMatch(/^architecture: not valid JSON/);
    expect(error('[1,2]')).toBe('architecture: JSON must be an array of operator names, { "arch": [...] }, or a space.json');
  });
  it('read one operator per line (blank lines and # comments ignored)', () => {
    const text = `# the SPOS baseline\n\n${twenty.map((op, i) => `${op}   # layer ${i + 1}`).join('\n')}\n`;
    expect(parseArchitecture(text, spos)).toEqual(twenty);
  });
  it("take the initial winner of a space.json written by 'hurricane space', and refuse one of another preset", () => {
    const space = { format: 'hurricane-space', version: 1, preset: 'spos', initialArch: [...twenty].reverse(), candidates: [] };
    expect(parseArchitecture(JSON.stringify(space), spos)).toEqual([...twenty].reverse());
    expect(error(JSON.stringify({ ...space, preset: 'cifar' }))).toBe(
      "architecture: this space.json is for preset 'cifar', not 'spos'; pass --preset cifar or another file",
    );
  });
});

describe("the skip operator (the paper's Appendix B)", () => {
  const mnist = PRESETS.mnist();
  // mnist: stem 8 channels, stages 16 / 40 / 80 / 160 channels × 4 / 4 / 8 / 4 layers, strides 1 / 2 / 2 / 2:
  // by hand, a layer keeps its shape unless it opens a stage (layer 1: 8 → 16; 5, 9, 17: stride 2)
  const handSkipLayers = [1, 2, 3, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19];

  it('is the identity, valid exactly in the layers whose input and output shapes match', () => {
    expect(parseOperator('Skip')).toEqual({ name: 'Skip', family: 'Skip', k: 1, e: null, se: false });
    expect(OPERATOR_NAMES).not.toContain('Skip');
    expect(skipLayersOf(mnist)).toEqual(handSkipLayers);
    expect(layerList(skipLayersOf(mnist))).toBe('2–4, 6–8, 10–16, 18–20');
  });

  it('an architecture may use it in those layers, and is refused in one line naming them elsewhere', () => {
    const arch = Array(20).fill('MB_3_1');
    arch[1] = 'Skip';
    arch[19] = 'Skip';
    expect(parseArchitecture(arch.join(','), mnist)).toEqual(arch);
    arch[4] = 'Skip';
    expect(() => parseArchitecture(arch.join(','), mnist)).toThrow(
      "architecture: layer 5: Skip (the identity) needs a layer whose input and output shapes match; in the 'mnist' backbone those are layers 2–4, 6–8, 10–16, 18–20",
    );
  });

  it('reduction.skip: true means every layer that can take it; a list names layers counting from 1; a layer that cannot is exit 2', () => {
    expect(skipLayersEnabled(mnist, false)).toEqual([]);
    expect(skipLayersEnabled(mnist, true)).toEqual(handSkipLayers);
    expect(skipLayersEnabled(mnist, [20, 2, 2])).toEqual([1, 19]);
    const e = (() => {
      try {
        skipLayersEnabled(mnist, [1, 2, 9]);
      } catch (x) {
        return x as HurricaneError;
      }
    })();
    expect(e?.exitCode).toBe(2);
    expect(e?.message).toBe(
      "reduction.skip lists layers 1, 9, where Skip (the identity) cannot run: its input and output shapes differ; in the 'mnist' backbone Skip can take layers 2–4, 6–8, 10–16, 18–20 (counting from 1), or set reduction.skip: true for all of them",
    );
  });
});
