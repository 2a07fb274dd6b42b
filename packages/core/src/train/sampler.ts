import { Rng } from '../random.js';

/**
 * Mini-batch indices as a pure function of (seed, step): epoch `e` visits a permutation drawn from
 * `Rng(seed + e)`, so a resumed run sees exactly the batches an uninterrupted one would.
 * The last incomplete batch of an epoch is dropped (every batch has `batchSize` examples).
 */
export class BatchSampler {
  private cachedEpoch = -1;
  private order: number[] = [];

  constructor(
    readonly size: number,
    readonly batchSize: number,
    readonly seed: number,
  ) {
    if (!(batchSize >= 1) || batchSize > size)
      throw new RangeError(`batch size ${batchSize} must be between 1 and the ${size} training examples`);
  }

  /** Batches per epoch. */
  get batchesPerEpoch(): number {
    return Math.floor(this.size / this.batchSize);
  }

  /** The example indices of global step `step` (0-based). */
  indices(step: number): number[] {
    const epoch = Math.floor(step / this.batchesPerEpoch);
    if (epoch !== this.cachedEpoch) {
      this.order = new Rng(this.seed + epoch * 7919).shuffle(Array.from({ length: this.size }, (_, i) => i));
      this.cachedEpoch = epoch;
    }
    const start = (step % this.batchesPerEpoch) * this.batchSize;
    return this.order.slice(start, start + this.batchSize);
  }
}
