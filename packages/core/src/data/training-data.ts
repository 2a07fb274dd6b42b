import type { Rng } from '../random.js';

/** A labelled image set the trainer reads batches from. */
export interface TrainingData {
  /** Number of examples. */
  readonly size: number;
  /** Image shape `[C, H, W]`. */
  readonly inputShape: readonly [number, number, number];
  readonly numClasses: number;
  /**
   * The images (NHWC float32, normalised) and labels of the given examples; with `augment` the
   * images are augmented using that generator (so a batch is a pure function of its inputs).
   */
  batch(indices: readonly number[], augment: Rng | null): { readonly x: Float32Array; readonly labels: Int32Array };
}
