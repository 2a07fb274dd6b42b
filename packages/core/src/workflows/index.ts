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

export type { TrainRunOptions, TrainRunSummary } from './train-run.js';

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
export async function loadTrainingSet(...args: Parameters<typeof TrainRun.loadTrainingSet>): ReturnType<typeof TrainRun.loadTrainingSet> {
  return (await import('./train-run.js')).loadTrainingSet(...args);
}
