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
import { type RunContext, otherTarget, step } from './search-context.js';
import type { HurricaneSession } from '../session/session.js';

/** Whether the run is the SPOS baseline over every operator (`search.baselineSpace: full`), which the reduced space's predictor cannot encode. */
function fullBaseline(c: RunContext): boolean {
  const sc = c.session.config.core.search;
  return sc.baseline && sc.baselineSpace === 'full';
}

/** The run folder's data set of target `s` (`predictor-dataset.csv` for the first target, `predictor-dataset-on-<name>.csv` for the others). */
export function datasetFile(c: RunContext, s: HurricaneSession = c.session): string {
  return s.target.name === c.session.target.name ? 'predictor-dataset.csv' : `predictor-dataset-on-${s.target.name}.csv`;
}

/** The run folder's predictor of target `s` (`predictor.json` for the first target, `predictor-on-<name>.json` for the others). */
export function predictorFile(c: RunContext, s: HurricaneSession = c.session): string {
  return s.target.name === c.session.target.name ? 'predictor.json' : `predictor-on-${s.target.name}.json`;
}

/** The predictor the predictor phase fitted for target `s` (default the first), over the reduced space's encoding. */
export function predictorModel(c: RunContext, space: ReducedSpace, s: HurricaneSession = c.session): LatencyModel {
  const file = c.run.file(predictorFile(c, s));
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
  /** The latency limit in ms on the run's first target (absent when `search.constraints` has none). */
  readonly budgetMs?: number;
  /** The latency limits on the other targets of a search on several (absent for one target). */
  readonly targets?: readonly TargetBudget[];
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

/** A latency limit as configured: ms or `auto`, with an optional confidence. */
export interface LatencyLimit {
  readonly max: 'auto' | number;
  readonly confidence?: number;
}

/** The limits a run's config sets: `search.constraints`, or the one latency limit of `search.budgetMs` and `search.confidence`. */
export interface RunLimits {
  /** The latency limit on the run's first target. */
  readonly latency: LatencyLimit | null;
  /** Latency limits on the other targets of a search on several. */
  readonly others: readonly (LatencyLimit & { readonly target: string })[];
  readonly costs: readonly CostLimit[];
}

/** The limits of the `search` block (the schema has already refused `budgetMs` beside `constraints`); `first` is the run's first target. */
export function runLimits(sc: CoreConfig['search'], first?: string): RunLimits {
  if (!sc.constraints)
    return { latency: { max: sc.budgetMs, ...(sc.confidence !== undefined ? { confidence: sc.confidence } : {}) }, others: [], costs: [] };
  let latency: RunLimits['latency'] = null;
  const others: (LatencyLimit & { target: string })[] = [];
  const costs: CostLimit[] = [];
  for (const l of sc.constraints) {
    if (l.metric !== 'latency') costs.push({ metric: l.metric, max: l.max });
    else {
      const limit = { max: l.max, ...(l.confidence !== undefined ? { confidence: l.confidence } : {}) };
      if (l.target === undefined || l.target === first) latency = limit;
      else others.push({ ...limit, target: l.target });
    }
  }
  return { latency, others, costs };
}

/**
 * The run's constraint: the latency budget `budgetMs` (with the configured confidence and the skip
 * remedy) alone, as the paper has it, or with the exact cost limits of `search.constraints`.
 */
export function runConstraint(
  c: RunContext,
  space: ReducedSpace,
  budgetMs: number | undefined,
  others: readonly TargetBudget[] = [],
): Constraint {
  const core = c.session.config.core;
  const limits = runLimits(core.search, c.session.target.name);
  const model = latencyModelOf(c, space);
  const remedy = skipRemedy(c.backbone, core.reduction.skip);
  const constraint = (m: LatencyModel, ms: number, confidence: number | undefined) =>
    new LatencyConstraint(m, { budgetMs: ms, ...(confidence !== undefined ? { confidence } : {}), skipRemedy: remedy });
  const latency = budgetMs === undefined ? undefined : constraint(model, budgetMs, limits.latency?.confidence);
  if (latency && limits.costs.length === 0 && others.length === 0) return latency;
  const targets = others.map((o) => {
    const s = otherTarget(c, o.target);
    const confidence = limits.others.find((l) => l.target === o.target)?.confidence;
    return { target: o.target, constraint: constraint(predictorModel(c, space, s), o.budgetMs, confidence) };
  });
  return new LimitSet({
    ...(latency ? { latency } : {}),
    ...{ targets, latencyTarget: c.session.target.name, model, limits: limits.costs, costsOf: architectureCosts(c.backbone), remedy },
  });
}

/** A latency budget on one of the other targets of a search on several. */
export interface TargetBudget {
  readonly target: string;
  readonly budgetMs: number;
}

/** How the limits read in the log, e.g. "latency ≤ 0.2 ms, latency on two ≤ 0.3 ms, params ≤ 150000". */
function limitsLine(budgetMs: number | undefined, costs: readonly CostLimit[], targets: readonly TargetBudget[] = [], first = ''): string {
  const on = targets.length > 0 ? ` on ${first}` : '';
  return [
    ...(budgetMs !== undefined ? [`latency${on} ≤ ${budgetMs} ms`] : []),
    ...targets.map((t) => `latency on ${t.target} ≤ ${t.budgetMs} ms`),
    ...costs.map((l) => `${l.metric} ≤ ${l.max}`),
  ].join(', ');
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

/** The latency budget `budgetMs: auto` or the configured one (of target `s`, default the first), or none. */
function latencyBudget(
  c: RunContext,
  space: ReducedSpace,
  latency: LatencyLimit | null,
  s: HurricaneSession = c.session,
): number | undefined {
  if (!latency) return undefined;
  if (latency.max !== 'auto') return latency.max;
  // auto: the median of what the first step draws (the baseline keeps the reduced space's, as Table 3 compares the two at one budget)
  const from = c.session.config.core.search.baseline ? space.candidates : firstStepSpace(c, space);
  return autoBudget(from, predictorModel(c, space, s), c.session.config.core.seed);
}

/** {@link budgetOf} with the cost limits and the share of the space the limits admit together; warns when that share is (nearly) all of it. */
export async function runBudget(c: RunContext, space: ReducedSpace): Promise<RunBudget> {
  const sc = c.session.config.core.search;
  const seed = c.session.config.core.seed;
  return step(c, 'search:budget', async () => {
    const limits = runLimits(sc, c.session.target.name);
    const budgetMs = latencyBudget(c, space, limits.latency);
    const targets = limits.others.map((l) => {
      return { target: l.target, budgetMs: latencyBudget(c, space, l, otherTarget(c, l.target)) as number };
    });
    const constraint = runConstraint(c, space, budgetMs, targets);
    const admitted = admittedShare(searchedCandidates(c, space), constraint, seed);
    const admittedFirstStep = admittedShare(firstStepSpace(c, space), constraint, seed);
    const auto = limits.latency?.max === 'auto';
    const how = auto
      ? ` (auto: ${AUTO_BUDGET[sc.baseline ? 'baseline' : 'hurricane']}; ${sc.constraints ? 'give a number as max in search.constraints' : 'set search.budgetMs'} to choose one)`
      : '';
    const shares = `${pct(admitted)} of the searched space and ${pct(admittedFirstStep)} of the first step's sub-space`;
    const line = limitsLine(budgetMs, limits.costs, targets, c.session.target.name);
    if (limits.costs.length === 0 && targets.length === 0) c.log(`latency budget: ${budgetMs} ms${how}; it admits ${shares}`);
    else c.log(`limits: ${line}${how}; together they admit ${shares}`);
    if (admittedFirstStep >= 0.99)
      c.log(
        limits.costs.length === 0 && targets.length === 0
          ? `WARNING: the latency budget of ${budgetMs} ms admits ${pct(admittedFirstStep)} of the first step's sub-space, so the constraint rejects almost nothing there: lower search.budgetMs${auto ? ' (auto took the median of near-identical predictions: check the predictor)' : ''}`
          : `WARNING: the limits (${line}) admit ${pct(admittedFirstStep)} of the first step's sub-space, so they reject almost nothing there: lower them in search.constraints`,
      );
    return {
      ...(budgetMs !== undefined ? { budgetMs } : {}),
      ...(targets.length > 0 ? { targets } : {}),
      ...(limits.costs.length > 0 ? { costLimits: limits.costs } : {}),
      ...{ admitted, admittedFirstStep },
    };
  });
}
