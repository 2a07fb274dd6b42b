// One architecture retrained from scratch exactly as `hurricane search` retrains its winner: the
// baseline a search must beat (`npm run bench:search -- --random`).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../atomic-write.js';
import { type ProgressReporter, silentProgress } from '../progress.js';
import type { RetrainSummary } from '../report/search-summaries.js';
import type { HurricaneSession } from '../session/session.js';
import type { Architecture } from '../space/architecture.js';
import { preset } from '../space/backbone.js';
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
  mkdirSync(o.dir, { recursive: true });
  const state = path.join(o.dir, 'journal.json');
  const read = (): Record<string, unknown> => (existsSync(state) ? JSON.parse(readFileSync(state, 'utf8')) : {});
  const journal = {
    file: (name: string) => path.join(o.dir, name),
    done: <T>(key: string) => (read()[key] as T | undefined) ?? null,
    finish: (key: string, value: unknown) => writeFileAtomicSync(state, `${JSON.stringify({ ...read(), [key]: value })}\n`),
  };
  const run = { session: s, backbone: preset(s.config.core.preset), journal, progress: o.progress ?? silentProgress, signal: o.signal };
  return engine.retrain(run, arch);
}
