import { HurricaneError } from '../errors.js';
import { Rng } from '../random.js';

/** Row indices of a train/test split. */
export interface Split {
  readonly train: readonly number[];
  readonly test: readonly number[];
}

/** A seeded shuffle of `n` rows split into `1 − testShare` for training and `testShare` for testing (docs/method.md §6: 80/20). */
export function holdoutSplit(n: number, testShare: number, seed: number): Split {
  if (!(testShare > 0 && testShare < 1)) throw new HurricaneError(`the test share must be between 0 and 1, got ${testShare}`);
  const nTest = Math.round(n * testShare);
  if (nTest < 1 || n - nTest < 2)
    throw new HurricaneError(`${n} rows are too few to hold out ${Math.round(testShare * 100)} % for testing`);
  const order = new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  return { train: order.slice(nTest), test: order.slice(0, nTest) };
}

/** `k` seeded folds of `n` rows: each fold tests on one part and trains on the other `k − 1`. */
export function kFolds(n: number, k: number, seed: number): Split[] {
  if (!Number.isInteger(k) || k < 2) throw new HurricaneError(`k-fold cross-validation needs k ≥ 2, got ${k}`);
  if (n < 2 * k) throw new HurricaneError(`${n} rows are too few for ${k}-fold cross-validation (need at least ${2 * k})`);
  const order = new Rng(seed).shuffle(Array.from({ length: n }, (_, i) => i));
  return Array.from({ length: k }, (_, f) => {
    const from = Math.floor((f * n) / k);
    const to = Math.floor(((f + 1) * n) / k);
    return { train: [...order.slice(0, from), ...order.slice(to)], test: order.slice(from, to) };
  });
}

/** The rows of `items` at `idx`. */
export function pick<T>(items: readonly T[], idx: readonly number[]): T[] {
  return idx.map((i) => items[i] as T);
}
