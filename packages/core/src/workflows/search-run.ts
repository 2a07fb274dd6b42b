import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { LatencyMeasurement } from '../contracts/hardware-adapter.js';
import { channelStats, splitValidation, trainingView } from '../data/dataset.js';
import { selectEngine } from '../engine/select-engine.js';
import { StandaloneNetwork } from '../engine/network.js';
import { saveNetworkWeights } from '../engine/network-weights.js';
import { ConfigError, HurricaneError } from '../errors.js';
import { exportArchitecture } from '../onnx/model-files.js';
import { readSpace } from '../profile/space-file.js';
import type { ReducedSpace } from '../profile/reduction.js';
import { type ProgressReporter, silentProgress } from '../progress.js';
import { hash32 } from '../random.js';
import { type IterationResult, type SearchEvent, type SearchJournal, coordinateAscent } from '../search/coordinate-ascent.js';
import type { EvolutionState } from '../search/evolution.js';
import { LatencyConstraint, type LatencyModel } from '../search/latency-constraint.js';
import type { HurricaneSession } from '../session/session.js';
import { graphCost } from '../space/analytics.js';
import type { Architecture } from '../space/architecture.js';
import { type Backbone, layerContexts, networkGraph, preset } from '../space/backbone.js';
import { evaluate } from '../train/evaluate.js';
import { PathEvaluator } from '../train/path-evaluator.js';
import { trainNetwork } from '../train/trainer.js';
import { addVerifiedArchitecture, measureDataset } from './predictor-dataset.js';
import { fitPredictor } from './predictor-run.js';
import { buildSpace, measureNetwork, openLatencyStore, profile, spacePath } from './profile-run.js';
import { RunFolder, SEARCH_PHASES, type SearchPhase } from './run-folder.js';
import { writeSearchReport } from './search-report.js';
import type { RetrainSummary, VerifySummary } from './search-types.js';
import { autoBudget, lookupLatencyModel, predictorLatencyModel } from './search-latency.js';
import { TfSupernetTrainer } from './search-supernet.js';
import { loadDataset, trainingPreset, workerCount } from './train-run.js';
import { CORE_VERSION } from '../version.js';

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
  readonly export: { readonly file: string; readonly bytes: number; readonly sha256: string };
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

/** Measurement sessions of the winner in the verify phase (their median is reported). */
const VERIFY_SESSIONS = 3;

/** Files each phase owns in the run folder (removed by `--from`). */
const PHASE_FILES: Record<SearchPhase, readonly string[]> = {
  profile: [],
  space: [],
  dataset: ['predictor-dataset.csv', 'predictor-dataset.meta.json'],
  predictor: ['predictor.json'],
  search: ['supernet-*.safetensors', 'evolution-*.json', 'iteration-*.json'],
  retrain: ['retrain.safetensors', 'winner.safetensors'],
  verify: [],
  export: ['winner.onnx'],
  report: ['report.md', 'report.html'],
};

/** The dataset split and views the search trains and evaluates on, and the preset they fit. */
async function prepareData(session: HurricaneSession, log: (line: string) => void) {
  const core = session.config.core;
  const { train: set, test } = await loadDataset(session);
  const presetName = trainingPreset(session, set, log);
  const split = splitValidation(set, { perClass: core.train.validationPerClass, seed: core.seed });
  const { mean, std } = channelStats(set, split.trainIndices);
  const augmentation = set.shape[0] === 1 ? { cropPadding: 2, flip: false } : { cropPadding: 4, flip: true };
  const plain = { augmentation: { cropPadding: 0, flip: false }, mean, std };
  log(`data: ${set.name}, ${split.trainIndices.length} training, ${split.valIndices.length} validation and ${test.count} test images`);
  return {
    presetName,
    train: trainingView(set, split.trainIndices, { augmentation, mean, std }),
    recalibration: trainingView(set, split.trainIndices, plain),
    validation: trainingView(set, split.valIndices, plain),
    test: trainingView(
      test,
      Array.from({ length: test.count }, (_, i) => i),
      plain,
    ),
  };
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

/** Runs `phase` unless the run folder says it is finished; records its summary. */
async function phase<T>(run: RunFolder, name: string, log: (l: string) => void, fn: () => Promise<T>): Promise<T> {
  const done = run.done<T>(name);
  if (done !== null) {
    log(`${name}: finished earlier (kept)`);
    return done;
  }
  log(`${name}: running`);
  const result = await fn();
  run.finish(name, result);
  return result;
}

/** Progress lines for the evolution: one per evaluation with the best so far. */
function searchEvents(progress: ProgressReporter, log: (l: string) => void, perIteration: number) {
  let best = 0;
  return (e: SearchEvent) => {
    if (e.kind === 'iteration') {
      log(
        `iteration ${e.iteration}: layers ${e.activeLayers[0]}–${e.activeLayers.at(-1)} active, ${e.size.toExponential(2)} architectures`,
      );
    } else if (e.kind === 'trained') {
      log(
        `iteration ${e.iteration}: supernet trained for ${e.training.steps} steps (loss EMA ${e.training.lossEma.toFixed(4)}, stopped by ${e.training.stoppedBy})`,
      );
      best = 0;
    } else if (e.kind === 'evaluated') {
      if (e.count === 1 || best === 0) progress.start(perIteration, e.count - 1, `iteration ${e.iteration}: evolution`);
      best = Math.max(best, e.candidate.accuracy);
      progress.advance(
        1,
        `gen ${e.candidate.generation}: ${(e.candidate.accuracy * 100).toFixed(2)} % at ${e.candidate.latencyMs.toFixed(3)} ms (best ${(best * 100).toFixed(2)} %)`,
      );
    } else {
      if (!e.resumed) progress.stop();
      log(
        `iteration ${e.result.iteration}: a_win ${e.result.winner.join(' ')} — ${(e.result.best.accuracy * 100).toFixed(2)} % validation at ${e.result.best.latencyMs.toFixed(3)} ms predicted`,
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

/** The latency model the search answers to: the predictor on the reduced space, the calibrated lookup table for the baseline. */
function latencyModelFor(
  session: HurricaneSession,
  run: RunFolder,
  space: ReducedSpace,
  backbone: Backbone,
  baseline: boolean,
): LatencyModel {
  if (!baseline) return predictorLatencyModel(session, run.file('predictor.json'), space);
  const store = openLatencyStore(session);
  try {
    const hw = { adapterId: space.adapterId, deviceFingerprint: space.deviceFingerprint, runtimeVersion: space.runtimeVersion };
    const ops = new Map(store.listOperators(hw).map((r) => [`${r.key.operator}@${r.key.contextId}`, r.measurement.medianMs]));
    const contexts = layerContexts(backbone);
    const meta = JSON.parse(readFileSync(run.file('predictor-dataset.meta.json'), 'utf8')) as { architectures: string[] };
    const measured = meta.architectures.map((a) => {
      const m = store.getNetwork({ ...hw, preset: backbone.name, arch: a }, 0);
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

/** Retrains the winner from scratch with a cosine schedule (resumable), then scores it on the test set. */
async function retrain(
  ctx: { session: HurricaneSession; run: RunFolder; backbone: Backbone; data: Awaited<ReturnType<typeof prepareData>>; workers: number },
  winner: Architecture,
  o: SearchOptions,
): Promise<RetrainSummary> {
  const core = ctx.session.config.core;
  const t = core.train;
  const steps = core.search.retrainSteps;
  const net = new StandaloneNetwork(ctx.backbone, winner, hash32(`${core.seed}:retrain`));
  const progress = o.progress ?? silentProgress;
  let started = false;
  try {
    await trainNetwork(net, ctx.data.train, {
      ...{ steps, batchSize: t.batchSize, lr: core.search.retrainLr, momentum: t.momentum, weightDecay: t.weightDecay },
      ...{ labelSmoothing: t.labelSmoothing, schedule: 'cosine' as const, seed: hash32(`${core.seed}:retrain`) },
      ...{ checkpointEvery: t.checkpointEvery, checkpointFile: ctx.run.file('retrain.safetensors'), workers: ctx.workers },
      ...(o.signal ? { signal: o.signal } : {}),
      onStep: (s) => {
        if (!started) {
          progress.start(steps, s.step - 1, 'retraining the winner from scratch (cosine schedule)');
          started = true;
        }
        progress.advance(1, `step ${s.step}: loss ${s.loss.toFixed(4)} (EMA ${s.lossEma.toFixed(4)}), lr ${s.lr.toExponential(2)}`);
      },
    }).finally(() => {
      if (started) progress.stop();
    });
    // BatchNorm statistics re-estimated on training batches with the final weights (running averages lag a short run)
    const pe = await PathEvaluator.create(net, ctx.data.recalibration, ctx.data.validation, {
      recalibrationBatches: Math.max(20, core.search.recalibrationBatches),
      recalibrationBatchSize: core.search.recalibrationBatchSize,
      seed: core.seed,
    });
    for (const [name, values] of await pe.recalibrate(winner)) net.store.setOnnxValues(name, values);
    const weights = ctx.run.file('winner.safetensors');
    saveNetworkWeights(net, weights);
    const ev = await evaluate(net, winner, ctx.data.test);
    return { steps, testAccuracy: ev.accuracy, testLoss: ev.loss, testImages: ev.count, weights };
  } finally {
    net.dispose();
  }
}

/** Measures the retrained winner on the hardware, compares it with the prediction and adds it to the data set. */
async function verify(
  session: HurricaneSession,
  run: RunFolder,
  backbone: Backbone,
  winner: Architecture,
  model: LatencyModel,
  budgetMs: number,
  o: SearchOptions,
): Promise<VerifySummary> {
  // three separate measurement sessions, their median: one session on a busy device can be far off
  const sessions: LatencyMeasurement[] = [];
  for (let k = 0; k < VERIFY_SESSIONS; k++)
    sessions.push(
      await measureNetwork(session, winner, { weightsFile: run.file('winner.safetensors'), ...(o.signal ? { signal: o.signal } : {}) }),
    );
  const sessionsMs = sessions.map((s) => s.medianMs).sort((a, b) => a - b);
  const m = { medianMs: sessionsMs[Math.floor(VERIFY_SESSIONS / 2)] as number, provenance: (sessions[0] as LatencyMeasurement).provenance };
  addVerifiedArchitecture(session, winner);
  const p = model.predict([winner]);
  const cost = graphCost(networkGraph(backbone, winner));
  return {
    measuredMs: m.medianMs,
    sessionsMs,
    predictedMs: p.mean[0] as number,
    ...(p.std ? { predictedStdMs: p.std[0] as number } : {}),
    withinBudget: m.medianMs <= budgetMs,
    device: m.provenance.device,
    flops: cost.flops,
    params: cost.params,
  };
}

/** What every phase of one run shares. */
interface RunContext {
  readonly session: HurricaneSession;
  readonly run: RunFolder;
  readonly backbone: Backbone;
  readonly data: Awaited<ReturnType<typeof prepareData>>;
  readonly o: SearchOptions;
  readonly log: (line: string) => void;
  readonly progress: ProgressReporter;
  readonly signal: { signal?: AbortSignal };
}

/** Loads the data, picks the preset it fits and opens (or re-opens) the run folder. */
async function openRun(base: HurricaneSession, o: SearchOptions): Promise<RunContext> {
  const log = o.log ?? (() => {});
  const data = await prepareData(base, log);
  const session = base.withPreset(data.presetName);
  const core = session.config.core;
  const name = o.name ?? (core.search.baseline ? 'spos' : 'hurricane');
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new ConfigError(`run name '${name}' may only use letters, digits, '.', '_' and '-'`);
  const run = new RunFolder(path.join(session.config.workDir, 'runs', name));
  // where latencies are measured (this machine or a farm) does not change the run; the farm URL may hold a password
  const config = { ...core, plugins: undefined, farm: undefined };
  run.open({ createdBy: `@hurricane/core ${CORE_VERSION}`, seed: core.seed, hardware: core.hardware, preset: core.preset, config });
  if (o.from) run.resetFrom(o.from, PHASE_FILES);
  log(`run folder: ${path.relative(process.cwd(), run.dir) || '.'}`);
  const progress = o.progress ?? silentProgress;
  return { session, run, backbone: preset(core.preset), data, o, log, progress, signal: o.signal ? { signal: o.signal } : {} };
}

/** profile → space → dataset → predictor: the hardware half of Algorithm 1. Returns the reduced space. */
async function hardwarePhases(c: RunContext): Promise<ReducedSpace> {
  const { session, run, log, progress, signal } = c;
  const sc = session.config.core.search;
  await phase(run, 'profile', log, async () => {
    const p = await profile(session, { progress, ...signal, ...(c.o.from === 'profile' ? { force: true } : {}) });
    return { device: p.device, total: p.total, measured: p.measured, reused: p.reused };
  });
  const spaceInfo = await phase(run, 'space', log, async () => ({ file: (await buildSpace(session)).file }));
  await phase(run, 'dataset', log, async () => {
    const output = run.file('predictor-dataset.csv');
    const d = await measureDataset(session, { n: sc.datasetSize, repeats: sc.datasetRepeats, output, progress, ...signal });
    return { rows: d.meta.architectures.length, measured: d.measured, reused: d.reused, noiseFloor: d.meta.noiseFloor };
  });
  await phase(run, 'predictor', log, async () => {
    const f = await fitPredictor(session, {
      train: run.file('predictor-dataset.csv'),
      output: run.file('predictor.json'),
      onStage: (s) => log(`predictor: ${s}`),
    });
    return { model: f.predictor.model.kind, holdout: f.predictor.metrics.holdout, reason: f.selection?.reason ?? null };
  });
  return readSpace(spaceInfo.file ?? spacePath(session));
}

/** The budget (recorded once) and the constraint the search answers to. */
async function budgetPhase(c: RunContext, space: ReducedSpace) {
  const sc = c.session.config.core.search;
  const model = latencyModelFor(c.session, c.run, space, c.backbone, sc.baseline);
  const budget = await phase(c.run, 'search:budget', c.log, async () => {
    const reduced = predictorLatencyModel(c.session, c.run.file('predictor.json'), space);
    const budgetMs = sc.budgetMs === 'auto' ? autoBudget(space.candidates, reduced, c.session.config.core.seed) : sc.budgetMs;
    const how =
      sc.budgetMs === 'auto' ? ' (auto: the median predicted latency of the reduced space; set search.budgetMs to choose one)' : '';
    c.log(`latency budget: ${budgetMs} ms${how}`);
    return { budgetMs };
  });
  const confidence = sc.confidence !== undefined ? { confidence: sc.confidence } : {};
  return { model, budgetMs: budget.budgetMs, constraint: new LatencyConstraint(model, { budgetMs: budget.budgetMs, ...confidence }) };
}

/** Coordinate ascent over TF.js supernets (or the SPOS baseline), resumed from the run folder's journal. */
async function searchPhase(c: RunContext, space: ReducedSpace, constraint: LatencyConstraint, workers: number) {
  const core = c.session.config.core;
  const sc = core.search;
  const candidates = sc.baseline ? layerContexts(c.backbone).map(() => [...c.backbone.operators]) : space.candidates;
  const result = await phase(c.run, 'search', c.log, async () => {
    const lossTarget = c.o.lossTarget !== undefined ? { lossTarget: c.o.lossTarget } : {};
    const trainer = new TfSupernetTrainer({
      backbone: c.backbone,
      ...c.data,
      core,
      workers,
      run: c.run,
      progress: c.progress,
      ...c.signal,
      ...lossTarget,
    });
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
        onEvent: searchEvents(c.progress, c.log, sc.population * sc.generations),
      });
      return { winner: r.winner, supernetSteps: r.supernetSteps, iterations: r.iterations.map(iterationSummary) };
    } finally {
      trainer.dispose();
    }
  });
  return { ...result, candidates };
}

/**
 * `hurricane search`: HURRICANE end to end (docs/method.md §2, §7) in a resumable run folder — profile →
 * space → predictor data set → predictor → coordinate ascent (supernet, then evolution, per
 * iteration) → retrain → verify on the hardware → ONNX export → report. Each phase is skipped when
 * the folder says it finished; a killed run continues where it stopped (supernet training from its
 * checkpoint, the evolution from its last evaluation). With `search.baseline` it runs plain SPOS.
 */
export async function search(base: HurricaneSession, o: SearchOptions = {}): Promise<SearchSummary> {
  const started = performance.now();
  const c = await openRun(base, o);
  const { session, run, backbone, log } = c;
  const core = session.config.core;
  const space = await hardwarePhases(c);
  const { model, budgetMs, constraint } = await budgetPhase(c, space);
  const workers = workerCount(core.train.workers, await selectEngine(core.engine), core.train.batchSize);
  const found = await searchPhase(c, space, constraint, workers);
  const winner = found.winner;
  const retrained = await phase(run, 'retrain', log, () => retrain({ session, run, backbone, data: c.data, workers }, winner, o));
  log(`retrained winner: ${(retrained.testAccuracy * 100).toFixed(2)} % test accuracy on ${retrained.testImages} images`);
  const verified = await phase(run, 'verify', log, () => verify(session, run, backbone, winner, model, budgetMs, o));
  if (!verified.withinBudget)
    log(
      `WARNING: the winner measures ${verified.measuredMs.toFixed(3)} ms on ${verified.device}, OVER the ${budgetMs} ms budget (predicted ${verified.predictedMs.toFixed(3)} ms); its measurement now joins the predictor's data set: re-run with --from dataset, or lower search.budgetMs / set search.confidence`,
    );
  const exported = await phase(run, 'export', log, async () => {
    const file = run.file('winner.onnx');
    const { bytes } = exportArchitecture({ backbone, arch: winner, output: file, seed: core.seed, weightsFile: retrained.weights });
    return { file, bytes, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
  });
  const baseline = core.search.baseline;
  const report = await phase(run, 'report', log, () =>
    writeSearchReport(run, { session, space, backbone, budgetMs, baseline, winner, candidates: found.candidates }),
  );
  const { iterations, supernetSteps } = found;
  const summary = { run: run.dir, preset: core.preset, hardware: core.hardware, budgetMs, baseline, winner, iterations, supernetSteps };
  return { ...summary, retrain: retrained, verify: verified, export: exported, report, wallMs: performance.now() - started };
}

export { SEARCH_PHASES };
export type { RetrainSummary, VerifySummary } from './search-types.js';
