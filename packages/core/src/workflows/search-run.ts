import type { Shortlist } from '../report/search-summaries.js';
import type { CostLimit } from '../search/constraint.js';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { suggestion } from '../config/format-issues.js';
import { type ProgressReporter, silentProgress } from '../progress.js';
import type { RankCheckSummary, RetrainSummary, VerifySummary } from '../report/search-summaries.js';
import type { HurricaneSession } from '../session/session.js';
import type { Architecture } from '../space/architecture.js';
import { preset } from '../space/backbone.js';
import { CORE_VERSION } from '../version.js';
import { RunFolder, SEARCH_PHASES, type SearchPhase } from './run-folder.js';
import { type ExportSummary, type IterationSummary, type RunContext, type SearchResult, resultOf, step } from './search-context.js';
import type { SearchEngineFactory } from './search-engine.js';
import { PHASES } from './search-phases.js';
import type { RunBudget, TargetBudget } from './search-latency.js';

/** Options of {@link search}. */
export interface SearchOptions {
  /** Run name: the folder `<workDir>/runs/<name>` (default `hurricane`, or `spos` for the baseline). */
  readonly name?: string;
  /** Re-run from this phase (its results and every later phase's are discarded). */
  readonly from?: SearchPhase;
  readonly progress?: ProgressReporter;
  readonly signal?: AbortSignal;
  /** One line per event. */
  readonly log?: (line: string) => void;
  /** Stop each supernet at this training-loss EMA (Table 3: the baseline's final loss). */
  readonly lossTarget?: number;
  /** The training side (default: TF.js on the configured dataset); unit tests pass a dummy one. */
  readonly engine?: SearchEngineFactory;
  /** The target to search on, when the run has several (default: the one its latency limit names; see {@link searchTarget}). */
  readonly target?: string;
}

/** What {@link search} did: the winner and where everything is. */
export interface SearchSummary {
  readonly run: string;
  readonly preset: string;
  readonly hardware: string;
  /** The latency limit in ms (absent when `search.constraints` has none). */
  readonly budgetMs?: number;
  /** The latency budgets on the other targets of a search on several (absent for one target). */
  readonly targets?: readonly TargetBudget[];
  /** The exact cost limits of `search.constraints` (absent when there are none). */
  readonly costLimits?: readonly CostLimit[];
  /** Share (0–1) of the searched space the limits admit (absent in runs recorded before it). */
  readonly admitted?: number;
  /** Draws of the evolution the latency constraint rejected, over every iteration. */
  readonly rejected: number;
  readonly baseline: boolean;
  readonly winner: Architecture;
  /** The top candidates measured on the hardware before retraining (absent when not verified). */
  readonly shortlist?: Shortlist;
  readonly iterations: readonly IterationSummary[];
  readonly supernetSteps: number;
  readonly retrain: RetrainSummary;
  readonly verify: VerifySummary;
  readonly export: ExportSummary;
  /** The rank check (absent when `search.rankCheck` is 0). */
  readonly rankCheck?: RankCheckSummary;
  readonly report: { readonly markdown: string; readonly html: string };
  readonly wallMs: number;
}

/** The targets the latency limits of `search.constraints` name, in order. */
function limitTargets(session: HurricaneSession): string[] {
  return (session.config.core.search.constraints ?? []).flatMap((c) =>
    c.metric === 'latency' && c.target !== undefined ? [c.target] : [],
  );
}

/**
 * The session on the target a search runs on first: `name` (`--target`), else the first one a
 * latency limit names, else the run's only target. A {@link ConfigError} when a limit names an
 * unknown target, `--target` is not one the limits name, or a run with several targets names none.
 */
export function searchTarget(session: HurricaneSession, name?: string): HurricaneSession {
  const named = limitTargets(session);
  const known = session.config.targets.map((t) => t.name);
  for (const n of named)
    if (!known.includes(n))
      throw new ConfigError(
        `search.constraints: a latency limit is on target '${n}', which is not a target of this run${suggestion(n, known)}; targets: ${known.join(', ')}`,
      );
  if (name !== undefined && named.length > 0 && !named.includes(name))
    throw new ConfigError(
      `search.constraints: the latency limits are on ${named.map((n) => `'${n}'`).join(', ')}, but --target asks for '${name}': give one of them (it comes first in the report), or drop --target`,
    );
  if (named.length > 1 && session.config.core.search.baseline)
    throw new ConfigError(
      `the SPOS baseline (search.baseline) searches one target, but the latency limits name ${named.join(', ')}: keep one latency limit, or run HURRICANE`,
    );
  const chosen = name ?? named[0] ?? (known.length === 1 ? known[0] : undefined);
  if (chosen === undefined)
    throw new ConfigError(
      `this run has ${known.length} targets (${known.join(', ')}): pick the one to search on with --target <name>, or put a latency limit on each target to search for all of them (search.constraints: [{ metric: 'latency', target: '${known[0]}', max: … }, …])`,
    );
  return session.forTarget(session.targets([chosen])[0]?.name ?? chosen);
}

/** The other targets a search measures: those its latency limits name besides the session's own. */
export function otherTargets(session: HurricaneSession): HurricaneSession[] {
  return limitTargets(session)
    .filter((n) => n !== session.target.name)
    .map((n) => session.forTarget(n));
}

/** Opens (or re-opens) the run folder on the preset the engine's data fits. */
async function openRun(base: HurricaneSession, o: SearchOptions): Promise<RunContext> {
  const log = o.log ?? (() => {});
  const sc = base.config.core.search;
  const name = o.name ?? (sc.baseline ? (sc.baselineSpace === 'full' ? 'spos' : 'spos-reduced') : 'hurricane');
  // a folder of its own under runs/: `.` or `..` would make it the runs folder or the work dir itself
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name))
    throw new ConfigError(`run name '${name}' must start with a letter, a digit or '_' and may only use letters, digits, '.', '_' and '-'`);
  const factory = o.engine ?? (await import('./search-engine.js')).tfSearchEngine;
  const engine = await factory(base, log);
  const session = base.withPreset(engine.presetName);
  const core = session.config.core;
  const run = await RunFolder.acquire(path.join(session.config.workDir, 'runs', name));
  // where latencies are measured (this machine or a farm) does not change the run; the farm URL may hold a password;
  // the rank check adds a check without changing the search (a new setting re-runs it below)
  // how several targets share a space does not concern a run on one (and runs recorded before it)
  const others = otherTargets(session);
  const { rankCheck, rankCheckSteps, sharedSpace, ...searchConfig } = core.search;
  const config = {
    ...core,
    search: { ...searchConfig, ...(others.length > 0 ? { sharedSpace } : {}) },
    plugins: undefined,
    farm: undefined,
  };
  const hardware = [session.target.name, ...others.map((t) => t.target.name)].join(', ');
  try {
    run.open({ createdBy: `@hurricane/core ${CORE_VERSION}`, seed: core.seed, hardware, preset: core.preset, config });
    const files = Object.fromEntries(SEARCH_PHASES.map((p) => [p, PHASES[p].files])) as Record<SearchPhase, readonly string[]>;
    if (o.from) run.resetFrom(o.from, files);
    const checked = run.done<RankCheckSummary>('rank-check');
    if (checked && (checked.requested !== rankCheck || checked.steps !== rankCheckSteps)) {
      log(`rank check: search.rankCheck or search.rankCheckSteps changed since it ran: running it (and the report) again`);
      run.resetFrom('rank-check', files);
    }
  } catch (error) {
    await run.close();
    throw error;
  }
  log(`run folder: ${path.relative(process.cwd(), run.dir) || '.'}`);
  const progress = o.progress ?? silentProgress;
  const signal = o.signal ? { signal: o.signal } : {};
  return {
    session,
    others: others.map((t) => t.withPreset(core.preset)),
    run,
    backbone: preset(core.preset),
    engine,
    o,
    log,
    progress,
    signal,
  };
}

/** The rank check's summary when it ran. */
function rankCheckOf(c: RunContext): { rankCheck?: RankCheckSummary } {
  const r = resultOf<RankCheckSummary>(c, 'rank-check');
  return r.requested > 0 ? { rankCheck: r } : {};
}

/**
 * `hurricane search`: HURRICANE end to end (docs/method.md §2, §7) in a resumable run folder. Each
 * phase of {@link PHASES} is skipped when the folder says it finished; a killed run continues where
 * it stopped (supernet training from its checkpoint, the evolution from its last evaluation). With
 * `search.baseline` it runs plain SPOS.
 */
export async function search(base: HurricaneSession, o: SearchOptions = {}): Promise<SearchSummary> {
  const started = performance.now();
  const c = await openRun(searchTarget(base, o.target), o);
  try {
    for (const p of SEARCH_PHASES) await step(c, p, () => PHASES[p].run(c));
  } finally {
    await c.run.close();
  }
  const core = c.session.config.core;
  const found = resultOf<SearchResult>(c, 'search');
  const budget = resultOf<RunBudget>(c, 'search:budget');
  return {
    ...{
      run: c.run.dir,
      preset: core.preset,
      hardware: [c.session, ...c.others].map((t) => t.target.name).join(', '),
      ...(budget.budgetMs !== undefined ? { budgetMs: budget.budgetMs } : {}),
      ...(budget.targets ? { targets: budget.targets } : {}),
      ...(budget.costLimits ? { costLimits: budget.costLimits } : {}),
      ...(budget.admitted !== undefined ? { admitted: budget.admitted } : {}),
      rejected: found.iterations.reduce((a, it) => a + it.rejected, 0),
    },
    ...{ baseline: core.search.baseline, winner: found.winner, iterations: found.iterations, supernetSteps: found.supernetSteps },
    ...(found.shortlist ? { shortlist: found.shortlist } : {}),
    ...{
      retrain: resultOf<RetrainSummary>(c, 'retrain'),
      verify: resultOf<VerifySummary>(c, 'verify'),
      export: resultOf<ExportSummary>(c, 'export'),
    },
    ...rankCheckOf(c),
    report: resultOf<{ markdown: string; html: string }>(c, 'report'),
    wallMs: performance.now() - started,
  };
}

export { SEARCH_PHASES };
export type { IterationSummary } from './search-context.js';
export type { RankCheckSummary, RetrainSummary, VerifySummary } from '../report/search-summaries.js';
export type { EngineRun, SearchEngine, SearchEngineFactory } from './search-engine.js';
