// The TF.js half of `hurricane search`: the data it trains on, the supernet trainer of every
// iteration and the retraining of the winner. `search-run.ts` takes it as a {@link SearchEngine},
// so its phases can run with a dummy engine in unit tests.
import type { PresetName } from '../config/schema.js';
import { selectEngine } from '../engine/select-engine.js';
import { StandaloneNetwork } from '../engine/network.js';
import { saveNetworkWeights } from '../engine/network-weights.js';
import type { ProgressReporter } from '../progress.js';
import { hash32 } from '../random.js';
import type { RetrainSummary } from '../report/search-summaries.js';
import type { SupernetTrainer } from '../search/coordinate-ascent.js';
import type { HurricaneSession } from '../session/session.js';
import type { Architecture } from '../space/architecture.js';
import type { Backbone } from '../space/backbone.js';
import { evaluate } from '../train/evaluate.js';
import { PathEvaluator } from '../train/path-evaluator.js';
import { trainingProgress } from '../train/progress.js';
import { TfSupernetTrainer, type TrainingJournal } from '../train/supernet-trainer.js';
import { trainNetwork } from '../train/trainer.js';
import { type PreparedData, prepareData } from './prepare-data.js';
import { workerCount } from './train-run.js';

/** What an engine's trainer and retraining get from the run. */
export interface EngineRun {
  readonly session: HurricaneSession;
  readonly backbone: Backbone;
  readonly journal: TrainingJournal;
  readonly progress: ProgressReporter;
  readonly signal?: AbortSignal | undefined;
  /** Overrides `train.lossTarget` (Table 3 stops HURRICANE's supernets at the baseline's loss). */
  readonly lossTarget?: number | undefined;
}

/** The training side of a search: the data's preset, a supernet trainer per run, and the retraining of the winner. */
export interface SearchEngine {
  /** The preset the data fits (the run's preset when the config left it at its default). */
  readonly presetName: PresetName;
  /** A supernet trainer for the search phase; disposed when the phase ends. */
  trainer(run: EngineRun): SupernetTrainer & { dispose(): void };
  /** Retrains the winner from scratch (resumable in the journal), scores it on the test set and saves its weights. */
  retrain(run: EngineRun, winner: Architecture): Promise<RetrainSummary>;
  /** Trains one path from scratch (the rank check) and scores it on the validation set the supernet's fitness used. */
  trainStandalone(run: EngineRun, arch: Architecture, o: StandaloneTraining): Promise<{ accuracy: number; loss: number; images: number }>;
}

/** Makes the engine of one search from its session; `log` takes one line per event. */
export type SearchEngineFactory = (session: HurricaneSession, log: (line: string) => void) => Promise<SearchEngine>;

/** A standalone training of one path: its steps, base learning rate, seed, checkpoint and progress label. */
export interface StandaloneTraining {
  readonly steps: number;
  readonly lr: number;
  readonly seed: number;
  /** Resumable checkpoint in the run folder. */
  readonly checkpointFile: string;
  readonly label: string;
}

/**
 * Trains `arch` from scratch with a cosine schedule (resumable from its checkpoint), then
 * re-estimates its BatchNorm statistics on training batches (running averages lag a short run).
 * Returns the trained network; the caller scores and disposes of it.
 */
async function trainFromScratch(data: PreparedData, workers: number, r: EngineRun, arch: Architecture, o: StandaloneTraining) {
  const core = r.session.config.core;
  const t = core.train;
  const net = new StandaloneNetwork(r.backbone, arch, o.seed);
  const progress = trainingProgress(r.progress, { steps: o.steps, batchSize: t.batchSize, label: o.label });
  try {
    await trainNetwork(net, data.train, {
      ...{ steps: o.steps, batchSize: t.batchSize, lr: o.lr, momentum: t.momentum, weightDecay: t.weightDecay },
      ...{ labelSmoothing: t.labelSmoothing, schedule: 'cosine' as const, seed: o.seed },
      ...{ checkpointEvery: t.checkpointEvery, checkpointFile: o.checkpointFile, workers },
      ...(r.signal ? { signal: r.signal } : {}),
      onStep: progress.onStep,
    }).finally(() => progress.stop());
    const pe = await PathEvaluator.create(net, data.recalibration, data.validation, {
      recalibrationBatches: Math.max(20, core.search.recalibrationBatches),
      recalibrationBatchSize: core.search.recalibrationBatchSize,
      seed: core.seed,
    });
    for (const [name, values] of await pe.recalibrate(arch)) net.store.setOnnxValues(name, values);
    return net;
  } catch (error) {
    net.dispose();
    throw error;
  }
}

/** Retrains the winner from scratch with a cosine schedule (resumable), then scores it on the test set. */
async function retrain(data: PreparedData, workers: number, r: EngineRun, winner: Architecture): Promise<RetrainSummary> {
  const core = r.session.config.core;
  const steps = core.search.retrainSteps;
  const net = await trainFromScratch(data, workers, r, winner, {
    ...{ steps, lr: core.search.retrainLr, seed: hash32(`${core.seed}:retrain`) },
    ...{ checkpointFile: r.journal.file('retrain.safetensors'), label: 'retraining the winner from scratch (cosine schedule)' },
  });
  try {
    const weights = r.journal.file('winner.safetensors');
    saveNetworkWeights(net, weights);
    const ev = await evaluate(net, winner, data.test);
    return { steps, testAccuracy: ev.accuracy, testLoss: ev.loss, testImages: ev.count, weights };
  } finally {
    net.dispose();
  }
}

/** Trains a path on its own (the rank check) and scores it on the validation set the supernet's fitness used. */
async function trainStandalone(data: PreparedData, workers: number, r: EngineRun, arch: Architecture, o: StandaloneTraining) {
  const net = await trainFromScratch(data, workers, r, arch, o);
  try {
    const ev = await evaluate(net, arch, data.validation);
    return { accuracy: ev.accuracy, loss: ev.loss, images: ev.count };
  } finally {
    net.dispose();
  }
}

/** The TF.js engine: the configured dataset, {@link TfSupernetTrainer} and retraining on the selected TF.js backend. */
export const tfSearchEngine: SearchEngineFactory = async (session, log) => {
  const data = await prepareData(session, log);
  const core = session.config.core;
  const workers = workerCount(core.train.workers, await selectEngine(core.engine), core.train.batchSize);
  return {
    presetName: data.presetName,
    trainer: (r) => {
      const { train: t, search: sc } = r.session.config.core;
      const lossTarget = r.lossTarget ?? t.lossTarget;
      return new TfSupernetTrainer({
        ...{ backbone: r.backbone, train: data.train, recalibration: data.recalibration, validation: data.validation },
        recipe: {
          ...{ seed: core.seed, steps: sc.supernetSteps, batchSize: t.batchSize, lr: t.lr, momentum: t.momentum },
          ...{ weightDecay: t.weightDecay, labelSmoothing: t.labelSmoothing, schedule: t.schedule, lossTarget },
          ...{ coolDown: t.coolDown, warmupSteps: t.warmupSteps, zeroInitResidual: t.zeroInitResidual },
          ...{ checkpointEvery: t.checkpointEvery, recalibrationBatches: sc.recalibrationBatches },
          ...{ recalibrationBatchSize: sc.recalibrationBatchSize, workers },
        },
        ...{ journal: r.journal, progress: r.progress, signal: r.signal },
      });
    },
    retrain: (r, winner) => retrain(data, workers, r, winner),
    trainStandalone: (r, arch, o) => trainStandalone(data, workers, r, arch, o),
  };
};
