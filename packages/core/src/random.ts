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
