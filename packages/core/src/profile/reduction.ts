import { graphCost } from '../space/analytics.js';
import { layerContexts, operatorGraph, type Backbone } from '../space/backbone.js';
import type { ScoringFunction } from '../contracts/scoring-function.js';

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
  /** Per layer: `kept` plus `exploring` when there is one. */
  readonly candidates: readonly (readonly string[])[];
  /** Each layer's best-scored operator: the initial winner `a_win` (Algorithm 1 line 2). */
  readonly initialArch: readonly string[];
}

/**
 * Scores every allowed operator of every layer with `scorer` (FLOPs and params of the operator in
 * the layer's context, latency from `latencyOf`), keeps the top `keep` per layer and, for the last
 * `exploringLayers` layers, the operator ranked `exploringIndex` as well.
 */
export function reduceSpace(
  backbone: Backbone,
  latencyOf: (operator: string, contextId: string) => number | undefined,
  scorer: ScoringFunction,
  meta: Pick<ReducedSpace, 'adapterId' | 'device' | 'deviceFingerprint' | 'runtimeVersion' | 'scoring'>,
  options: ReductionOptions,
): ReducedSpace {
  if (!(options.keep >= 1)) throw new RangeError(`reduction.keep must be ≥ 1, got ${options.keep}`);
  if (!(options.exploringIndex >= options.keep))
    throw new RangeError(`reduction.exploringIndex must be ≥ keep (${options.keep}), got ${options.exploringIndex}`);
  const ctxs = layerContexts(backbone);
  const missing = new Set<string>();
  const costs = new Map<string, { flops: number; params: number }>();
  const layers: ReducedLayer[] = ctxs.map((ctx) => {
    const ranking = backbone.operators
      .map((operator, order) => {
        const latencyMs = latencyOf(operator, ctx.contextId);
        if (latencyMs === undefined) {
          missing.add(`${operator}@${ctx.contextId}`);
          return null;
        }
        const key = `${operator}@${ctx.contextId}`;
        let cost = costs.get(key);
        if (!cost) {
          const c = graphCost(operatorGraph(operator, ctx));
          cost = { flops: c.flops, params: c.params };
          costs.set(key, cost);
        }
        // A latency measured as 0 (below the call floor) scores as the smallest positive time.
        const score = scorer.score({ operator, ...cost, latencyMs: Math.max(latencyMs, 1e-6) });
        return { operator, score, latencyMs, ...cost, order };
      })
      .filter((r): r is RankedOperator & { order: number } => r !== null)
      .sort((a, b) => b.score - a.score || a.order - b.order)
      .map(({ order: _, ...r }) => r);
    const kept = ranking.slice(0, options.keep).map((r) => r.operator);
    const isLast = ctx.layer >= ctxs.length - options.exploringLayers;
    const exploring = isLast ? (ranking[options.exploringIndex]?.operator ?? null) : null;
    return { layer: ctx.layer, stage: ctx.stage, contextId: ctx.contextId, ranking, kept, exploring };
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
    candidates: layers.map((l) => (l.exploring ? [...l.kept, l.exploring] : [...l.kept])),
    initialArch: layers.map((l) => l.kept[0] as string),
  };
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
    `| stage | layers | input | C_in→C_out | stride | kept operators (best first, ${space.options.statistic} latency) | exploring |`,
  );
  rows.push('|---|---|---|---|---|---|---|');
  let i = 0;
  while (i < space.layers.length) {
    const first = space.layers[i] as ReducedLayer;
    let j = i;
    while (j + 1 < space.layers.length) {
      const next = space.layers[j + 1] as ReducedLayer;
      if (next.contextId !== first.contextId || next.exploring !== first.exploring || next.kept.join() !== first.kept.join()) break;
      j++;
    }
    const c = ctxs[first.layer];
    if (!c) throw new Error('unreachable');
    const kept = first.kept
      .map((op) => `${op} (${(first.ranking.find((r) => r.operator === op)?.latencyMs ?? 0).toFixed(4)} ms)`)
      .join(', ');
    const layersText = i === j ? `${i + 1}` : `${i + 1}–${j + 1}`;
    rows.push(
      `| ${first.stage + 1} | ${layersText} | ${c.h}x${c.w} | ${c.cin}→${c.cout} | ${c.stride} | ${kept} | ${first.exploring ?? '—'} |`,
    );
    i = j + 1;
  }
  const choices = space.candidates.reduce((a, c) => a + c.length, 0);
  rows.push('');
  rows.push(`${choices} choices in ${space.layers.length} layers; initial architecture: ${space.initialArch.join(',')}`);
  return rows.join('\n');
}
