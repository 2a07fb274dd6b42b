// One architecture retrained from scratch exactly as `hurricane search` retrains its winner: the
// baseline a search must beat (`npm run bench:search -- --random`).
import { type ProgressReporter, silentProgress } from '../progress.js';
import type { RetrainSummary } from '../report/search-summaries.js';
import type { HurricaneSession } from '../session/session.js';
import type { Architecture } from '../space/architecture.js';
import { preset } from '../space/backbone.js';
import { RunFolder } from './run-folder.js';
import { tfSearchEngine } from './search-engine.js';

/** Options of {@link retrainArchitecture}. */
export interface RetrainArchitectureOptions {
  /** A folder of its own: the checkpoint (resumed after a kill) and the trained weights. */
  readonly dir: string;
  readonly progress?: ProgressReporter;
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * Retrains `arch` from scratch with the search's retraining recipe (`search.retrainSteps` at
 * `search.retrainLr`, cosine schedule, seeded by the session's seed), re-estimates its BatchNorm
 * statistics and scores it on the dataset's test set: what the search's `retrain` phase does for
 * its winner, for any architecture of the preset.
 */
export async function retrainArchitecture(
  session: HurricaneSession,
  arch: Architecture,
  o: RetrainArchitectureOptions,
): Promise<RetrainSummary> {
  const log = o.log ?? (() => {});
  const engine = await tfSearchEngine(session, log);
  const s = session.withPreset(engine.presetName);
  // the folder's state.json records what finished; the checkpoint beside it resumes a killed retraining
  const journal = new RunFolder(o.dir);
  const run = { session: s, backbone: preset(s.config.core.preset), journal, progress: o.progress ?? silentProgress, signal: o.signal };
  return engine.retrain(run, arch);
}
