import type { ScoringFunction } from '../contracts/scoring-function.js';
import { percentile } from '../adapter-kit/statistics.js';
import { Rng } from '../random.js';

/** What the measurement of one operator in one layer context offers its ranking. */
export interface OperatorEvidence {
  readonly operator: string;
  readonly flops: number;
  readonly params: number;
  /** The configured statistic of the measurement (`reduction.statistic`), ms. */
  readonly latencyMs: number;
  /** ≈95 % half-width of `latencyMs`, when the adapter reports one (resampled by the bootstrap of unpaired evidence). */
  readonly uncertaintyMs?: number | undefined;
  /** Per-round values (ms), set only when every operator of the context was measured in the same rounds. */
  readonly rounds?: readonly number[] | undefined;
}

/** How operators are ranked, tied and kept. */
export interface RankingOptions {
  /** Operators kept per layer. */
  readonly keep: number;
  /** Relative latency difference that always counts as a tie, however precise the measurement (e.g. 0.03). */
  readonly tieTolerance: number;
}

/** One operator's place in its context's ranking. */
export interface RankedEntry {
  readonly operator: string;
  readonly score: number;
  readonly latencyMs: number;
  readonly flops: number;
  readonly params: number;
  /** Index of its tie group when tied with a neighbour (ties are ordered by the tie-break), else null. */
  readonly tie: number | null;
}

/** Smallest latency a value counts as (a round measured as 0, below the call floor). */
const MIN_MS = 1e-6;

const median = (xs: readonly number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

/** True when the evidence of a context is paired: every operator has the same number (≥ 3) of rounds. */
export function isPaired(evidence: readonly OperatorEvidence[]): boolean {
  const n = evidence[0]?.rounds?.length ?? 0;
  return n >= 3 && evidence.every((e) => e.rounds?.length === n);
}

/** How much slower than its usual self (after the round's level) a value must be to count as disturbed. */
const DISTURBED = 1.5;

/**
 * Paired latencies over the rounds `idx`. A round's level is the median over the context's
 * operators of each one's value divided by its own median, so drift and load that slow a whole
 * round cancel, and a burst that hits a few operators does not move it. A value more than
 * {@link DISTURBED}× its operator's median after the level is a disturbed slot (a burst of other
 * load) and is left out. An operator's latency is the median of its undisturbed, levelled values.
 */
function pairedLatencies(evidence: readonly OperatorEvidence[], idx: readonly number[]): number[] {
  const v = (e: OperatorEvidence, r: number) => Math.max(e.rounds?.[r] ?? 0, MIN_MS);
  const own = evidence.map((e) => median(idx.map((r) => v(e, r))));
  const levels = idx.map((r) => median(evidence.map((e, i) => v(e, r) / (own[i] as number))));
  return evidence.map((e, i) => {
    const levelled = idx.map((r, j) => v(e, r) / (levels[j] as number));
    const calm = levelled.filter((x) => x <= DISTURBED * (own[i] as number));
    return median(calm.length > 0 ? calm : levelled);
  });
}

/**
 * Ranks one context's operators by score, best first, with ties: walking down the score order,
 * each operator not yet placed opens a group, and the operators after it whose latency lies within
 * `tieTolerance` of its own (the run-to-run difference measured on a noisy machine: see
 * docs/profiling.md) join it. Within a group the order is the tie-break: the score's other terms
 * (the score at equal latency), then FLOPs and params (more capacity for the same time), then
 * name. Latencies are paired round by round when the context was measured in the same rounds.
 * `rounds` picks the rounds to use (a bootstrap resample); all by default.
 */
export function rankOperators(
  evidence: readonly OperatorEvidence[],
  scorer: ScoringFunction,
  o: RankingOptions,
  rounds?: readonly number[],
): RankedEntry[] {
  const paired = isPaired(evidence);
  const idx = paired ? (rounds ?? (evidence[0]?.rounds ?? []).map((_, r) => r)) : null;
  const lat = idx ? pairedLatencies(evidence, idx) : evidence.map((e) => e.latencyMs);
  const scoreOf = (i: number, latencyMs: number) => {
    const e = evidence[i] as OperatorEvidence;
    return scorer.score({ operator: e.operator, flops: e.flops, params: e.params, latencyMs: Math.max(latencyMs, MIN_MS) });
  };
  const order = evidence.map((_, i) => i).sort((a, b) => scoreOf(b, lat[b] as number) - scoreOf(a, lat[a] as number) || a - b);
  const tolerance = Math.log1p(o.tieTolerance);
  // tied when moving each latency half the tolerance towards the other reverses the order of the scores
  const tied = (a: number, b: number) =>
    scoreOf(a, (lat[a] as number) * Math.exp(tolerance / 2)) <= scoreOf(b, (lat[b] as number) * Math.exp(-tolerance / 2));
  const capacity = (i: number) => scoreOf(i, 1);
  const tieBreak = (a: number, b: number) => {
    const ea = evidence[a] as OperatorEvidence;
    const eb = evidence[b] as OperatorEvidence;
    return capacity(b) - capacity(a) || eb.flops - ea.flops || eb.params - ea.params || (ea.operator < eb.operator ? -1 : 1);
  };
  const out: RankedEntry[] = [];
  let groups = 0;
  for (let i = 0; i < order.length; ) {
    const anchor = order[i] as number;
    let j = i + 1;
    while (j < order.length && tied(anchor, order[j] as number)) j++;
    const group = order.slice(i, j).sort(tieBreak);
    const tie = group.length > 1 ? groups++ : null;
    for (const k of group) {
      const e = evidence[k] as OperatorEvidence;
      out.push({
        operator: e.operator,
        score: scoreOf(k, lat[k] as number),
        latencyMs: lat[k] as number,
        flops: e.flops,
        params: e.params,
        tie,
      });
    }
    i = j;
  }
  return out;
}

/**
 * How often each operator stays in the top `keep` when the context is measured again, estimated by
 * a seeded bootstrap: `resamples` times, the rounds are drawn with replacement (paired evidence) or
 * each latency is drawn from a normal of its reported uncertainty, and the ranking with ties is
 * done again. Null when the evidence has neither rounds nor uncertainties (nothing to resample).
 */
export function keepConfidence(
  evidence: readonly OperatorEvidence[],
  scorer: ScoringFunction,
  o: RankingOptions & { readonly resamples: number; readonly seed: number },
): Map<string, number> | null {
  const paired = isPaired(evidence);
  if (!paired && !evidence.some((e) => (e.uncertaintyMs ?? 0) > 0)) return null;
  const rng = new Rng(o.seed);
  const count = new Map(evidence.map((e) => [e.operator, 0]));
  const n = evidence[0]?.rounds?.length ?? 0;
  for (let b = 0; b < o.resamples; b++) {
    const ranked = paired
      ? rankOperators(
          evidence,
          scorer,
          o,
          Array.from({ length: n }, () => rng.int(0, n - 1)),
        )
      : rankOperators(
          evidence.map((e) => ({ ...e, latencyMs: Math.max(e.latencyMs + rng.normal(0, (e.uncertaintyMs ?? 0) / 1.96), MIN_MS) })),
          scorer,
          o,
        );
    for (const r of ranked.slice(0, o.keep)) count.set(r.operator, (count.get(r.operator) ?? 0) + 1);
  }
  return new Map([...count].map(([op, c]) => [op, c / o.resamples]));
}
