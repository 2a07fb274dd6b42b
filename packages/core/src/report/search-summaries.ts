import type { CheckedPath, RankAgreement } from '../search/rank-check.js';

/** What the retrain phase of `hurricane search` recorded. */
export interface RetrainSummary {
  readonly steps: number;
  readonly testAccuracy: number;
  readonly testLoss: number;
  readonly testImages: number;
  readonly weights: string;
}

/** What the verify phase of `hurricane search` measured. */
export interface VerifySummary {
  /** The median of the measurement sessions' medians. */
  readonly measuredMs: number;
  /** Each session's median, ascending. */
  readonly sessionsMs: readonly number[];
  readonly predictedMs: number;
  readonly predictedStdMs?: number;
  readonly withinBudget: boolean;
  readonly device: string;
  readonly flops: number;
  readonly params: number;
}

/** What the rank-check phase recorded. */
export interface RankCheckSummary {
  /** `search.rankCheck` and `search.rankCheckSteps` it ran with (a change re-runs the check). */
  readonly requested: number;
  readonly steps: number;
  /** The step whose candidates it drew from (the last). */
  readonly iteration?: number;
  /** The paths, the winner first, with their supernet fitness and standalone validation accuracy. */
  readonly paths: readonly CheckedPath[];
  /** Null with fewer than three paths (or when the check is off). */
  readonly agreement: RankAgreement | null;
}
