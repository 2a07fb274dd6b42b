import { graphCost } from '../space/analytics.js';
import { layerContexts, operatorGraph, skipLayersEnabled, type Backbone, type LayerContext } from '../space/backbone.js';
import { SKIP } from '../space/operators.js';
import type { ScoringFunction } from '../contracts/scoring-function.js';
import type { MeasurementFallback, MeasurementRounds } from '../contracts/hardware-adapter.js';
import { type OperatorEvidence, isPaired, keepConfidence, pairSpread, rankOperators } from './operator-ranking.js';

/** How many operators each layer keeps (docs/method.md §2, Algorithm 1 lines 1–5). */
export interface ReductionOptions {
  /** Top operators kept per layer (paper: 4). */
  readonly keep: number;
  /** 0-based rank of the exploring operator added to the last layers (paper: 10, the 11th best). */
  readonly exploringIndex: number;
  /** How many of the last layers get an exploring operator (paper: 4). */
  readonly exploringLayers: number;
  /** The statistic of each measurement that is scored (`p10`: noise on a shared machine only adds time). */
  readonly statistic: 'p10' | 'median' | 'mean';
  /** Relative latency difference that always counts as a tie (default {@link DEFAULT_TIES}). */
  readonly tieTolerance?: number;
  /** Bootstrap resamples behind each kept operator's confidence (0: none). */
  readonly bootstrap?: number;
  /** Ties also within this many standard deviations of each pair's measured spread (paired contexts; 0: off). */
  readonly tieSpread?: number;
  /** The order within a tie: the measured order (`estimate`) or the score's other terms, FLOPs, params, name (`capacity`). */
  readonly tieBreak?: 'estimate' | 'capacity';
  /** A layer whose kept operators stay in the top `keep` in fewer of the resamples than this is unstable. */
  readonly minConfidence?: number;
  /** `reduction.skip`: the layers (counting from 1) where Skip joins the candidates, `true` for every one that can take it. */
  readonly skip?: boolean | readonly number[];
}

/** Defaults of the tie and confidence options (`reduction.tieTolerance`, `tieSpread`, `tieBreak`, `bootstrap`, `minConfidence`). */
export const DEFAULT_TIES = { tieTolerance: 0.03, tieSpread: 2, tieBreak: 'estimate', bootstrap: 200, minConfidence: 0.9 } as const;

/** What the store offers about one operator in one context: its latency, and how sure it is. */
export interface LatencyEvidence {
  /** The configured statistic, ms. */
  readonly latencyMs: number;
  readonly uncertaintyMs?: number | undefined;
  readonly rounds?: MeasurementRounds | undefined;
  /** Layers of the operator that ran on another processor than the one measured. */
  readonly fallback?: MeasurementFallback | undefined;
}

/** The figure of a measurement that {@link ReductionOptions.statistic} names. */
export function latencyStatistic(
  m: { readonly p10Ms: number; readonly medianMs: number; readonly meanMs: number },
  statistic: ReductionOptions['statistic'],
): number {
  return statistic === 'p10' ? m.p10Ms : statistic === 'median' ? m.medianMs : m.meanMs;
}

/** One operator's place in its layer's ranking. */
export interface RankedOperator {
  readonly operator: string;
  readonly score: number;
  readonly latencyMs: number;
  readonly flops: number;
  readonly params: number;
  /** Tie group (operators whose difference is within the measured uncertainty), ordered by the tie-break; null when not tied. */
  readonly tie?: number | null;
  /** Layers of this operator that fell back to another processor when it was measured (its latency is a mix). */
  readonly fallback?: MeasurementFallback;
}

/** One layer of the reduced space. */
export interface ReducedLayer {
  readonly layer: number;
  readonly stage: number;
  readonly contextId: string;
  /** Every candidate, best score first (ties: the space's operator order). */
  readonly ranking: readonly RankedOperator[];
  /** The top `keep` operators, best first (`O*_l`). */
  readonly kept: readonly string[];
  /** The exploring operator `O'_l[e]` of the last layers, or null (not a last layer, or fewer candidates than `e + 1`). */
  readonly exploring: string | null;
  /** Whether the context's operators were measured in the same rounds (paired ranking). */
  readonly paired?: boolean;
  /** Per kept operator: the share of bootstrap resamples that keep it in the top `keep`; null when nothing could be resampled. */
  readonly confidence?: Readonly<Record<string, number>> | null;
  /** True when a kept operator's confidence is below `minConfidence`: more rounds of this context would settle it. */
  readonly unstable?: boolean;
  /** Skip's profiled latency when `reduction.skip` offers it in this layer (absent: not offered). */
  readonly skip?: { readonly latencyMs: number };
}

/** The per-hardware search space: what later phases search over (`space.json`). */
export interface ReducedSpace {
  readonly format: 'hurricane-space';
  readonly version: 1;
  readonly preset: string;
  readonly adapterId: string;
  readonly device: string;
  readonly deviceFingerprint: string;
  readonly runtimeVersion: string;
  readonly scoring: { readonly name: string; readonly alpha: number; readonly beta: number };
  readonly options: ReductionOptions;
  readonly layers: readonly ReducedLayer[];
  /** Per layer: `kept`, plus `exploring` when there is one, plus Skip where `reduction.skip` offers it. */
  readonly candidates: readonly (readonly string[])[];
  /** Each layer's best-scored operator: the initial winner `a_win` (Algorithm 1 line 2). */
  readonly initialArch: readonly string[];
}

/**
 * Scores every allowed operator of every layer with `scorer` (FLOPs and params of the operator in
 * the layer's context, latency from `latencyOf`), ranks them with ties ({@link rankOperators}: paired
 * round by round when the context's operators were measured in the same rounds), keeps the top `keep`
 * per layer with each one's bootstrap confidence, and, for the last `exploringLayers` layers, the
 * operator ranked `exploringIndex` as well. A plain number from `latencyOf` is exact (no uncertainty).
 */
export function reduceSpace(
  backbone: Backbone,
  latencyOf: (operator: string, contextId: string) => number | LatencyEvidence | undefined,
  scorer: ScoringFunction,
  meta: Pick<ReducedSpace, 'adapterId' | 'device' | 'deviceFingerprint' | 'runtimeVersion' | 'scoring'>,
  options: ReductionOptions,
  seed = 0,
): ReducedSpace {
  if (!(options.keep >= 1)) throw new RangeError(`reduction.keep must be ≥ 1, got ${options.keep}`);
  if (!(options.exploringIndex >= options.keep))
    throw new RangeError(`reduction.exploringIndex must be ≥ keep (${options.keep}), got ${options.exploringIndex}`);
  const ctxs = layerContexts(backbone);
  const skipLayers = skipLayersEnabled(backbone, options.skip);
  const missing = new Set<string>();
  const byContext = new Map<string, Omit<ReducedLayer, 'layer' | 'stage' | 'exploring'>>();
  const layers: ReducedLayer[] = ctxs.map((ctx) => {
    let ranked = byContext.get(ctx.contextId);
    if (!ranked) {
      ranked = rankContext(backbone, ctx, latencyOf, scorer, options, seed, missing);
      byContext.set(ctx.contextId, ranked);
    }
    const isLast = ctx.layer >= ctxs.length - options.exploringLayers;
    const exploring = isLast ? (ranked.ranking[options.exploringIndex]?.operator ?? null) : null;
    const skip = skipLayers.includes(ctx.layer) ? skipEvidence(latencyOf, ctx.contextId, missing) : null;
    return { layer: ctx.layer, stage: ctx.stage, ...ranked, exploring, ...(skip ? { skip } : {}) };
  });
  if (missing.size > 0) {
    throw new RangeError(`${missing.size} operator latencies are missing (e.g. ${[...missing].slice(0, 3).join(', ')})`);
  }
  return {
    format: 'hurricane-space',
    version: 1,
    preset: backbone.name,
    ...meta,
    options,
    layers,
    candidates: layers.map((l) => [...l.kept, ...(l.exploring ? [l.exploring] : []), ...(l.skip ? [SKIP] : [])]),
    initialArch: layers.map((l) => l.kept[0] as string),
  };
}

/** Skip's latency in a context (the configured statistic), or null with the pair added to `missing`. */
function skipEvidence(
  latencyOf: (operator: string, contextId: string) => number | LatencyEvidence | undefined,
  contextId: string,
  missing: Set<string>,
): { latencyMs: number } | null {
  const got = latencyOf(SKIP, contextId);
  if (got === undefined) {
    missing.add(`${SKIP}@${contextId}`);
    return null;
  }
  return { latencyMs: typeof got === 'number' ? got : got.latencyMs };
}

/** One context's ranking, kept set and confidence; the missing latencies are added to `missing`. */
function rankContext(
  backbone: Backbone,
  ctx: LayerContext,
  latencyOf: (operator: string, contextId: string) => number | LatencyEvidence | undefined,
  scorer: ScoringFunction,
  options: ReductionOptions,
  seed: number,
  missing: Set<string>,
): Omit<ReducedLayer, 'layer' | 'stage' | 'exploring'> {
  const evidence: OperatorEvidence[] = [];
  const fellBack = new Map<string, MeasurementFallback>();
  const batches = new Set<string>();
  for (const operator of backbone.operators) {
    const got = latencyOf(operator, ctx.contextId);
    if (got === undefined) {
      missing.add(`${operator}@${ctx.contextId}`);
      continue;
    }
    const e = typeof got === 'number' ? { latencyMs: got } : got;
    if (e.fallback) fellBack.set(operator, e.fallback);
    const c = graphCost(operatorGraph(operator, ctx));
    batches.add(e.rounds?.batch ?? '');
    evidence.push({
      operator,
      flops: c.flops,
      params: c.params,
      latencyMs: e.latencyMs,
      uncertaintyMs: e.uncertaintyMs,
      rounds: e.rounds?.ms,
      sessions: e.rounds?.sessions,
    });
  }
  // rounds pair up only within one batch: a context measured in pieces is ranked on its statistics
  const usable = batches.size === 1 && !batches.has('') ? evidence : evidence.map(({ rounds: _, sessions: __, ...e }) => e);
  const base = { ...DEFAULT_TIES, ...options };
  const spread = base.tieSpread > 0 ? pairSpread(usable, { ...base, resamples: Math.max(base.bootstrap, 50), seed: seed + 1 }) : null;
  const o = { ...base, ...(spread ? { spread } : {}) };
  const ranking = rankOperators(usable, scorer, o).map((r) => {
    const f = fellBack.get(r.operator);
    return f ? { ...r, fallback: f } : r;
  });
  const kept = ranking.slice(0, options.keep).map((r) => r.operator);
  const all = o.bootstrap > 0 ? keepConfidence(usable, scorer, { ...o, resamples: o.bootstrap, seed }) : null;
  const confidence = all ? Object.fromEntries(kept.map((op) => [op, all.get(op) ?? 0])) : null;
  const unstable = confidence !== null && kept.some((op) => (confidence[op] ?? 0) < o.minConfidence);
  return { contextId: ctx.contextId, ranking, kept, paired: isPaired(usable), confidence, unstable };
}

/** The paper's Table 1 for one hardware: per stage and distinct context, the kept operators (Markdown). */
export function spaceTable(space: ReducedSpace, backbone: Backbone): string {
  const ctxs = layerContexts(backbone);
  const rows: string[] = [];
  rows.push(`### Search space for ${space.adapterId} (${space.device}), preset ${space.preset}`);
  rows.push('');
  rows.push(
    `Scoring: ${space.scoring.name} (α = ${space.scoring.alpha}, β = ${space.scoring.beta}); top ${space.options.keep} per layer, exploring operator = rank ${space.options.exploringIndex + 1} in the last ${space.options.exploringLayers} layers.`,
  );
  rows.push('');
  rows.push(
    `| stage | layers | input | C_in→C_out | stride | kept operators (best first, ${space.options.statistic} latency${space.layers.some((l) => l.confidence) ? ', bootstrap confidence' : ''}; ≈ tied) | exploring${space.layers.some((l) => l.skip) ? ' + skip' : ''} |`,
  );
  rows.push('|---|---|---|---|---|---|---|');
  let i = 0;
  while (i < space.layers.length) {
    const first = space.layers[i] as ReducedLayer;
    let j = i;
    while (j + 1 < space.layers.length) {
      const next = space.layers[j + 1] as ReducedLayer;
      const same = next.exploring === first.exploring && next.kept.join() === first.kept.join() && !next.skip === !first.skip;
      if (next.contextId !== first.contextId || !same) break;
      j++;
    }
    const c = ctxs[first.layer];
    if (!c) throw new Error('unreachable');
    const kept = keptText(first, space.options.tieBreak ?? DEFAULT_TIES.tieBreak);
    const layersText = i === j ? `${i + 1}` : `${i + 1}–${j + 1}`;
    rows.push(`| ${first.stage + 1} | ${layersText} | ${c.h}x${c.w} | ${c.cin}→${c.cout} | ${c.stride} | ${kept} | ${extraText(first)} |`);
    i = j + 1;
  }
  const choices = space.candidates.reduce((a, c) => a + c.length, 0);
  rows.push('');
  rows.push(`${choices} choices in ${space.layers.length} layers; initial architecture: ${space.initialArch.join(',')}`);
  const fell = [...new Set(space.layers.flatMap((l) => l.ranking.filter((r) => r.fallback).map((r) => `${r.operator}@${l.contextId}`)))];
  if (fell.length > 0) {
    rows.push('');
    rows.push(
      `Fell back (some layers ran on another processor when measured, so the latency is a mix): ${fell.slice(0, 10).join(', ')}${fell.length > 10 ? ` and ${fell.length - 10} more` : ''}.`,
    );
  }
  const unstable = unstableContexts(space);
  if (unstable.length > 0) {
    rows.push('');
    rows.push(
      `Unstable kept sets (a kept operator in fewer than ${Math.round(100 * (space.options.minConfidence ?? DEFAULT_TIES.minConfidence))} % of the bootstrap resamples): ${unstable.map((u) => `${u.contextId} (${u.weakest})`).join(', ')}.`,
    );
  }
  return rows.join('\n');
}

/**
 * The kept operators of a layer as Table 1 shows them: latency and confidence, `≈` between tied
 * neighbours, and the operators a tie-break left out of the kept set.
 */
function keptText(layer: ReducedLayer, tieBreak: ReductionOptions['tieBreak']): string {
  const parts = layer.kept.map((op, i) => {
    const r = layer.ranking.find((x) => x.operator === op);
    const c = layer.confidence?.[op];
    const fell = r?.fallback ? `, ${fallbackText(r.fallback)}` : '';
    const text = `${op} (${(r?.latencyMs ?? 0).toFixed(4)} ms${c !== undefined ? `, ${Math.round(100 * c)} %` : ''}${fell})`;
    const prev = layer.ranking[i - 1];
    return i === 0 ? text : `${prev?.tie != null && prev.tie === r?.tie ? ' ≈ ' : ', '}${text}`;
  });
  const last = layer.ranking[layer.kept.length - 1];
  const left = layer.ranking.slice(layer.kept.length).filter((r) => last?.tie != null && r.tie === last.tie);
  const by = tieBreak === 'capacity' ? 'the tie-break' : 'the measured order';
  const tail = left.length > 0 ? ` (tied with ${left.map((r) => r.operator).join(', ')}, left out by ${by})` : '';
  return parts.join('') + tail;
}

/** Table 1's last column: the exploring operator and Skip (with its latency) where offered, or a dash. */
function extraText(layer: ReducedLayer): string {
  const parts = [...(layer.exploring ? [layer.exploring] : []), ...(layer.skip ? [`${SKIP} (${layer.skip.latencyMs.toFixed(4)} ms)`] : [])];
  return parts.length > 0 ? parts.join(' + ') : '—';
}

/** `layers 3, 7 on CPU`: where a measurement's fallen-back layers ran. */
function fallbackText(f: MeasurementFallback): string {
  const shown = f.layers.slice(0, 3).join(', ') + (f.layers.length > 3 ? ` and ${f.layers.length - 3} more` : '');
  return `${f.layers.length === 1 ? 'layer' : 'layers'} ${shown} on ${f.to}`;
}

/** Contexts whose kept set is unstable, each with its least confident kept operator. */
export function unstableContexts(space: ReducedSpace): { contextId: string; layers: number[]; weakest: string }[] {
  const out = new Map<string, { contextId: string; layers: number[]; weakest: string }>();
  for (const l of space.layers) {
    if (!l.unstable || !l.confidence) continue;
    const [op, c] = Object.entries(l.confidence).sort((a, b) => a[1] - b[1])[0] ?? ['?', 0];
    const u = out.get(l.contextId) ?? { contextId: l.contextId, layers: [], weakest: `${op} ${Math.round(100 * c)} %` };
    u.layers.push(l.layer);
    out.set(l.contextId, u);
  }
  return [...out.values()];
}
