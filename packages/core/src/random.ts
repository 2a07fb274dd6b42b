import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';

/**
 * Hurricane's only source of randomness: a seeded xoroshiro128+ generator (pure-rand) whose state
 * can be saved and restored, so every run is reproducible from its config and seed.
 */
export class Rng {
  private gen: ReturnType<typeof xoroshiro128plus>;

  constructor(seed: number) {
    this.gen = xoroshiro128plus(seed | 0);
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return uniformFloat64(this.gen);
  }

  /** A uniform integer in [from, to] (inclusive). */
  int(from: number, to: number): number {
    return uniformInt(this.gen, from, to);
  }

  /** A normal sample N(mean, std²) (Box–Muller on two uniforms; one pair per call, the second discarded). */
  normal(mean = 0, std = 1): number {
    const u = 1 - this.next(); // (0, 1]: log(u) is finite
    const v = this.next();
    return mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A shuffled copy of `items` (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }

  /** The generator state, for checkpoints. */
  state(): number[] {
    return [...this.gen.getState()];
  }

  /** Restores a state from {@link state}. */
  static fromState(state: readonly number[]): Rng {
    const r = new Rng(0);
    r.gen = xoroshiro128plusFromState(state);
    return r;
  }
}
/** 32-bit FNV-1a hash of a string: derives independent per-parameter seeds from one run seed. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
