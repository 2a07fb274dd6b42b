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
  /**
   * Per session, per round (ms), when the operator was measured in several sessions side by side
   * and `rounds` is the fastest of them each round: the bootstrap then draws the sessions too.
   */
  readonly sessions?: readonly (readonly number[])[] | undefined;
}

/** How operators are ranked, tied and kept. */
export interface RankingOptions {
  /** Operators kept per layer. */
  readonly keep: number;
  /** Relative latency difference that always counts as a tie, however precise the measurement (e.g. 0.03). */
  readonly tieTolerance: number;
  /** The statistic of paired evidence's levelled values (default `median`). */
  readonly statistic?: PairedStatistic | undefined;
  /**
   * Per pair of operators (indices into the evidence), the standard deviation of the log of their
   * latency ratio when the context is measured again ({@link pairSpread}); with `tieSpread`, two
   * operators whose log ratio is within `tieSpread` of these are tied as well.
   */
  readonly spread?: ((a: number, b: number) => number) | undefined;
  /** How many standard deviations of the measured spread a difference must exceed not to be a tie (0: off). */
  readonly tieSpread?: number | undefined;
  /**
   * The order within a tie group: `estimate` (default) keeps the order of the measured scores, so
   * ties are marked but do not move the kept set; `capacity` orders a group by the score's other
   * terms, then FLOPs, params and name.
   */
  readonly tieBreak?: 'estimate' | 'capacity' | undefined;
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

/** A statistic of the levelled values: the 10th percentile, the median or the mean. */
function statisticOf(xs: readonly number[], statistic: PairedStatistic): number {
  const sorted = [...xs].sort((a, b) => a - b);
  if (statistic === 'mean') return sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return percentile(sorted, statistic === 'p10' ? 10 : 50);
}

/** The statistic a paired latency takes of an operator's levelled values (`reduction.statistic`). */
export type PairedStatistic = 'p10' | 'median' | 'mean';

/**
 * Paired latencies over the rounds `idx`. A round's level is the median over the context's
 * operators of each one's value divided by its own median, so drift and load that slow a whole
 * round cancel, and a burst that hits a few operators does not move it. Every value is divided by
 * its round's level: the round values, or, where the operator was measured in several sessions,
 * every session's value of the round. A levelled value more than {@link DISTURBED}× its operator's
 * median is a disturbed slot (a burst of other load) and is left out. An operator's latency is
 * `statistic` of its undisturbed, levelled values.
 */
function pairedLatencies(evidence: readonly OperatorEvidence[], idx: readonly number[], statistic: PairedStatistic): number[] {
  const v = (e: OperatorEvidence, r: number) => Math.max(e.rounds?.[r] ?? 0, MIN_MS);
  const own = evidence.map((e) => median(idx.map((r) => v(e, r))));
  const levels = idx.map((r) => median(evidence.map((e, i) => v(e, r) / (own[i] as number))));
  return evidence.map((e, i) => {
    const perSession = sessionsOf(e, e.rounds?.length ?? 0);
    const levelled = perSession
      ? perSession.flatMap((s) => idx.map((r, j) => Math.max(s[r] as number, MIN_MS) / (levels[j] as number)))
      : idx.map((r, j) => v(e, r) / (levels[j] as number));
    const calm = levelled.filter((x) => x <= DISTURBED * (own[i] as number));
    return statisticOf(calm.length > 0 ? calm : levelled, statistic);
  });
}

/**
 * Ranks one context's operators by score, best first, with ties: walking down the score order,
 * each operator not yet placed opens a group, and the operators after it whose latency lies within
 * `tieTolerance` of its own, or within `tieSpread` standard deviations of the pair's measured
 * `spread`, join it. Within a group the order is the measured one (`tieBreak: estimate`), or with
 * `tieBreak: capacity` the score's other terms (the score at equal latency), then FLOPs and params
 * (more capacity for the same time), then name. Latencies are paired round by round when the
 * context was measured in the same rounds. `rounds` picks the rounds to use (a bootstrap
 * resample); all by default.
 */
export function rankOperators(
  evidence: readonly OperatorEvidence[],
  scorer: ScoringFunction,
  o: RankingOptions,
  rounds?: readonly number[],
): RankedEntry[] {
  const paired = isPaired(evidence);
  const idx = paired ? (rounds ?? (evidence[0]?.rounds ?? []).map((_, r) => r)) : null;
  const lat = idx ? pairedLatencies(evidence, idx, o.statistic ?? 'median') : evidence.map((e) => e.latencyMs);
  const scoreOf = (i: number, latencyMs: number) => {
    const e = evidence[i] as OperatorEvidence;
    return scorer.score({ operator: e.operator, flops: e.flops, params: e.params, latencyMs: Math.max(latencyMs, MIN_MS) });
  };
  const order = evidence.map((_, i) => i).sort((a, b) => scoreOf(b, lat[b] as number) - scoreOf(a, lat[a] as number) || a - b);
  const fixed = Math.log1p(o.tieTolerance);
  const width = (a: number, b: number) => Math.max(fixed, o.spread && o.tieSpread ? o.tieSpread * o.spread(a, b) : 0);
  // tied when moving each latency half the width towards the other reverses the order of the scores
  const tied = (a: number, b: number) =>
    scoreOf(a, (lat[a] as number) * Math.exp(width(a, b) / 2)) <= scoreOf(b, (lat[b] as number) * Math.exp(-width(a, b) / 2));
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
    const group = o.tieBreak === 'capacity' ? order.slice(i, j).sort(tieBreak) : order.slice(i, j);
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
 * a seeded bootstrap: `resamples` times, the evidence is drawn again and the ranking with ties is
 * done again.
 * - Paired evidence: the rounds are drawn with replacement (the same rounds for every operator, so
 *   they stay paired). Where an operator was measured in several sessions, its sessions are drawn
 *   with replacement first and each round's value is the fastest drawn session's: a new profile
 *   opens new sessions, and a session has a speed of its own that no number of rounds averages out
 *   (on the host measured, the spread between sessions was 4× the rounds' standard error).
 * - Unpaired evidence: each latency is drawn from a normal of its reported uncertainty.
 * Null when the evidence has neither rounds nor uncertainties (nothing to resample).
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
    const drawn = paired ? drawPaired(evidence, n, rng) : null;
    const ranked = drawn
      ? rankOperators(drawn.evidence, scorer, o, drawn.rounds)
      : rankOperators(
          evidence.map((e) => ({ ...e, latencyMs: Math.max(e.latencyMs + rng.normal(0, (e.uncertaintyMs ?? 0) / 1.96), MIN_MS) })),
          scorer,
          o,
        );
    for (const r of ranked.slice(0, o.keep)) count.set(r.operator, (count.get(r.operator) ?? 0) + 1);
  }
  return new Map([...count].map(([op, c]) => [op, c / o.resamples]));
}

/**
 * How much the log latency ratio of each pair of operators moves when the context is measured
 * again, by the same seeded bootstrap as {@link keepConfidence} (rounds drawn for all, sessions per
 * operator): per pair, the standard deviation over `resamples` of the log of their paired latency
 * ratio. Null when the evidence is not paired.
 */
export function pairSpread(
  evidence: readonly OperatorEvidence[],
  o: { readonly statistic?: PairedStatistic | undefined; readonly resamples: number; readonly seed: number },
): ((a: number, b: number) => number) | null {
  if (!isPaired(evidence) || o.resamples < 2) return null;
  const rng = new Rng(o.seed);
  const n = evidence[0]?.rounds?.length ?? 0;
  const logs: number[][] = [];
  for (let b = 0; b < o.resamples; b++) {
    const drawn = drawPaired(evidence, n, rng);
    const lat = pairedLatencies(drawn.evidence, drawn.rounds, o.statistic ?? 'median');
    logs.push(lat.map((l) => Math.log(Math.max(l, MIN_MS))));
  }
  const memo = new Map<number, number>();
  return (a, b) => {
    const key = Math.min(a, b) * evidence.length + Math.max(a, b);
    let sd = memo.get(key);
    if (sd === undefined) {
      const d = logs.map((l) => (l[a] as number) - (l[b] as number));
      const mean = d.reduce((x, y) => x + y, 0) / d.length;
      sd = Math.sqrt(d.reduce((x, y) => x + (y - mean) ** 2, 0) / (d.length - 1));
      memo.set(key, sd);
    }
    return sd;
  };
}

/** An operator's per-session values when there are several, each with one value per round of its `rounds`; else null. */
function sessionsOf(e: OperatorEvidence, rounds: number): readonly (readonly number[])[] | null {
  const s = e.sessions;
  return s && s.length > 1 && s.every((x) => x.length === rounds) ? s : null;
}

/**
 * One bootstrap draw of paired evidence: per operator its sessions, with replacement (each round's
 * value then the fastest drawn session's), and then `rounds` round indices, with replacement, shared
 * by every operator so that they stay paired.
 */
function drawPaired(evidence: readonly OperatorEvidence[], rounds: number, rng: Rng): { evidence: OperatorEvidence[]; rounds: number[] } {
  const drawn = evidence.map((e) => withDrawnSessions(e, rounds, rng));
  return { evidence: drawn, rounds: Array.from({ length: rounds }, () => rng.int(0, rounds - 1)) };
}

/** `e` with its sessions drawn with replacement and its per-round values (the fastest drawn session's) taken again; unchanged without sessions. */
function withDrawnSessions(e: OperatorEvidence, rounds: number, rng: Rng): OperatorEvidence {
  const s = sessionsOf(e, rounds);
  if (!s) return e;
  const drawn = s.map(() => s[rng.int(0, s.length - 1)] as readonly number[]);
  return { ...e, sessions: drawn, rounds: Array.from({ length: rounds }, (_, r) => Math.min(...drawn.map((x) => x[r] as number))) };
}
