// The latency models a search answers to, from its run folder: the fitted predictor over the
// reduced space, or for the SPOS baseline the lookup table calibrated on the measured data set;
// and the budget, recorded once.
import { readFileSync } from 'node:fs';
import { type LatencyModel, lookupLatencyModel, predictorLatencyModel } from '../predict/latency-model.js';
import { readPredictorFile, restorePredictor } from '../predict/predictor-file.js';
import { operatorLatencies } from '../profile/latency-store.js';
import type { ReducedSpace } from '../profile/reduction.js';
import { HurricaneError } from '../errors.js';
import { autoBudget } from '../search/latency-constraint.js';
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

/** The budget (recorded once, `search:budget`). */
export async function budgetOf(c: RunContext, space: ReducedSpace): Promise<number> {
  const sc = c.session.config.core.search;
  const { budgetMs } = await step(c, 'search:budget', async () => {
    const budgetMs =
      sc.budgetMs === 'auto' ? autoBudget(space.candidates, predictorModel(c, space), c.session.config.core.seed) : sc.budgetMs;
    const how =
      sc.budgetMs === 'auto' ? ' (auto: the median predicted latency of the reduced space; set search.budgetMs to choose one)' : '';
    c.log(`latency budget: ${budgetMs} ms${how}`);
    return { budgetMs };
  });
  return budgetMs;
}
