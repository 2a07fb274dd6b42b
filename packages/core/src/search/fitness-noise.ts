// How much of a search's fitness is noise: the top candidates scored again after BatchNorm
// recalibration on an independent sample of training batches, against their first score, and the
// binomial noise of a validation accuracy. Pure arithmetic on scores; the evaluator does the work.
import { HurricaneError } from '../errors.js';
import { kendallTau } from '../predict/metrics.js';
import type { Architecture } from '../space/architecture.js';
import { type EvaluatedCandidate, better } from './evolution.js';
import type { Evaluator } from './evaluator.js';

/** One top candidate scored twice. */
export interface RescoredCandidate {
  readonly arch: Architecture;
  /** Validation accuracy the evolution recorded. */
  readonly first: number;
  /** Validation accuracy after recalibration on the independent sample. */
  readonly second: number;
}

/** What the fitness-noise check found in one iteration (`iteration-<i>.json`'s `noise`). */
export interface FitnessNoise {
  /** The top candidates of the evolution, best first, with both scores. */
  readonly candidates: readonly RescoredCandidate[];
  /** Kendall τ-b between the two scores over those candidates (NaN when either is constant). */
  readonly kendallTau: number;
  /** Validation images behind each accuracy. */
  readonly validationImages: number;
  /** √(p(1 − p)/n) at the winner's accuracy p over n validation images: the spread another validation sample would give. */
  readonly binomialStd: number;
  /** The spread of one score from the recalibration sample alone: std(second − first)/√2 over the candidates. */
  readonly recalibrationStd: number;
  /** The winner's first-score lead over the runner-up. */
  readonly margin: number;
  /** 2·√2·√(binomialStd² + recalibrationStd²): a lead below it is within the noise of two scores. */
  readonly noiseOfMargin: number;
  readonly withinNoise: boolean;
  /** The winner's place (1 = first) among the candidates by the second score. */
  readonly winnerRankAgain: number;
}

/**
 * Scores the `count` best of `evaluated` (best first) again with `evaluateAgain` and compares the
 * two scores. `validationImages` is what each accuracy was measured on.
 */
export async function fitnessNoise(
  evaluated: readonly EvaluatedCandidate[],
  count: number,
  evaluateAgain: NonNullable<Evaluator['evaluateAgain']>,
  validationImages: number,
  signal?: AbortSignal,
): Promise<FitnessNoise | null> {
  const top = [...evaluated].sort(better).slice(0, count);
  if (top.length < 2) return null;
  const candidates: RescoredCandidate[] = [];
  for (const c of top) {
    if (signal?.aborted) throw new HurricaneError('the search was stopped; it resumes from its last evaluation when run again');
    candidates.push({ arch: c.arch, first: c.accuracy, second: (await evaluateAgain(c.arch)).accuracy });
  }
  return summarise(candidates, validationImages);
}

/** The figures of {@link FitnessNoise} from candidates scored twice (best first by the first score). */
export function summarise(candidates: readonly RescoredCandidate[], validationImages: number): FitnessNoise {
  const first = candidates.map((c) => c.first);
  const second = candidates.map((c) => c.second);
  const p = first[0] as number;
  const binomialStd = Math.sqrt((p * (1 - p)) / validationImages);
  const diffs = candidates.map((c) => c.second - c.first);
  const meanDiff = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  const recalibrationStd = Math.sqrt(diffs.reduce((a, d) => a + (d - meanDiff) ** 2, 0) / (diffs.length - 1) / 2);
  const margin = p - (first[1] as number);
  const noiseOfMargin = 2 * Math.SQRT2 * Math.hypot(binomialStd, recalibrationStd);
  const winnerSecond = second[0] as number;
  return {
    ...{ candidates, kendallTau: kendallTau(first, second), validationImages, binomialStd, recalibrationStd },
    ...{ margin, noiseOfMargin, withinNoise: margin < noiseOfMargin },
    winnerRankAgain: 1 + second.filter((s) => s > winnerSecond).length,
  };
}
