import { ExitCode, HurricaneError } from '../errors.js';
import type { Architecture } from '../space/architecture.js';
import { type Constraint, type CostLimit, type CostMetric, type CostsOf, type LatencyVerdict, smallestOf } from './constraint.js';
import type { LatencyConstraint, LatencyModel } from './latency-constraint.js';
import type { SearchSpace } from './search-space.js';

/** How each cost reads in a message. */
const COST_NAMES: Readonly<Record<CostMetric, string>> = {
  flops: 'FLOPs (multiply-adds)',
  params: 'params',
  peakMemory: 'peak activation memory (bytes)',
};

/** A limit as one entry of the conjunction: its value per architecture, and how it reads. */
interface Term {
  readonly name: string;
  readonly max: number;
  /** The value to keep at or below `max` (the predicted mean for latency). */
  values(archs: readonly Architecture[]): number[];
  /** What breaks ties of the value when looking for its smallest (peak memory: the activation area), relative to `max`. */
  tieBreak?(archs: readonly Architecture[]): number[];
  format(v: number): string;
}

/** A latency limit on one of several targets: its constraint (its target's predictor and budget) and the target's name. */
export interface TargetLatency {
  readonly target: string;
  readonly constraint: LatencyConstraint;
}

/** Inputs of a {@link LimitSet}. */
export interface LimitSetInput {
  /** The latency limit, or none (a search under FLOPs, params or memory alone). */
  readonly latency?: LatencyConstraint;
  /**
   * Latency limits on further targets, each by its own predictor: a candidate must meet every one
   * (each with its own confidence). Verdicts report `latency`'s prediction, and as
   * `pWithinBudget` the product of every limit's probability (the targets' errors taken as independent).
   */
  readonly targets?: readonly TargetLatency[];
  /** The name of `latency`'s target, which messages give when there are `targets` too. */
  readonly latencyTarget?: string;
  /** The predictor every verdict reports the latency of (the latency limit's own when there is one). */
  readonly model: LatencyModel;
  readonly limits: readonly CostLimit[];
  readonly costsOf: CostsOf;
  /** What the unreachable message adds as a last remedy (e.g. the skip operator). */
  readonly remedy?: string;
}

/** A conjunction of limits: the predicted latency within its budget (if any) and every exact cost within its maximum. */
export class LimitSet implements Constraint {
  private readonly terms: readonly Term[];

  constructor(readonly input: LimitSetInput) {
    for (const l of input.limits)
      if (!(l.max > 0))
        throw new HurricaneError(`the ${COST_NAMES[l.metric]} limit must be a positive number, got ${l.max}`, {
          exitCode: ExitCode.BadUsage,
        });
    const latency = input.latency;
    const costTerms = input.limits.map(
      (l): Term => ({
        name: COST_NAMES[l.metric],
        max: l.max,
        values: (archs) => archs.map((a) => input.costsOf(a)[l.metric]),
        ...(l.metric === 'peakMemory' ? { tieBreak: (archs) => archs.map((a) => (input.costsOf(a).activationArea ?? 0) / l.max) } : {}),
        format: (v) => String(Math.round(v)),
      }),
    );
    const latencyTerm = (c: LatencyConstraint, on: string): Term => ({
      name: `predicted latency${on} (ms)`,
      max: c.budget.budgetMs,
      values: (archs) => [...c.model.predict(archs).mean],
      format: (v) => v.toFixed(4),
    });
    this.terms = [
      ...(latency ? [latencyTerm(latency, input.targets?.length ? ` on ${input.latencyTarget ?? 'the first target'}` : '')] : []),
      ...(input.targets ?? []).map((t) => latencyTerm(t.constraint, ` on ${t.target}`)),
      ...costTerms,
    ];
  }

  check(archs: readonly Architecture[]): LatencyVerdict[] {
    if (archs.length === 0) return [];
    const latency = this.input.latency?.check(archs) ?? pointVerdicts(this.input.model, archs);
    const others = (this.input.targets ?? []).map((t) => t.constraint.check(archs));
    return archs.map((a, i) => {
      const v = latency[i] as LatencyVerdict;
      const costs = this.input.costsOf(a);
      const more = others.map((o) => o[i] as LatencyVerdict);
      const ok = v.ok && more.every((m) => m.ok) && this.input.limits.every((l) => costs[l.metric] <= l.max);
      return { ...v, ok, pWithinBudget: more.reduce((p, m) => p * m.pWithinBudget, v.pWithinBudget) };
    });
  }

  /** Each limit's value relative to its maximum, and the sum of the tie-breakers, per architecture. */
  private relative(archs: readonly Architecture[]): { rel: number[][]; ties: number[] } {
    const per = this.terms.map((t) => t.values(archs).map((v) => v / t.max));
    const tiePer = this.terms.map((t) => t.tieBreak?.(archs) ?? archs.map(() => 0));
    return {
      rel: archs.map((_, i) => per.map((p) => p[i] as number)),
      ties: archs.map((_, i) => tiePer.reduce((s, p) => s + (p[i] as number), 0)),
    };
  }

  /** Σ of each limit's relative excess (0 when every limit is met by value), then the tie-breakers, then Σ of the relative values. */
  private excess(archs: readonly Architecture[]): number[][] {
    const { rel, ties } = this.relative(archs);
    const verdicts = this.check(archs);
    return archs.map((_, i) => {
      const r = rel[i] as number[];
      // a latency met by the mean but not with the confidence still counts a little
      const miss = verdicts[i]?.ok ? 0 : 1e-9;
      return [r.reduce((s, x) => s + Math.max(x - 1, 0), 0) + miss, ties[i] as number, r.reduce((s, x) => s + x, 0)];
    });
  }

  reach(space: SearchSpace, starts: readonly Architecture[], what: string): Architecture {
    const ok = (a: Architecture) => this.check([a])[0]?.ok === true;
    const joint = smallestOf(space, (a) => this.excess(a), starts);
    if (ok(joint.arch)) return joint.arch;
    // each limit alone (ties broken by its tie-breaker, then the others' relative values), then the conjunction again from each of those
    const alone = this.terms.map((t) =>
      smallestOf(
        space,
        (archs) => {
          const own = t.values(archs);
          const tie = t.tieBreak?.(archs);
          const { rel } = this.relative(archs);
          return archs.map((_, i) => [own[i] as number, tie?.[i] ?? 0, (rel[i] as number[]).reduce((s, x) => s + x, 0)]);
        },
        starts,
      ),
    );
    for (const a of alone) {
      const again = smallestOf(space, (x) => this.excess(x), [a.arch]);
      if (ok(again.arch)) return again.arch;
    }
    throw this.unreachable(
      alone.map((a) => a.score[0] as number),
      what,
    );
  }

  /** The one-line error: which limits cannot be met alone (and the smallest value each reaches), or that they conflict. */
  private unreachable(smallest: readonly number[], what: string): HurricaneError {
    const parts = this.terms.map((t, k) => {
      const s = smallest[k] as number;
      const verdict = s > t.max ? 'cannot be met' : 'can be met alone';
      return `${t.name} ≤ ${t.format(t.max)} ${verdict} (the smallest it can reach is ${t.format(s)})`;
    });
    const impossible = this.terms.filter((t, k) => (smallest[k] as number) > t.max).map((t) => t.name);
    const fix =
      impossible.length > 0
        ? `raise the limits that cannot be met (${impossible.join(', ')}) in search.constraints to at least the smallest value each can reach`
        : 'each limit can be met alone, but no architecture found meets them together: raise one of them in search.constraints';
    const remedy = this.input.remedy ? `, or ${this.input.remedy}` : '';
    return new HurricaneError(
      `no architecture of ${what} meets every limit of search.constraints: ${parts.join('; ')}. ${fix}, or keep faster, smaller operators in each layer${remedy}`,
      { exitCode: ExitCode.BadUsage },
    );
  }
}

/** Verdicts when there is no latency limit: every latency admitted, recorded as predicted. */
function pointVerdicts(model: LatencyModel, archs: readonly Architecture[]): LatencyVerdict[] {
  const { mean, std } = model.predict(archs);
  return archs.map((_, i) => ({
    ok: true,
    meanMs: mean[i] as number,
    ...(std?.[i] !== undefined ? { stdMs: std[i] as number } : {}),
    pWithinBudget: 1,
  }));
}
