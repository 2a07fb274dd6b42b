import { ExitCode, HurricaneError } from '../errors.js';
import { probabilityWithinBudget } from '../predict/uncertainty.js';
import type { Architecture } from '../space/architecture.js';
import { type Constraint, type LatencyVerdict, smallestOf } from './constraint.js';
import { SearchSpace } from './search-space.js';
import type { LatencyModel } from '../predict/latency-model.js';
import { Rng, hash32 } from '../random.js';

export type { LatencyModel };

/** A space given as each layer's candidates (every layer active), or a sub-space. */
export type SpaceLike = readonly (readonly string[])[] | SearchSpace;

/** 1,000 seeded uniform samples of the space: what `auto` budgets and admitted shares are taken over. */
function budgetSamples(of: SpaceLike, seed: number): Architecture[] {
  const space = of instanceof SearchSpace ? of : SearchSpace.whole(of);
  const rng = new Rng(hash32(`${seed}:budget`));
  return Array.from({ length: 1000 }, () => space.sample(rng));
}

/** `budgetMs: auto`: the median predicted latency of 1,000 seeded uniform samples of the space (or sub-space). */
export function autoBudget(space: SpaceLike, model: LatencyModel, seed: number): number {
  const { mean } = model.predict(budgetSamples(space, seed));
  const sorted = [...mean].sort((a, b) => a - b);
  return Number((((sorted[499] as number) + (sorted[500] as number)) / 2).toPrecision(4));
}

/**
 * The share (0–1) of the space a constraint admits, over the same 1,000 seeded uniform samples as
 * {@link autoBudget}: near 1, the constraint rejects almost nothing; 0, nothing meets it.
 */
export function admittedShare(space: SpaceLike, constraint: Constraint, seed: number): number {
  return constraint.check(budgetSamples(space, seed)).filter((v) => v.ok).length / 1000;
}

/** The budget `LatC_h` and, optionally, the confidence with which a candidate must meet it. */
export interface LatencyBudget {
  readonly budgetMs: number;
  /**
   * What the unreachable-budget message says about the skip operator (the workflow knows the
   * config key and the layers that can take it). Default: a generic pointer to `reduction.skip`.
   */
  readonly skipRemedy?: string;
  /** With a predictor that has a std: accept when `P(latency ≤ budget) ≥ confidence` (e.g. 0.9). Default: the mean ≤ budget. */
  readonly confidence?: number;
}

export type { LatencyVerdict };

/** `Γh(A)`: the candidates whose predicted latency meets the budget (docs/method.md §2), checked before any evaluation. */
export class LatencyConstraint implements Constraint {
  constructor(
    readonly model: LatencyModel,
    readonly budget: LatencyBudget,
  ) {
    if (!(budget.budgetMs > 0))
      throw new HurricaneError(`the latency budget must be a positive number of ms, got ${budget.budgetMs}`, {
        exitCode: ExitCode.BadUsage,
      });
    const c = budget.confidence;
    if (c !== undefined && !(c > 0 && c < 1))
      throw new HurricaneError(`search.confidence must be between 0 and 1 (e.g. 0.9), got ${c}`, { exitCode: ExitCode.BadUsage });
  }

  check(archs: readonly Architecture[]): LatencyVerdict[] {
    if (archs.length === 0) return [];
    const { mean, std } = this.model.predict(archs);
    return archs.map((_, i) => {
      const m = mean[i] as number;
      const s = std?.[i];
      const p = probabilityWithinBudget(m, s, this.budget.budgetMs);
      const ok = this.budget.confidence === undefined ? m <= this.budget.budgetMs : p >= this.budget.confidence;
      return { ok, meanMs: m, ...(s !== undefined ? { stdMs: s } : {}), pWithinBudget: p };
    });
  }

  /** The fastest architecture of `space` found from `starts` when it meets the budget; else the unreachable-budget error. */
  reach(space: SearchSpace, starts: readonly Architecture[], what: string): Architecture {
    const smallest = smallestLatency(space, this.model, starts);
    if (!this.check([smallest.arch])[0]?.ok) throw unreachableBudgetError(this.budget, smallest, what);
    return smallest.arch;
  }
}

/**
 * The fastest architecture of `space` by predicted latency: coordinate descent from the best of
 * `starts` random samples, one layer at a time over every candidate, until a sweep changes nothing.
 * Exact for additive predictors (Lasso, LUT, Bayesian ridge); a close estimate for a GP.
 */
export function smallestLatency(
  space: SearchSpace,
  model: LatencyModel,
  starts: readonly Architecture[],
): { arch: Architecture; meanMs: number } {
  const s = smallestOf(space, (archs) => [...model.predict(archs).mean].map((m) => [m]), starts);
  return { arch: s.arch, meanMs: s.score[0] as number };
}

/** The one-line error for a budget no architecture of the space meets, with the paper's Appendix B remedies. */
export function unreachableBudgetError(budget: LatencyBudget, smallest: { meanMs: number }, what: string): HurricaneError {
  const how = budget.confidence === undefined ? 'predicted' : `met with confidence ${budget.confidence} by the predicted`;
  return new HurricaneError(
    `no architecture of ${what} has a ${how} latency within the budget of ${budget.budgetMs} ms: the smallest latency it can reach is ${smallest.meanMs.toFixed(4)} ms. Raise search.budgetMs to at least ${Math.ceil(smallest.meanMs * 1000) / 1000} ms, or keep faster operators in each layer (scoring.alpha: 0, the default, ranks them by latency alone), or ${budget.skipRemedy ?? "offer the skip operator of the paper's Appendix B in the layers that can take it (reduction.skip: true)"}${budget.confidence !== undefined ? ', or lower search.confidence' : ''}`,
    { exitCode: ExitCode.BadUsage },
  );
}
