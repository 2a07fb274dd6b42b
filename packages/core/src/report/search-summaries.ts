import type { Architecture } from '../space/architecture.js';
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
  /** Whether the measured latency meets the latency limit (true when the run has none). */
  readonly withinBudget: boolean;
  readonly device: string;
  readonly flops: number;
  readonly params: number;
  /** Peak activation bytes (float32, batch 1; absent in runs recorded before it). */
  readonly peakMemory?: number;
  /** Every limit of the run with the winner's value: latency measured (and predicted), costs exact (absent in runs recorded before it). */
  readonly limits?: readonly VerifiedLimit[];
  /** The winner on each other target of a search on several (absent for one target); `withinBudget` is then true only when every target meets its budget. */
  readonly targets?: readonly TargetLatency[];
}

/** One limit of a run and the winner's value for it. */
export interface VerifiedLimit {
  readonly metric: 'latency' | 'flops' | 'params' | 'peakMemory';
  /** The target of a latency limit, in a search on several targets. */
  readonly target?: string;
  readonly max: number;
  /** Measured on the hardware for latency; exact for the costs. */
  readonly value: number;
  /** The predictor's mean, for latency. */
  readonly predicted?: number;
  readonly met: boolean;
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

/** A candidate's latency on one of the other targets of a search on several: measured, predicted, and whether it meets that target's budget. */
export interface TargetLatency {
  readonly target: string;
  readonly budgetMs: number;
  readonly measuredMs: number;
  readonly predictedMs: number;
  readonly met: boolean;
}

/** One shortlisted candidate: its supernet fitness, predicted and measured latency. */
export interface ShortlistedCandidate {
  readonly arch: Architecture;
  readonly accuracy: number;
  /** Predicted and measured (the median of the shortlist's measurements) on the run's first target. */
  readonly predictedMs: number;
  readonly measuredMs: number;
  /** Whether it meets every latency budget by measurement: the first target's and each other target's. */
  readonly met: boolean;
  /** On each other target of a search on several (absent for one target). */
  readonly targets?: readonly TargetLatency[];
}

/** What the shortlist measured and which candidate it chose. */
export interface Shortlist {
  /** The budget on the run's first target (the others' are in each candidate's `targets`). */
  readonly budgetMs: number;
  /** Best fitness first. */
  readonly candidates: readonly ShortlistedCandidate[];
  /** Index of the winner in `candidates`: the most accurate one that meets the budget by measurement, else the fastest measured. */
  readonly chosen: number;
  /** Whether any candidate met the budget by measurement. */
  readonly met: boolean;
}
