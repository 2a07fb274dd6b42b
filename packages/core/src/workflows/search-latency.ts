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
import { layerContexts } from '../space/backbone.js';
import { openLatencyStore } from './profile-run.js';
import { type RunContext, step } from './search-context.js';

/** The predictor the predictor phase fitted, over the reduced space's encoding. */
export function predictorModel(c: RunContext, space: ReducedSpace): LatencyModel {
  const file = c.run.file('predictor.json');
  return predictorLatencyModel(restorePredictor(file, readPredictorFile(file), c.session.predictorFactories()), space);
}

/** The latency model the search answers to: the predictor on the reduced space, the calibrated lookup table for the baseline. */
export function latencyModelOf(c: RunContext, space: ReducedSpace): LatencyModel {
  if (!c.session.config.core.search.baseline) return predictorModel(c, space);
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

/** The budget the run answers to (recorded once, `search:budget`), and the share of the searched space it admits. */
export interface RunBudget {
  readonly budgetMs: number;
  /** Share (0–1) of 1,000 seeded uniform samples of the searched space that the constraint admits (absent in runs recorded before it). */
  readonly admitted?: number;
}

/** Each layer's candidates the search draws from: the reduced space's, or every operator for the SPOS baseline. */
export function searchedCandidates(c: RunContext, space: ReducedSpace): (readonly string[])[] {
  return c.session.config.core.search.baseline ? layerContexts(c.backbone).map(() => [...c.backbone.operators]) : [...space.candidates];
}

/** The budget (recorded once, `search:budget`), with the share of the space it admits; warns when that share is (nearly) all of it. */
export async function budgetOf(c: RunContext, space: ReducedSpace): Promise<number> {
  return (await runBudget(c, space)).budgetMs;
}

/** {@link budgetOf} with the share it admits. */
export async function runBudget(c: RunContext, space: ReducedSpace): Promise<RunBudget> {
  const sc = c.session.config.core.search;
  const seed = c.session.config.core.seed;
  return step(c, 'search:budget', async () => {
    const budgetMs = sc.budgetMs === 'auto' ? autoBudget(space.candidates, predictorModel(c, space), seed) : sc.budgetMs;
    const constraint = new LatencyConstraint(latencyModelOf(c, space), {
      budgetMs,
      ...(sc.confidence !== undefined ? { confidence: sc.confidence } : {}),
    });
    const admitted = admittedShare(searchedCandidates(c, space), constraint, seed);
    const how =
      sc.budgetMs === 'auto' ? ' (auto: the median predicted latency of the reduced space; set search.budgetMs to choose one)' : '';
    c.log(`latency budget: ${budgetMs} ms${how}; it admits ${(admitted * 100).toFixed(1)} % of the searched space`);
    if (admitted >= 0.99)
      c.log(
        `WARNING: the latency budget of ${budgetMs} ms admits ${(admitted * 100).toFixed(1)} % of the searched space, so the constraint rejects almost nothing: lower search.budgetMs${sc.budgetMs === 'auto' ? ' (auto took the median of near-identical predictions: check the predictor)' : ''}`,
      );
    return { budgetMs, admitted };
  });
}
