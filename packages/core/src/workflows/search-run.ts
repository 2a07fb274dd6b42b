import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../atomic-write.js';
import type { LatencyMeasurement } from '../contracts/hardware-adapter.js';
import { ConfigError, HurricaneError } from '../errors.js';
import { exportArchitecture } from '../onnx/model-files.js';
import { type LatencyModel, lookupLatencyModel, predictorLatencyModel } from '../predict/latency-model.js';
import { readPredictorFile, restorePredictor } from '../predict/predictor-file.js';
import { operatorLatencies } from '../profile/latency-store.js';
import type { ReducedSpace } from '../profile/reduction.js';
import { readSpace } from '../profile/space-file.js';
import { type ProgressReporter, silentProgress } from '../progress.js';
import { renderSearchReport } from '../report/search-report.js';
import type { RetrainSummary, VerifySummary } from '../report/search-summaries.js';
import { type IterationResult, type SearchEvent, type SearchJournal, coordinateAscent } from '../search/coordinate-ascent.js';
import type { EvolutionState } from '../search/evolution.js';
import { LatencyConstraint, autoBudget } from '../search/latency-constraint.js';
import type { HurricaneSession } from '../session/session.js';
import { graphCost } from '../space/analytics.js';
import type { Architecture } from '../space/architecture.js';
import { type Backbone, layerContexts, networkGraph, preset } from '../space/backbone.js';
import { CORE_VERSION } from '../version.js';
import { addVerifiedArchitecture, measureDataset } from './predictor-dataset.js';
import { fitPredictor } from './predictor-run.js';
import { buildSpace, measureNetwork, openLatencyStore, profile, spacePath } from './profile-run.js';
import { RunFolder, SEARCH_PHASES, type SearchPhase } from './run-folder.js';
import type { EngineRun, SearchEngine, SearchEngineFactory } from './search-engine.js';

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
}

/** What {@link search} did: the winner and where everything is. */
export interface SearchSummary {
  readonly run: string;
  readonly preset: string;
  readonly hardware: string;
  readonly budgetMs: number;
  readonly baseline: boolean;
  readonly winner: Architecture;
  readonly iterations: readonly IterationSummary[];
  readonly supernetSteps: number;
  readonly retrain: RetrainSummary;
  readonly verify: VerifySummary;
  readonly export: ExportSummary;
  readonly report: { readonly markdown: string; readonly html: string };
  readonly wallMs: number;
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
  readonly bestAccuracy: number;
  readonly winner: Architecture;
}

/** What the search phase recorded. */
interface SearchResult {
  readonly winner: Architecture;
  readonly supernetSteps: number;
  readonly iterations: readonly IterationSummary[];
}

/** The exported winner. */
interface ExportSummary {
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** Measurement sessions of the winner in the verify phase (their median is reported). */
const VERIFY_SESSIONS = 3;

/** What every phase of one run shares. */
interface RunContext {
  readonly session: HurricaneSession;
  readonly run: RunFolder;
  readonly backbone: Backbone;
  readonly engine: SearchEngine;
  readonly o: SearchOptions;
  readonly log: (line: string) => void;
  readonly progress: ProgressReporter;
  readonly signal: { signal?: AbortSignal };
}

/** One phase of the run: the files it owns in the run folder (removed by `--from`) and what it does; its summary is recorded. */
interface Phase {
  readonly files: readonly string[];
  run(c: RunContext): Promise<unknown>;
}

/** The summary a finished phase recorded (a phase reads only the ones before it). */
function resultOf<T>(c: RunContext, phase: SearchPhase | 'search:budget'): T {
  const r = c.run.done<T>(phase);
  if (r === null)
    throw new HurricaneError(
      `the run folder ${c.run.dir} lost the result of phase '${phase}': run the search with --from ${phase.split(':')[0]}`,
    );
  return r;
}

/** Runs `fn` unless the run folder says `name` finished; records its summary. */
async function step<T>(c: RunContext, name: string, fn: () => Promise<T>): Promise<T> {
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
function spaceOf(c: RunContext): ReducedSpace {
  return readSpace(resultOf<{ file?: string }>(c, 'space').file ?? spacePath(c.session));
}

/** The predictor the predictor phase fitted, over the reduced space's encoding. */
function predictorModel(c: RunContext, space: ReducedSpace): LatencyModel {
  const file = c.run.file('predictor.json');
  return predictorLatencyModel(restorePredictor(file, readPredictorFile(file), c.session.predictorFactories()), space);
}

/** The latency model the search answers to: the predictor on the reduced space, the calibrated lookup table for the baseline. */
function latencyModelOf(c: RunContext, space: ReducedSpace): LatencyModel {
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
async function budgetOf(c: RunContext, space: ReducedSpace): Promise<number> {
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

/** The run folder's search journal: finished iterations and the evolution state, written atomically. */
function journalOf(run: RunFolder): SearchJournal {
  return {
    iteration: (i) => run.readJson<IterationResult>(`iteration-${i}.json`),
    saveIteration: (r) => run.writeJson(`iteration-${r.iteration}.json`, r),
    evolution: (i) => run.readJson<EvolutionState>(`evolution-${i}.json`),
    saveEvolution: (i, s) => run.writeJson(`evolution-${i}.json`, s),
  };
}

/** Progress lines for the evolution: one per evaluation with the best so far. */
function searchEvents(c: RunContext, perIteration: number) {
  const { progress, log } = c;
  let best = 0;
  return (e: SearchEvent) => {
    if (e.kind === 'iteration') {
      log(
        `iteration ${e.iteration}: layers ${e.activeLayers[0]}–${e.activeLayers.at(-1)} active, ${e.size.toExponential(2)} architectures`,
      );
    } else if (e.kind === 'trained') {
      const t = e.training;
      log(`iteration ${e.iteration}: supernet trained for ${t.steps} steps (loss EMA ${t.lossEma.toFixed(4)}, stopped by ${t.stoppedBy})`);
      best = 0;
    } else if (e.kind === 'evaluated') {
      if (e.count === 1 || best === 0) progress.start(perIteration, e.count - 1, `iteration ${e.iteration}: evolution`);
      best = Math.max(best, e.candidate.accuracy);
      const cand = e.candidate;
      progress.advance(
        1,
        `gen ${cand.generation}: ${(cand.accuracy * 100).toFixed(2)} % at ${cand.latencyMs.toFixed(3)} ms (best ${(best * 100).toFixed(2)} %)`,
      );
    } else {
      if (!e.resumed) progress.stop();
      const r = e.result;
      log(
        `iteration ${r.iteration}: a_win ${r.winner.join(' ')} — ${(r.best.accuracy * 100).toFixed(2)} % validation at ${r.best.latencyMs.toFixed(3)} ms predicted`,
      );
    }
  };
}

const iterationSummary = (r: IterationResult): IterationSummary => ({
  iteration: r.iteration,
  activeLayers: r.activeLayers,
  supernetSteps: r.training.steps,
  lossEma: r.training.lossEma,
  stoppedBy: r.training.stoppedBy,
  evaluated: r.evaluated.length,
  rejected: r.rejected,
  bestAccuracy: r.best.accuracy,
  winner: r.winner,
});

/** Each layer's candidates: the reduced space's, or every operator for the SPOS baseline. */
function candidatesOf(c: RunContext, space: ReducedSpace): (readonly string[])[] {
  return c.session.config.core.search.baseline ? layerContexts(c.backbone).map(() => [...c.backbone.operators]) : [...space.candidates];
}

/** What the engine's trainer and retraining get from the run. */
function engineRun(c: RunContext): EngineRun {
  return { session: c.session, backbone: c.backbone, journal: c.run, progress: c.progress, ...c.signal, lossTarget: c.o.lossTarget };
}

/** Coordinate ascent over the engine's supernets (or the SPOS baseline), resumed from the run folder's journal. */
async function searchPhase(c: RunContext): Promise<SearchResult> {
  const core = c.session.config.core;
  const sc = core.search;
  const space = spaceOf(c);
  const budgetMs = await budgetOf(c, space);
  const constraint = new LatencyConstraint(latencyModelOf(c, space), {
    budgetMs,
    ...(sc.confidence !== undefined ? { confidence: sc.confidence } : {}),
  });
  const candidates = candidatesOf(c, space);
  const trainer = c.engine.trainer(engineRun(c));
  try {
    const r = await coordinateAscent({
      candidates,
      initial: sc.baseline ? candidates.map((ops) => ops[0] as string) : space.initialArch,
      constraint,
      trainer,
      options: { iterations: sc.iterations, t: sc.t, baseline: sc.baseline, evolution: { ...sc, seed: core.seed } },
      journal: journalOf(c.run),
      costOf: (a) => graphCost(networkGraph(c.backbone, a)),
      ...c.signal,
      onEvent: searchEvents(c, sc.population * sc.generations),
    });
    return { winner: r.winner, supernetSteps: r.supernetSteps, iterations: r.iterations.map(iterationSummary) };
  } finally {
    trainer.dispose();
  }
}

/** Measures the retrained winner on the hardware (the median of three sessions), compares it with the prediction and adds it to the data set. */
async function verifyPhase(c: RunContext): Promise<VerifySummary> {
  const { winner } = resultOf<SearchResult>(c, 'search');
  const { weights } = resultOf<RetrainSummary>(c, 'retrain');
  const space = spaceOf(c);
  const budgetMs = await budgetOf(c, space);
  // separate measurement sessions, their median: one session on a busy device can be far off
  const sessions: LatencyMeasurement[] = [];
  for (let k = 0; k < VERIFY_SESSIONS; k++) sessions.push(await measureNetwork(c.session, winner, { weightsFile: weights, ...c.signal }));
  const sessionsMs = sessions.map((s) => s.medianMs).sort((a, b) => a - b);
  const measuredMs = sessionsMs[Math.floor(VERIFY_SESSIONS / 2)] as number;
  addVerifiedArchitecture(c.session, winner);
  const p = latencyModelOf(c, space).predict([winner]);
  const cost = graphCost(networkGraph(c.backbone, winner));
  const device = (sessions[0] as LatencyMeasurement).provenance.device;
  const predicted = { predictedMs: p.mean[0] as number, ...(p.std ? { predictedStdMs: p.std[0] as number } : {}) };
  const summary = {
    measuredMs,
    sessionsMs,
    ...predicted,
    withinBudget: measuredMs <= budgetMs,
    device,
    flops: cost.flops,
    params: cost.params,
  };
  if (!summary.withinBudget)
    c.log(
      `WARNING: the winner measures ${measuredMs.toFixed(3)} ms on ${device}, OVER the ${budgetMs} ms budget (predicted ${summary.predictedMs.toFixed(3)} ms); its measurement now joins the predictor's data set: re-run with --from dataset, or lower search.budgetMs / set search.confidence`,
    );
  return summary;
}

/** The retrained winner as ONNX with its weights, for the vendors' converters. */
async function exportPhase(c: RunContext): Promise<ExportSummary> {
  const { winner } = resultOf<SearchResult>(c, 'search');
  const { weights } = resultOf<RetrainSummary>(c, 'retrain');
  const file = c.run.file('winner.onnx');
  const { bytes } = exportArchitecture({
    backbone: c.backbone,
    arch: winner,
    output: file,
    seed: c.session.config.core.seed,
    weightsFile: weights,
  });
  return { file, bytes, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}

/** `report.md` (charts as SVG files beside it) and a self-contained `report.html`. */
async function reportPhase(c: RunContext): Promise<{ markdown: string; html: string }> {
  const space = spaceOf(c);
  const { winner } = resultOf<SearchResult>(c, 'search');
  const iterations: IterationResult[] = [];
  for (let i = 1; c.run.readJson(`iteration-${i}.json`); i++)
    iterations.push(c.run.readJson<IterationResult>(`iteration-${i}.json`) as IterationResult);
  const rendered = await renderSearchReport({
    ...{ record: c.run.readJson('run.json'), iterations, retrain: c.run.done('retrain'), verify: c.run.done('verify') },
    ...{ space, backbone: c.backbone, budgetMs: await budgetOf(c, space), baseline: c.session.config.core.search.baseline, winner },
    candidates: candidatesOf(c, space),
  });
  for (const [name, svg] of Object.entries(rendered.charts)) writeFileAtomicSync(c.run.file(name), svg);
  writeFileAtomicSync(c.run.file('report.md'), rendered.markdown);
  writeFileAtomicSync(c.run.file('report.html'), rendered.html);
  return { markdown: c.run.file('report.md'), html: c.run.file('report.html') };
}

/**
 * The phases of `hurricane search` (docs/method.md §2), in {@link SEARCH_PHASES}'s order: the
 * hardware half of Algorithm 1 (profile → space → predictor data set → predictor), coordinate
 * ascent over supernets, then retrain → verify on the hardware → ONNX export → report.
 */
const PHASES: { readonly [P in SearchPhase]: Phase } = {
  profile: {
    files: [],
    run: async (c) => {
      const p = await profile(c.session, { progress: c.progress, ...c.signal, ...(c.o.from === 'profile' ? { force: true } : {}) });
      return { device: p.device, total: p.total, measured: p.measured, reused: p.reused };
    },
  },
  space: { files: [], run: async (c) => ({ file: (await buildSpace(c.session)).file }) },
  dataset: {
    files: ['predictor-dataset.csv', 'predictor-dataset.meta.json'],
    run: async (c) => {
      const sc = c.session.config.core.search;
      const output = c.run.file('predictor-dataset.csv');
      const d = await measureDataset(c.session, {
        n: sc.datasetSize,
        repeats: sc.datasetRepeats,
        output,
        progress: c.progress,
        ...c.signal,
      });
      return { rows: d.meta.architectures.length, measured: d.measured, reused: d.reused, noiseFloor: d.meta.noiseFloor };
    },
  },
  predictor: {
    files: ['predictor.json'],
    run: async (c) => {
      const train = c.run.file('predictor-dataset.csv');
      const f = await fitPredictor(c.session, { train, output: c.run.file('predictor.json'), onStage: (s) => c.log(`predictor: ${s}`) });
      return { model: f.predictor.model.kind, holdout: f.predictor.metrics.holdout, reason: f.selection?.reason ?? null };
    },
  },
  search: { files: ['supernet-*.safetensors', 'evolution-*.json', 'iteration-*.json'], run: searchPhase },
  retrain: {
    files: ['retrain.safetensors', 'winner.safetensors'],
    run: async (c) => {
      const r = await c.engine.retrain(engineRun(c), resultOf<SearchResult>(c, 'search').winner);
      c.log(`retrained winner: ${(r.testAccuracy * 100).toFixed(2)} % test accuracy on ${r.testImages} images`);
      return r;
    },
  },
  verify: { files: [], run: verifyPhase },
  export: { files: ['winner.onnx'], run: exportPhase },
  report: { files: ['report.md', 'report.html', 'candidates.svg', 'supernet-steps.svg'], run: reportPhase },
};

/** Opens (or re-opens) the run folder on the preset the engine's data fits. */
async function openRun(base: HurricaneSession, o: SearchOptions): Promise<RunContext> {
  const log = o.log ?? (() => {});
  const factory = o.engine ?? (await import('./search-engine.js')).tfSearchEngine;
  const engine = await factory(base, log);
  const session = base.withPreset(engine.presetName);
  const core = session.config.core;
  const name = o.name ?? (core.search.baseline ? 'spos' : 'hurricane');
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new ConfigError(`run name '${name}' may only use letters, digits, '.', '_' and '-'`);
  const run = new RunFolder(path.join(session.config.workDir, 'runs', name));
  // where latencies are measured (this machine or a farm) does not change the run; the farm URL may hold a password
  const config = { ...core, plugins: undefined, farm: undefined };
  run.open({ createdBy: `@hurricane/core ${CORE_VERSION}`, seed: core.seed, hardware: core.hardware, preset: core.preset, config });
  if (o.from)
    run.resetFrom(o.from, Object.fromEntries(SEARCH_PHASES.map((p) => [p, PHASES[p].files])) as Record<SearchPhase, readonly string[]>);
  log(`run folder: ${path.relative(process.cwd(), run.dir) || '.'}`);
  const progress = o.progress ?? silentProgress;
  return { session, run, backbone: preset(core.preset), engine, o, log, progress, signal: o.signal ? { signal: o.signal } : {} };
}

/**
 * `hurricane search`: HURRICANE end to end (docs/method.md §2, §7) in a resumable run folder. Each
 * phase of {@link PHASES} is skipped when the folder says it finished; a killed run continues where
 * it stopped (supernet training from its checkpoint, the evolution from its last evaluation). With
 * `search.baseline` it runs plain SPOS.
 */
export async function search(base: HurricaneSession, o: SearchOptions = {}): Promise<SearchSummary> {
  const started = performance.now();
  const c = await openRun(base, o);
  for (const p of SEARCH_PHASES) await step(c, p, () => PHASES[p].run(c));
  const core = c.session.config.core;
  const found = resultOf<SearchResult>(c, 'search');
  return {
    ...{
      run: c.run.dir,
      preset: core.preset,
      hardware: core.hardware,
      budgetMs: resultOf<{ budgetMs: number }>(c, 'search:budget').budgetMs,
    },
    ...{ baseline: core.search.baseline, winner: found.winner, iterations: found.iterations, supernetSteps: found.supernetSteps },
    ...{
      retrain: resultOf<RetrainSummary>(c, 'retrain'),
      verify: resultOf<VerifySummary>(c, 'verify'),
      export: resultOf<ExportSummary>(c, 'export'),
    },
    report: resultOf<{ markdown: string; html: string }>(c, 'report'),
    wallMs: performance.now() - started,
  };
}

export { SEARCH_PHASES };
export type { RetrainSummary, VerifySummary } from '../report/search-summaries.js';
export type { EngineRun, SearchEngine, SearchEngineFactory } from './search-engine.js';
