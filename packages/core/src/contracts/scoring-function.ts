import { token } from './token.js';

/** What a scoring function knows about one candidate operator in one layer context. */
export interface OperatorProfile {
  /** Operator name, e.g. `MB_5_3_SE`. */
  readonly operator: string;
  /** Multiply-adds (docs/method.md §5). */
  readonly flops: number;
  /** Trainable parameters, BatchNorm scale and shift included. */
  readonly params: number;
  /** Measured latency on the target, in milliseconds (the median). */
  readonly latencyMs: number;
}

/**
 * Ranks candidate operators of one layer for the operator-level reduction (Algorithm 1, lines 1–5).
 * Higher is better. Registered under the {@link ScoringFunction} token and chosen by `name`
 * through the config's `scoring.name`.
 */
export interface ScoringFunction {
  /** Unique name used in configs, e.g. `eq4`. */
  readonly name: string;
  /** One-line description shown by `hurricane plugins`. */
  readonly description: string;
  /** The score of one operator; must be finite for finite positive inputs. */
  score(profile: OperatorProfile): number;
}

/** Injection token of {@link ScoringFunction}. */
export const ScoringFunction = token<ScoringFunction>('ScoringFunction');
