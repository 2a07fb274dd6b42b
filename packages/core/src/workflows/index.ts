/**
 * `workflows/` — each stage run from a session's config, as the CLI commands run it: profile the
 * operators, build the reduced space, measure a network (`profile-run.ts`); train the supernet on
 * the configured dataset (`train-run.ts`). A workflow reads and writes the run's work folder and may
 * import every stage and the session; no stage imports a workflow.
 *
 * This file is what the main entry exports: each function loads its workflow (and with it SQLite,
 * the ONNX exporter or TF.js) on first call, so `import '@hurricane/core'` stays light.
 */
import type * as ProfileRun from './profile-run.js';
import type * as TrainRun from './train-run.js';
import type * as PrepareData from './prepare-data.js';
import type * as PredictorDataset from './predictor-dataset.js';
import type * as PredictorRun from './predictor-run.js';
import type * as AgentRun from './agent-run.js';
import type * as SearchRun from './search-run.js';
import type * as RetrainArchitecture from './retrain-architecture.js';
import type * as SearchPareto from './search-pareto.js';

export type { TrainRunOptions, TrainRunSummary } from './train-run.js';
export type { DatasetMeta, DatasetOptions, DatasetSummary } from './predictor-dataset.js';
export type { FitOptions, FitSummary, LatencyDataset } from './predictor-run.js';
export type { IterationSummary, RetrainSummary, SearchOptions, SearchSummary, VerifySummary } from './search-run.js';
export { SEARCH_PHASES, type SearchPhase } from './run-folder.js';
export type { RetrainArchitectureOptions } from './retrain-architecture.js';
export type { ParetoEntry, ParetoExportOptions, ParetoFile } from './search-pareto.js';

/** Profiles every operator of the session's preset on its hardware (see `hurricane profile`). */
export async function profile(...args: Parameters<typeof ProfileRun.profile>): ReturnType<typeof ProfileRun.profile> {
  return (await import('./profile-run.js')).profile(...args);
}

/** Scores the profiled operators, reduces the space and writes `space.json` (see `hurricane space`). */
export async function buildSpace(...args: Parameters<typeof ProfileRun.buildSpace>): ReturnType<typeof ProfileRun.buildSpace> {
  return (await import('./profile-run.js')).buildSpace(...args);
}

/** Measures one whole network now on the session's hardware (see `hurricane latency`). */
export async function measureNetwork(...args: Parameters<typeof ProfileRun.measureNetwork>): ReturnType<typeof ProfileRun.measureNetwork> {
  return (await import('./profile-run.js')).measureNetwork(...args);
}

/** Trains the session's supernet from the config's `train` block (see `hurricane train`). */
export async function trainFromConfig(...args: Parameters<typeof TrainRun.trainFromConfig>): ReturnType<typeof TrainRun.trainFromConfig> {
  return (await import('./train-run.js')).trainFromConfig(...args);
}

/** The training split of the configured dataset. */
export async function loadTrainingSet(
  ...args: Parameters<typeof PrepareData.loadTrainingSet>
): ReturnType<typeof PrepareData.loadTrainingSet> {
  return (await import('./prepare-data.js')).loadTrainingSet(...args);
}

/** Samples architectures of the reduced space, measures them on the hardware and writes the encoded CSV (see `hurricane predictor dataset`). */
export async function measureDataset(
  ...args: Parameters<typeof PredictorDataset.measureDataset>
): ReturnType<typeof PredictorDataset.measureDataset> {
  return (await import('./predictor-dataset.js')).measureDataset(...args);
}

/** Fits a predictor on a latency CSV and writes the predictor file (see `hurricane predictor fit`). */
export async function fitPredictor(...args: Parameters<typeof PredictorRun.fitPredictor>): ReturnType<typeof PredictorRun.fitPredictor> {
  return (await import('./predictor-run.js')).fitPredictor(...args);
}

/** Predicts every row of a CSV with a predictor file (see `hurricane predictor predict`). */
export async function predictFromFile(
  ...args: Parameters<typeof PredictorRun.predictFromFile>
): Promise<ReturnType<typeof PredictorRun.predictFromFile>> {
  return (await import('./predictor-run.js')).predictFromFile(...args);
}

/** Scores a predictor file on a CSV with measured latencies (see `hurricane predictor eval`). */
export async function evaluateFromFile(
  ...args: Parameters<typeof PredictorRun.evaluateFromFile>
): Promise<ReturnType<typeof PredictorRun.evaluateFromFile>> {
  return (await import('./predictor-run.js')).evaluateFromFile(...args);
}

/** Starts a device-farm agent serving this host's ready devices (see `hurricane agent`, docs/device-farm.md). */
export async function startAgent(...args: Parameters<typeof AgentRun.startAgent>): ReturnType<typeof AgentRun.startAgent> {
  return (await import('./agent-run.js')).startAgent(...args);
}

/**
 * HURRICANE end to end in a resumable run folder: profile → space → predictor data set → predictor
 * → coordinate ascent over supernets → retrain → verify → export → report (see `hurricane search`).
 */
export async function search(...args: Parameters<typeof SearchRun.search>): ReturnType<typeof SearchRun.search> {
  return (await import('./search-run.js')).search(...args);
}

/** Retrains one architecture from scratch the way the search retrains its winner, and scores it on the test set. */
export async function retrainArchitecture(
  ...args: Parameters<typeof RetrainArchitecture.retrainArchitecture>
): ReturnType<typeof RetrainArchitecture.retrainArchitecture> {
  return (await import('./retrain-architecture.js')).retrainArchitecture(...args);
}

/** Retrains and exports a candidate of a search run's `pareto.json` (see `hurricane export --from-pareto`). */
export async function exportFromPareto(
  ...args: Parameters<typeof SearchPareto.exportFromPareto>
): ReturnType<typeof SearchPareto.exportFromPareto> {
  return (await import('./search-pareto.js')).exportFromPareto(...args);
}
