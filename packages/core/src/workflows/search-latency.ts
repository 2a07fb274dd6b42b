// The latency models a search answers to, from its run folder: the fitted predictor over the
// reduced space, or for the SPOS baseline the lookup table calibrated on the measured data set;
// and the budget, recorded once.
import { readFileSync } from 'node:fs';
import { type LatencyModel, lookupLatencyModel, predictorLatencyModel } from '../predict/latency-model.js';
import { readPredictorFile, restorePredictor } from '../predict/predictor-file.js';
import { operatorLatencies } from '../profile/latency-store.js';
import type { ReducedSpace } from '../profile/reduction.js';
import { HurricaneError } from '../errors.js';
import { LatencyConstraint, admittedShare, autoBudget } from '../search/latency-constraint.js';
import type { Constraint, CostLimit } from '../search/constraint.js';
import { LimitSet } from '../search/limit-set.js';
import { type Backbone, layerContexts, layerList, skipLayersEnabled, skipLayersOf } from '../space/backbone.js';
import { architectureCosts } from '../space/inspect.js';
import type { CoreConfig } from '../config/schema.js';
import { SKIP } from '../space/operators.js';
import { iterationSpace } from '../search/coordinate-ascent.js';
import type { SearchSpace } from '../search/search-space.js';
import { openLatencyStore } from './profile-run.js';
import { type RunContext, step } from './search-context.js';

/** Whether the run is the SPOS baseline over every operator (`search.baselineSpace: full`), which the reduced space's predictor cannot encode. */
function fullBaseline(c: RunContext): boolean {
  const sc = c.session.config.core.search;
  return sc.baseline && sc.baselineSpace === 'full';
}

/** The predictor the predictor phase fitted, over the reduced space's encoding. */
export function predictorModel(c: RunContext, space: ReducedSpace): LatencyModel {
  const file = c.run.file('predictor.json');
  return predictorLatencyModel(restorePredictor(file, readPredictorFile(file), c.session.predictorFactories()), space);
}

/** The latency model the search answers to: the predictor on the reduced space, the calibrated lookup table for the baseline. */
export function latencyModelOf(c: RunContext, space: ReducedSpace): LatencyModel {
  if (!fullBaseline(c)) return predictorModel(c, space);
  const store = openLatencyStore(c.session);
  try {
    const hw = { adapterId: space.adapterId, deviceFingerprint: space.deviceFingerprint, runtimeVersion: space.runtimeVersion };
    const ops = operatorLatencies(store, hw);
    const contexts = layerContexts(c.backbone);
    const meta = JSON.parse(readFileSync(c.run.file('predictor-dataset.meta.json'), 'utf8')) as { architectures: string[] };
    const measured = meta.architectures.map((a) => {
      const m = store.getNetwork({ ...hw, preset: c.backbone.name, arch: a }, 0);
      if (!m) throw new HurricaneError(`the latency store lost network ${a}: run the search again with --from dataset`);
      return { arch: a.split(','), latencyMs: m.medianMs };
    });
    return lookupLatencyModel((l, op) => {
      const v = ops.get(`${op}@${contexts[l]?.contextId}`);
      if (v === undefined)
        throw new HurricaneError(`the profile has no latency of ${op} in layer ${l}: run the search with --from profile`);
      return v;
    }, measured);
  } finally {
    store.close();
  }
}

const pct = (share: number) => `${(share * 100).toFixed(1)} %`;

/** What `budgetMs: auto` takes the median of. */
const AUTO_BUDGET = {
  hurricane: "the median predicted latency of the first step's sub-space",
  baseline: 'the median predicted latency of the reduced space',
} as const;

/** The budget the run answers to (recorded once, `search:budget`), and the share of the searched space it admits. */
export interface RunBudget {
  /** The latency limit in ms (absent when `search.constraints` has none). */
  readonly budgetMs?: number;
  /** The exact cost limits of `search.constraints` (absent when there are none). */
  readonly costLimits?: readonly CostLimit[];
  /** Share (0–1) of 1,000 seeded uniform samples of the searched space that the constraint admits (absent in runs recorded before it). */
  readonly admitted?: number;
  /** Share (0–1) the constraint admits of the first step's sub-space (absent in runs recorded before it). */
  readonly admittedFirstStep?: number;
}

/**
 * Each layer's candidates the search draws from: the reduced space's (HURRICANE, and the SPOS
 * baseline with `search.baselineSpace: reduced`), or for the full SPOS baseline every operator (and
 * Skip where `reduction.skip` offers it).
 */
export function searchedCandidates(c: RunContext, space: ReducedSpace): (readonly string[])[] {
  if (!fullBaseline(c)) return [...space.candidates];
  const skip = skipLayersEnabled(c.backbone, c.session.config.core.reduction.skip);
  return layerContexts(c.backbone).map((ctx) => [...c.backbone.operators, ...(skip.includes(ctx.layer) ? [SKIP] : [])]);
}

/** What the unreachable-budget message says about Skip: the config key and the layers that can take it. */
export function skipRemedy(backbone: Backbone, setting: boolean | readonly number[]): string {
  const can = skipLayersOf(backbone);
  if (can.length === 0)
    return `the skip operator cannot help: no layer of the '${backbone.name}' backbone has equal input and output shapes`;
  const enabled = skipLayersEnabled(backbone, setting);
  if (enabled.length === can.length) return 'Skip is already offered in every layer that can take it (reduction.skip)';
  return `offer the skip operator of the paper's Appendix B (reduction.skip: true, or a list of layers; Skip can take layers ${layerList(can)}, counting from 1${enabled.length > 0 ? `; it is offered now in ${layerList(enabled)}` : ''})`;
}

/** The limits a run's config sets: `search.constraints`, or the one latency limit of `search.budgetMs` and `search.confidence`. */
export interface RunLimits {
  readonly latency: { readonly max: 'auto' | number; readonly confidence?: number } | null;
  readonly costs: readonly CostLimit[];
}

/** The limits of the `search` block (the schema has already refused `budgetMs` beside `constraints`). */
export function runLimits(sc: CoreConfig['search']): RunLimits {
  if (!sc.constraints)
    return { latency: { max: sc.budgetMs, ...(sc.confidence !== undefined ? { confidence: sc.confidence } : {}) }, costs: [] };
  let latency: RunLimits['latency'] = null;
  const costs: CostLimit[] = [];
  for (const l of sc.constraints)
    if (l.metric === 'latency') latency = { max: l.max, ...(l.confidence !== undefined ? { confidence: l.confidence } : {}) };
    else costs.push({ metric: l.metric, max: l.max });
  return { latency, costs };
}

/**
 * The run's constraint: the latency budget `budgetMs` (with the configured confidence and the skip
 * remedy) alone, as the paper has it, or with the exact cost limits of `search.constraints`.
 */
export function runConstraint(c: RunContext, space: ReducedSpace, budgetMs: number | undefined): Constraint {
  const core = c.session.config.core;
  const limits = runLimits(core.search);
  const model = latencyModelOf(c, space);
  const remedy = skipRemedy(c.backbone, core.reduction.skip);
  const latency =
    budgetMs === undefined
      ? undefined
      : new LatencyConstraint(model, {
          budgetMs,
          ...(limits.latency?.confidence !== undefined ? { confidence: limits.latency.confidence } : {}),
          skipRemedy: remedy,
        });
  if (latency && limits.costs.length === 0) return latency;
  return new LimitSet({
    ...(latency ? { latency } : {}),
    ...{ model, limits: limits.costs, costsOf: architectureCosts(c.backbone), remedy },
  });
}

/** How the limits read in the log, e.g. "latency ≤ 0.2 ms, params ≤ 150000". */
function limitsLine(budgetMs: number | undefined, costs: readonly CostLimit[]): string {
  return [...(budgetMs !== undefined ? [`latency ≤ ${budgetMs} ms`] : []), ...costs.map((l) => `${l.metric} ≤ ${l.max}`)].join(', ');
}

/** `a_win` at the start: each layer's best-scored operator, or for the SPOS baseline each layer's first candidate. */
export function initialArchitecture(c: RunContext, space: ReducedSpace): string[] {
  return c.session.config.core.search.baseline ? searchedCandidates(c, space).map((ops) => ops[0] as string) : [...space.initialArch];
}

/**
 * The sub-space the search's first step draws from: for HURRICANE the layers t..n−1 over the reduced
 * space's candidates with the others fixed to each layer's best-scored operator; for the SPOS
 * baseline every layer at once.
 */
export function firstStepSpace(c: RunContext, space: ReducedSpace): SearchSpace {
  const { t, baseline } = c.session.config.core.search;
  return iterationSpace({ candidates: searchedCandidates(c, space), options: { t, baseline } }, 1, initialArchitecture(c, space));
}

/** The latency budget (recorded once, `search:budget`; absent when the run has no latency limit). */
export async function budgetOf(c: RunContext, space: ReducedSpace): Promise<number | undefined> {
  return (await runBudget(c, space)).budgetMs;
}

/** The latency budget `budgetMs: auto` or the configured one, or none. */
function latencyBudget(c: RunContext, space: ReducedSpace, latency: RunLimits['latency']): number | undefined {
  if (!latency) return undefined;
  if (latency.max !== 'auto') return latency.max;
  // auto: the median of what the first step draws (the baseline keeps the reduced space's, as Table 3 compares the two at one budget)
  const from = c.session.config.core.search.baseline ? space.candidates : firstStepSpace(c, space);
  return autoBudget(from, predictorModel(c, space), c.session.config.core.seed);
}

/** {@link budgetOf} with the cost limits and the share of the space the limits admit together; warns when that share is (nearly) all of it. */
export async function runBudget(c: RunContext, space: ReducedSpace): Promise<RunBudget> {
  const sc = c.session.config.core.search;
  const seed = c.session.config.core.seed;
  return step(c, 'search:budget', async () => {
    const limits = runLimits(sc);
    const budgetMs = latencyBudget(c, space, limits.latency);
    const constraint = runConstraint(c, space, budgetMs);
    const admitted = admittedShare(searchedCandidates(c, space), constraint, seed);
    const admittedFirstStep = admittedShare(firstStepSpace(c, space), constraint, seed);
    const auto = limits.latency?.max === 'auto';
    const how = auto ? ` (auto: ${AUTO_BUDGET[sc.baseline ? 'baseline' : 'hurricane']}; set search.budgetMs to choose one)` : '';
    const shares = `${pct(admitted)} of the searched space and ${pct(admittedFirstStep)} of the first step's sub-space`;
    if (limits.costs.length === 0) c.log(`latency budget: ${budgetMs} ms${how}; it admits ${shares}`);
    else c.log(`limits: ${limitsLine(budgetMs, limits.costs)}${how}; together they admit ${shares}`);
    if (admittedFirstStep >= 0.99)
      c.log(
        limits.costs.length === 0
          ? `WARNING: the latency budget of ${budgetMs} ms admits ${pct(admittedFirstStep)} of the first step's sub-space, so the constraint rejects almost nothing there: lower search.budgetMs${auto ? ' (auto took the median of near-identical predictions: check the predictor)' : ''}`
          : `WARNING: the limits (${limitsLine(budgetMs, limits.costs)}) admit ${pct(admittedFirstStep)} of the first step's sub-space, so they reject almost nothing there: lower them in search.constraints`,
      );
    return {
      ...(budgetMs !== undefined ? { budgetMs } : {}),
      ...(limits.costs.length > 0 ? { costLimits: limits.costs } : {}),
      ...{ admitted, admittedFirstStep },
    };
  });
}
