import { HurricaneError } from '../errors.js';
import { Rng } from '../random.js';
import type { Architecture } from '../space/architecture.js';
import type { EncodableSpace } from './encoding.js';

/** How many distinct architectures a space holds (may exceed 2^53; compared, never enumerated). */
export function spaceSize(space: EncodableSpace): number {
  return space.candidates.reduce((a, ops) => a * ops.length, 1);
}

/**
 * `n` distinct architectures drawn uniformly from the space (each layer's operator independently
 * uniform among its candidates; repeats redrawn), reproducible from `seed`. The first `k` of
 * `sampleArchitectures(space, n, seed)` are the same for every `n ≥ k`, so a data set can grow.
 */
export function sampleArchitectures(space: EncodableSpace, n: number, seed: number): Architecture[] {
  if (!Number.isInteger(n) || n < 1) throw new HurricaneError(`the number of architectures must be a positive integer, got ${n}`);
  const size = spaceSize(space);
  if (n > size) throw new HurricaneError(`the ${space.preset} space holds ${size} distinct architectures; asked for ${n}`);
  const rng = new Rng(seed);
  const seen = new Set<string>();
  const out: Architecture[] = [];
  while (out.length < n) {
    const arch = space.candidates.map((ops) => ops[rng.int(0, ops.length - 1)] as string);
    const key = arch.join(',');
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(arch);
  }
  return out;
}
