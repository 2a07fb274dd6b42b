// Whether a latency model can rank architectures, from its cross-validated predictions: the
// search's latency constraint only means something when the model orders candidates better than
// chance and predicts better than one latency for every architecture.
import { kFolds, pick } from './split.js';
import type { PredictionMetrics } from './metrics.js';

/** The verdict on a model's cross-validated predictions (recorded in the predictor file as `metrics.ranking`). */
export interface RankingCheck {
  /** True when the model ranks: τ at or above {@link RankingCheck.tauFloor} and MAPE below {@link RankingCheck.meanMapePct}. */
  readonly ok: boolean;
  /** Kendall τ-b of the cross-validated predictions against the measurements (0 when the predictions are constant). */
  readonly kendallTau: number;
  /** The lowest τ that counts as ranking at these many rows: what chance reaches one time in a hundred, and at least 0.1. */
  readonly tauFloor: number;
  /** The model's cross-validated MAPE. */
  readonly mapePct: number;
  /** The cross-validated MAPE of predicting each fold's training mean for every row of the fold. */
  readonly meanMapePct: number;
  /** Rows the cross-validation predicted. */
  readonly n: number;
  /** Why the model cannot rank (absent when it can). */
  readonly reason?: string;
}

/** The one-sided 1 % point of the standard normal distribution. */
const Z_99 = 2.326;

/**
 * The τ that chance exceeds one time in a hundred at `n` pairs: τ's standard deviation under no
 * association, √(2(2n + 5) / (9n(n − 1))) (Kendall 1938, the normal approximation scipy's
 * `kendalltau` uses for larger samples), times the one-sided 1 % normal point; at least 0.1.
 */
export function tauFloor(n: number): number {
  if (n < 2) return 1;
  return Math.max(0.1, Z_99 * Math.sqrt((2 * (2 * n + 5)) / (9 * n * (n - 1))));
}

/**
 * The cross-validated MAPE of the mean predictor over the same folds as `crossValidate` with
 * `folds` and `seed`: each fold's rows predicted by the mean latency of the other folds.
 */
export function meanPredictorMape(y: readonly number[], o: { folds: number; seed: number }): number {
  let ape = 0;
  let n = 0;
  for (const fold of kFolds(y.length, o.folds, o.seed)) {
    const train = pick(y, fold.train);
    const mean = train.reduce((a, b) => a + b, 0) / train.length;
    for (const v of pick(y, fold.test)) {
      ape += Math.abs(mean - v) / v;
      n++;
    }
  }
  return (100 * ape) / n;
}

/** Whether cross-validated metrics `cv` rank: τ above chance, and a MAPE below predicting the mean (`meanMapePct`). */
export function rankingCheck(cv: PredictionMetrics, meanMapePct: number): RankingCheck {
  const tau = Number.isFinite(cv.kendallTau) ? cv.kendallTau : 0;
  const floor = tauFloor(cv.n);
  const reasons: string[] = [];
  if (tau < floor)
    reasons.push(`cross-validated Kendall τ ${tau.toFixed(3)} is below ${floor.toFixed(3)}, what chance reaches at ${cv.n} rows`);
  if (!(cv.mapePct < meanMapePct))
    reasons.push(
      `its cross-validated MAPE of ${cv.mapePct.toFixed(2)} % is no better than predicting the mean (${meanMapePct.toFixed(2)} %)`,
    );
  return {
    ok: reasons.length === 0,
    ...{ kendallTau: tau, tauFloor: floor, mapePct: cv.mapePct, meanMapePct, n: cv.n },
    ...(reasons.length > 0 ? { reason: reasons.join(', and ') } : {}),
  };
}
