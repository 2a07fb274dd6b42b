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
