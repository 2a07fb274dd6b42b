import type { Architecture } from '../space/architecture.js';
import type { SearchSpace } from './search-space.js';

/** What a constraint says about one candidate. */
export interface LatencyVerdict {
  readonly ok: boolean;
  readonly meanMs: number;
  readonly stdMs?: number;
  /** `P(latency ≤ budget)` under the predictor (1 or 0 for a point prediction; 1 without a latency limit). */
  readonly pWithinBudget: number;
}

/**
 * What a search answers to: which candidates it may evaluate and train (`Γh(A)` of
 * docs/method.md §2). `LatencyConstraint` is the paper's one latency budget; `LimitSet`
 * adds exact limits on FLOPs, params and peak activation memory.
 */
export interface Constraint {
  /** One verdict per architecture, in order: whether it is admitted, and its predicted latency. */
  check(archs: readonly Architecture[]): LatencyVerdict[];
  /**
   * An admitted architecture of `space`, looked for by coordinate descent from `starts`. Throws the
   * one-line error (exit 2) naming what cannot be met, and the smallest value it can reach, when none is found.
   */
  reach(space: SearchSpace, starts: readonly Architecture[], what: string): Architecture;
}

/** The quantities the space's analytics compute exactly (docs/method.md §5). */
export type CostMetric = 'flops' | 'params' | 'peakMemory';

/**
 * An architecture's FLOPs (multiply-adds), trainable parameters and peak activation bytes (float32,
 * batch 1); optionally the live bytes summed over every step, which breaks ties of the peak when
 * looking for the smallest one (a layer that ties the peak can then move first).
 */
export type Costs = Readonly<Record<CostMetric, number>> & { readonly activationArea?: number };

/** The exact costs of an architecture. */
export type CostsOf = (arch: Architecture) => Costs;

/** An upper limit on one exact cost. */
export interface CostLimit {
  readonly metric: CostMetric;
  readonly max: number;
}

/** Lexicographic order of two scores: negative when `a` comes first. */
function compareScores(a: readonly number[], b: readonly number[]): number {
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    const d = (a[k] ?? 0) - (b[k] ?? 0);
    if (Math.abs(d) > 1e-12 * Math.max(1, Math.abs(a[k] ?? 0))) return d;
  }
  return 0;
}

/**
 * The architecture of `space` with the smallest `score` (compared lexicographically, so a second
 * number breaks ties of the first): coordinate descent from the best of `starts`, one layer at a
 * time over every candidate, until a sweep changes nothing. Exact for sums of per-layer terms
 * (FLOPs, params, additive predictors); for a maximum over layers (peak memory) give a second
 * number that sums the layers' own terms (the activation area), so that a layer tying the maximum
 * can move and the next one lower it.
 */
export function smallestOf(
  space: SearchSpace,
  score: (archs: readonly Architecture[]) => readonly (readonly number[])[],
  starts: readonly Architecture[],
): { arch: Architecture; score: readonly number[] } {
  const from = starts.length > 0 ? starts : [space.fixed];
  const first = score(from);
  let bestI = 0;
  first.forEach((s, i) => {
    if (compareScores(s, first[bestI] as readonly number[]) < 0) bestI = i;
  });
  let arch = [...(from[bestI] as Architecture)];
  let best = first[bestI] as readonly number[];
  for (let sweep = 0; sweep < 10; sweep++) {
    let changed = false;
    for (const l of space.active) {
      const options = space.choices(l).map((op) => arch.map((o, k) => (k === l ? op : o)));
      score(options).forEach((s, i) => {
        if (compareScores(s, best) < 0) {
          best = s;
          arch = options[i] as string[];
          changed = true;
        }
      });
    }
    if (!changed) break;
  }
  return { arch, score: best };
}
