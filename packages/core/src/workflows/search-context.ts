// What every phase of one `hurricane search` run shares (`search-phases.ts`, `search-latency.ts`):
// the session, the run folder, the engine and the output, and how a phase records its result.
import type { Shortlist } from '../report/search-summaries.js';
import type { ReducedSpace } from '../profile/reduction.js';
import type { NoiseFigures } from '../report/search-report.js';
import { readSpace } from '../profile/space-file.js';
import type { ProgressReporter } from '../progress.js';
import { HurricaneError } from '../errors.js';
import type { HurricaneSession } from '../session/session.js';
import type { Architecture } from '../space/architecture.js';
import type { Backbone } from '../space/backbone.js';
import { spacePath } from './profile-run.js';
import type { RunFolder, SearchPhase } from './run-folder.js';
import type { SearchEngine } from './search-engine.js';

/** What the search phase recorded. */
export interface SearchResult {
  /** The architecture retrained: the shortlist's choice by measurement, or the last step's `a_win`. */
  readonly winner: Architecture;
  /** The top candidates measured on the hardware (absent when `search.verifyTopK` is 0, without a latency limit, or in runs recorded before it). */
  readonly shortlist?: Shortlist;
  readonly supernetSteps: number;
  readonly iterations: readonly IterationSummary[];
}

/** The exported winner. */
export interface ExportSummary {
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** One iteration in the summary (the candidates are in `iteration-<i>.json`). */
export interface IterationSummary {
  readonly iteration: number;
  readonly activeLayers: readonly number[];
  readonly supernetSteps: number;
  readonly lossEma: number;
  readonly stoppedBy: string;
  readonly evaluated: number;
  readonly rejected: number;
  /** Share (0–1) of the iteration's sub-space the budget admits (absent in runs recorded before it). */
  readonly admitted?: number;
  readonly bestAccuracy: number;
  readonly winner: Architecture;
  /** The fitness-noise check of this iteration (absent when it did not run). */
  readonly noise?: NoiseFigures;
}

/** What every phase of one run shares. */
export interface RunContext {
  /** The session on the run's first target (the one `--target` or the first latency limit names). */
  readonly session: HurricaneSession;
  /** The other targets a latency limit is on, each a session on it (empty for a search on one target). */
  readonly others: readonly HurricaneSession[];
  readonly run: RunFolder;
  readonly backbone: Backbone;
  readonly engine: SearchEngine;
  /** `--from`, and the Table 3 loss target. */
  readonly o: { readonly from?: SearchPhase; readonly lossTarget?: number };
  readonly log: (line: string) => void;
  readonly progress: ProgressReporter;
  readonly signal: { signal?: AbortSignal };
}

/** One phase of the run: the files it owns in the run folder (removed by `--from`) and what it does; its summary is recorded. */
export interface Phase {
  readonly files: readonly string[];
  run(c: RunContext): Promise<unknown>;
}

/** The summary a finished phase recorded (a phase reads only the ones before it). */
export function resultOf<T>(c: RunContext, phase: SearchPhase | 'search:budget'): T {
  const r = c.run.done<T>(phase);
  if (r === null)
    throw new HurricaneError(
      `the run folder ${c.run.dir} lost the result of phase '${phase}': run the search with --from ${phase.split(':')[0]}`,
    );
  return r;
}

/** Runs `fn` unless the run folder says `name` finished; records its summary. */
export async function step<T>(c: RunContext, name: string, fn: () => Promise<T>): Promise<T> {
  const done = c.run.done<T>(name);
  if (done !== null) {
    c.log(`${name}: finished earlier (kept)`);
    return done;
  }
  c.log(`${name}: running`);
  const result = await fn();
  c.run.finish(name, result);
  return result;
}

/** The reduced space the space phase wrote. */
export function spaceOf(c: RunContext): ReducedSpace {
  return readSpace(resultOf<{ file?: string }>(c, 'space').file ?? spacePath(c.session));
}

/** The session on the other target `name` of a search on several (a {@link HurricaneError} when the run does not search on it). */
export function otherTarget(c: RunContext, name: string): HurricaneSession {
  const s = c.others.find((x) => x.target.name === name);
  if (!s) throw new HurricaneError(`the run folder names target '${name}', which this run does not search on: use --name <new-run>`);
  return s;
}

/**
 * Runs `fn` on the run's first target, then on each other one, and records the first's summary as
 * a one-target run does, with every target's (named) under `targets` when there are several.
 */
export async function perTarget(
  c: RunContext,
  fn: (s: HurricaneSession) => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown>[] = [];
  for (const s of [c.session, ...c.others]) out.push({ target: s.target.name, ...(await fn(s)) });
  const { target, ...first } = out[0] as Record<string, unknown>;
  return { ...first, ...(c.others.length > 0 ? { targets: out } : {}) };
}
