// `data/` — datasets for training and evaluation: loaders for MNIST, CIFAR-10 and image folders
// (`loaders.ts`), seeded validation splits, channel statistics and augmented views (this file),
// and the `TrainingData` interface the trainer reads (`training-data.ts`). May import `errors` and
// `random`; never the engine or training (rule `data-below-training`).
import { ExitCode, HurricaneError } from '../errors.js';
import { Rng } from '../random.js';
import type { TrainingData } from './training-data.js';

/** A bad dataset file or folder. Exit code 2. */
export class DatasetError extends HurricaneError {
  constructor(message: string) {
    super(message, { exitCode: ExitCode.BadUsage });
  }
}

/** Images in memory: uint8 pixels, NHWC, with integer labels. */
export interface ImageSet {
  readonly name: string;
  /** `[C, H, W]`. */
  readonly shape: readonly [number, number, number];
  readonly numClasses: number;
  readonly classNames: readonly string[];
  /** `count · H · W · C` bytes, NHWC. */
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array | Int32Array;
  readonly count: number;
}

/** A dataset as training uses it: train, a validation split held out of train, and the test set. */
export interface DatasetSplits {
  readonly train: ImageSet;
  /** Indices into `train` held out for validation (never trained on). */
  readonly valIndices: readonly number[];
  /** Indices into `train` used for training. */
  readonly trainIndices: readonly number[];
  readonly test: ImageSet;
}

/**
 * A seeded per-class validation split: `perClass` examples of each class (or `fraction` of it) are
 * held out of the training set (docs/method.md §7: ImageNet holds out 50 per class).
 */
export function splitValidation(
  set: ImageSet,
  o: { perClass?: number; fraction?: number; seed: number },
): { trainIndices: number[]; valIndices: number[] } {
  const byClass: number[][] = Array.from({ length: set.numClasses }, () => []);
  for (let i = 0; i < set.count; i++) byClass[set.labels[i] as number]?.push(i);
  const rng = new Rng(o.seed);
  const train: number[] = [];
  const val: number[] = [];
  byClass.forEach((idx, c) => {
    const take = o.perClass ?? Math.round((o.fraction ?? 0.1) * idx.length);
    if (take >= idx.length && idx.length > 0) {
      throw new DatasetError(
        `${set.name}: class '${set.classNames[c]}' has ${idx.length} examples, too few to hold out ${take} for validation; lower the validation size`,
      );
    }
    const shuffled = rng.shuffle(idx);
    val.push(...shuffled.slice(0, take));
    train.push(...shuffled.slice(take));
  });
  return { trainIndices: train.sort((a, b) => a - b), valIndices: val.sort((a, b) => a - b) };
}

/** The examples `indices` of a set as a set of their own. */
export function subset(set: ImageSet, indices: readonly number[], name: string): ImageSet {
  const [c, h, w] = set.shape;
  const per = c * h * w;
  const pixels = new Uint8Array(indices.length * per);
  const labels = new Int32Array(indices.length);
  indices.forEach((i, k) => {
    pixels.set(set.pixels.subarray(i * per, (i + 1) * per), k * per);
    labels[k] = set.labels[i] as number;
  });
  return { ...set, name, pixels, labels, count: indices.length };
}

/** Per-channel mean and standard deviation (0–1 scale) of some examples. */
export function channelStats(set: ImageSet, indices: readonly number[]): { mean: number[]; std: number[] } {
  const [c, h, w] = set.shape;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  const per = h * w * c;
  for (const i of indices) {
    const base = i * per;
    for (let p = 0; p < per; p++) {
      const v = (set.pixels[base + p] as number) / 255;
      const ch = p % c;
      sum[ch] = (sum[ch] as number) + v;
      sq[ch] = (sq[ch] as number) + v * v;
    }
  }
  const n = indices.length * h * w;
  const mean = Array.from(sum, (s) => s / n);
  const std = Array.from(sq, (s, ch) => Math.sqrt(Math.max(s / n - (mean[ch] as number) ** 2, 1e-12)));
  return { mean, std };
}

/** Augmentations of docs/method.md §7's usual kind. */
export interface Augmentation {
  /** Zero-padding for random crops (0: none). CIFAR-style: 4. */
  readonly cropPadding: number;
  /** Random horizontal flips (off for digits). */
  readonly flip: boolean;
}

/**
 * A view of some examples of an image set as {@link TrainingData}: normalised NHWC float32
 * batches, augmented (random crop from a zero-padded image, horizontal flip) when the trainer
 * passes a generator.
 */
export function trainingView(
  set: ImageSet,
  indices: readonly number[],
  o: { augmentation: Augmentation; mean: readonly number[]; std: readonly number[] },
): TrainingData {
  const [c, h, w] = set.shape;
  const per = h * w * c;
  const pad = o.augmentation.cropPadding;
  return {
    size: indices.length,
    inputShape: set.shape,
    numClasses: set.numClasses,
    batch(batchIdx, augment) {
      const x = new Float32Array(batchIdx.length * per);
      const labels = new Int32Array(batchIdx.length);
      batchIdx.forEach((k, b) => {
        const i = indices[k];
        if (i === undefined) throw new RangeError(`example ${k} is outside this split of ${indices.length}`);
        labels[b] = set.labels[i] as number;
        const dy = augment && pad > 0 ? augment.int(-pad, pad) : 0;
        const dx = augment && pad > 0 ? augment.int(-pad, pad) : 0;
        const flip = augment && o.augmentation.flip ? augment.next() < 0.5 : false;
        const src = i * per;
        const dst = b * per;
        for (let yy = 0; yy < h; yy++) {
          const sy = yy + dy;
          for (let xx = 0; xx < w; xx++) {
            const sx = (flip ? w - 1 - xx : xx) + dx;
            const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
            for (let ch = 0; ch < c; ch++) {
              const v = inside ? (set.pixels[src + (sy * w + sx) * c + ch] as number) / 255 : 0;
              x[dst + (yy * w + xx) * c + ch] = (v - (o.mean[ch] as number)) / (o.std[ch] as number);
            }
          }
        }
      });
      return { x, labels };
    },
  };
}
