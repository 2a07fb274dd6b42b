import { existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HurricaneSession } from '../session/session.js';
import { channelStats, type ImageSet, splitValidation, subset, trainingView } from '../data/dataset.js';
import { loadCifar10, loadMnist, readImageFolder } from '../data/loaders.js';
import { loadIdxFolder } from '../data/idx.js';
import { ConfigError } from '../errors.js';
import type { ValueSource } from '../config/resolve.js';
import { PRESET_NAMES, type PresetName } from '../config/schema.js';
import { readSpace } from '../profile/space-file.js';
import { spacePath } from './profile-run.js';
import { type ProgressReporter, silentProgress } from '../progress.js';
import type { Architecture } from '../space/architecture.js';
import { layerContexts, preset } from '../space/backbone.js';
import { type EngineChoice, selectEngine } from '../engine/select-engine.js';
import { Supernet } from '../engine/network.js';
import { type Evaluation, evaluate, recalibrateBatchNorm } from '../train/evaluate.js';
import { type StepInfo, type TrainingResult, trainNetwork } from '../train/trainer.js';

/** What {@link trainFromConfig} did. */
export interface TrainRunSummary extends TrainingResult {
  /** The preset trained (the configured one, or with the default preset the one the dataset fits). */
  readonly preset: PresetName;
  readonly engine: EngineChoice;
  readonly workers: number;
  readonly checkpoint: string;
  /** Where the candidates came from: the profiled, reduced space or every operator of the preset. */
  readonly candidatesFrom: 'space.json' | 'preset';
  readonly trainImages: number;
  readonly validationImages: number;
  /** The space's initial winner (or the first candidates) after BatchNorm recalibration, on the validation split. */
  readonly probe: { readonly arch: Architecture; readonly evaluation: Evaluation };
  readonly wallMs: number;
}

/** Options of {@link trainFromConfig} (each overrides the config's `train` block). */
export interface TrainRunOptions {
  readonly steps?: number;
  readonly workers?: number;
  /** Delete an existing checkpoint and start again (default: resume from it). */
  readonly fresh?: boolean;
  /** Resume a checkpoint written with another schedule (steps, schedule, lr), continuing with this run's. */
  readonly reschedule?: boolean;
  /** Called after each checkpoint is written. */
  readonly onCheckpoint?: (step: number, file: string) => void;
  readonly progress?: ProgressReporter;
  readonly signal?: AbortSignal;
  /** One line per event (engine chosen, data loaded, …). */
  readonly log?: (line: string) => void;
}

/** The training and validation split of the configured dataset (validation held out per class, seeded). */
export async function loadTrainingSet(session: HurricaneSession): Promise<ImageSet> {
  return (await loadDataset(session)).train;
}

const DATA_DIR_HINT = {
  cifar10: 'data_batch_1.bin … data_batch_5.bin and test_batch.bin',
  idx: 'train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz and the t10k files (e.g. /usr/share/datasets/fashion-mnist)',
  folder: 'one sub-folder of images per class',
};

/**
 * The configured dataset's training set and its test set (the original test split; an image folder
 * has none, so `validationPerClass` seeded images per class are set apart as its test set).
 */
export async function loadDataset(session: HurricaneSession): Promise<{ train: ImageSet; test: ImageSet }> {
  const t = session.config.core.train;
  const seed = session.config.core.seed;
  if (t.dataset === 'mnist') return loadMnist({ seed });
  if (!t.dataDir)
    throw new ConfigError(
      `train.dataDir is required for train.dataset '${t.dataset}': set it to the folder with ${DATA_DIR_HINT[t.dataset]}`,
    );
  const dir = path.resolve(session.config.rootDir, t.dataDir);
  if (t.dataset === 'cifar10') return loadCifar10(dir);
  if (t.dataset === 'idx') return loadIdxFolder(dir);
  const all = await readImageFolder(dir, { size: preset(session.config.core.preset).input[1] });
  const split = splitValidation(all, { perClass: t.validationPerClass, seed: seed ^ 0x7e57 });
  return { train: subset(all, split.trainIndices, `${all.name}/train`), test: subset(all, split.valIndices, `${all.name}/test`) };
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The preset training runs on: the configured one when the dataset fits it; when the preset was
 * left at its default, the preset the dataset fits (so `hurricane train` works with no config:
 * MNIST ships in the package). A preset set in the config or on the command line that does not fit
 * the dataset is a config error naming both keys.
 */
export function trainingPreset(session: HurricaneSession, set: ImageSet, log: (line: string) => void): PresetName {
  const core = session.config.core;
  if (sameShape(set.shape, preset(core.preset).input)) return core.preset;
  const fits = PRESET_NAMES.filter((p) => sameShape(set.shape, preset(p).input) && preset(p).classes === set.numClasses);
  const where = (key: string) => describeSource(session.config.sources.get(key));
  if (session.config.sources.get('preset')?.kind === 'default' && fits[0]) {
    log(
      `preset: ${fits[0]} (train.dataset '${core.train.dataset}' has ${set.shape.join('x')} images; the default preset '${core.preset}' does not fit them)`,
    );
    return fits[0];
  }
  const [c, h, w] = set.shape;
  const [bc, bh, bw] = preset(core.preset).input;
  throw new ConfigError(
    `preset '${core.preset}' (${where('preset')}) expects ${bw}x${bh}x${bc} images but train.dataset '${core.train.dataset}' (${where('train.dataset')}) has ${w}x${h}x${c}: ${fits.length > 0 ? `set preset to ${fits.map((f) => `'${f}'`).join(' or ')}` : 'choose a preset that fits the images'} or choose another train.dataset`,
  );
}

/** Where a config value came from, for messages. */
function describeSource(s: ValueSource | undefined): string {
  if (!s || s.kind === 'default') return 'the default';
  if (s.kind === 'flag') return s.flag;
  if (s.kind === 'file') return s.file;
  return 'discovered';
}

/** The dataset split into normalised training (augmented) and validation views, and the preset they fit. */
async function prepareData(session: HurricaneSession, log: (line: string) => void) {
  const core = session.config.core;
  const set = await loadTrainingSet(session);
  const presetName = trainingPreset(session, set, log);
  const [c] = set.shape;
  const split = splitValidation(set, { perClass: core.train.validationPerClass, seed: core.seed });
  const { mean, std } = channelStats(set, split.trainIndices);
  const augmentation = c === 1 ? { cropPadding: 2, flip: false } : { cropPadding: 4, flip: true };
  const train = trainingView(set, split.trainIndices, { augmentation, mean, std });
  const validation = trainingView(set, split.valIndices, { augmentation: { cropPadding: 0, flip: false }, mean, std });
  log(`data: ${set.name}, ${split.trainIndices.length} training and ${split.valIndices.length} validation images`);
  return { presetName, train, validation, trainImages: split.trainIndices.length, validationImages: split.valIndices.length };
}

/** The candidates per layer: the reduced space of `hurricane space` when it exists, else every operator of the preset. */
function chooseCandidates(session: HurricaneSession, presetName: PresetName, log: (line: string) => void) {
  const backbone = preset(presetName);
  const spaceFile = spacePath(session, presetName);
  // The preset is repeated when training chose it (the default preset gave way to the dataset's).
  const presetFlag = presetName !== session.config.core.preset ? ['--preset', presetName] : [];
  const space = existsSync(spaceFile) ? readSpace(spaceFile) : null;
  const candidates = space ? space.candidates : layerContexts(backbone).map(() => backbone.operators);
  log(
    space
      ? `candidates: the reduced space of ${path.relative(process.cwd(), spaceFile)} (${candidates.map((l) => l.length).join('/')} per layer)`
      : `candidates: every operator of preset '${presetName}' (no ${path.relative(process.cwd(), spaceFile)}: run '${session.command('profile', ...presetFlag)}' and '${session.command('space', ...presetFlag)}' to train over the reduced space)`,
  );
  const probe: Architecture = space ? [...space.initialArch] : candidates.map((l) => l[0] as string);
  return { candidates, probe, from: space ? ('space.json' as const) : ('preset' as const), dir: path.dirname(spaceFile) };
}

/** Worker threads: `auto` is one per core on the one-core engines (wasm, cpu); tfjs-node already uses every core. */
export function workerCount(requested: number | 'auto', engine: EngineChoice, batchSize: number): number {
  const auto = engine.engine === 'wasm' || engine.engine === 'cpu' ? os.availableParallelism() : 1;
  return Math.max(1, Math.min(requested === 'auto' ? auto : requested, batchSize));
}

/** Per-step progress: starts the reporter on the first step (resumed runs start part-way) and shows an images/s EMA. */
function progressSteps(progress: ProgressReporter, steps: number, batchSize: number) {
  let last = performance.now();
  let rate = 0;
  let started = false;
  return {
    onStep(s: StepInfo): void {
      if (!started) {
        progress.start(steps, s.step - 1, 'supernet training');
        started = true;
      }
      const now = performance.now();
      const r = batchSize / ((now - last) / 1000);
      rate = rate === 0 ? r : 0.9 * rate + 0.1 * r;
      last = now;
      progress.advance(
        1,
        `step ${s.step}: loss ${s.loss.toFixed(4)} (EMA ${s.lossEma.toFixed(4)}), lr ${s.lr.toExponential(2)}, ${rate.toFixed(1)} images/s`,
      );
    },
    stop(): void {
      if (started) progress.stop();
    },
  };
}

/**
 * `hurricane train`: trains the session's supernet (docs/method.md §7) on the configured dataset: over the
 * reduced space of `hurricane space` when it exists, else over every operator of the preset.
 * Resumes from `<workDir>/<hardware>/<preset>/supernet.safetensors` (checkpointed every
 * `train.checkpointEvery` steps and on a stop), then probes the result: one architecture's
 * validation accuracy after BatchNorm recalibration.
 */
export async function trainFromConfig(session: HurricaneSession, o: TrainRunOptions = {}): Promise<TrainRunSummary> {
  const started = performance.now();
  const log = o.log ?? (() => {});
  const core = session.config.core;
  const t = core.train;
  const engine = await selectEngine(core.engine);
  log(`engine: ${engine.engine} (TF.js backend '${engine.backend}'): ${engine.reason}`);
  const data = await prepareData(session, log);
  const { candidates, probe, from, dir } = chooseCandidates(session, data.presetName, log);
  mkdirSync(dir, { recursive: true });
  const checkpoint = path.join(dir, 'supernet.safetensors');
  if (o.fresh) rmSync(checkpoint, { force: true });
  const steps = o.steps ?? t.steps;
  const workers = workerCount(o.workers ?? t.workers, engine, t.batchSize);
  log(`workers: ${workers} (batch ${t.batchSize}, ${steps} steps, checkpoint ${path.relative(process.cwd(), checkpoint)})`);

  const net = new Supernet(preset(data.presetName), core.seed, candidates);
  const progress = progressSteps(o.progress ?? silentProgress, steps, t.batchSize);
  try {
    const result = await trainNetwork(net, data.train, {
      ...{ steps, batchSize: t.batchSize, lr: t.lr, momentum: t.momentum, weightDecay: t.weightDecay },
      ...{ labelSmoothing: t.labelSmoothing, schedule: t.schedule, seed: core.seed, checkpointEvery: t.checkpointEvery },
      ...(t.lossTarget !== undefined ? { lossTarget: t.lossTarget } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      checkpointFile: checkpoint,
      ...(o.reschedule ? { reschedule: true } : {}),
      ...(o.onCheckpoint ? { onCheckpoint: (step: number) => o.onCheckpoint?.(step, checkpoint) } : {}),
      workers,
      onStep: progress.onStep,
    }).finally(() => progress.stop());
    recalibrateBatchNorm(net, probe, data.train, { batches: 20, batchSize: t.batchSize, seed: core.seed });
    const evaluation = await evaluate(net, probe, data.validation);
    const { trainImages, validationImages } = data;
    const summary = { preset: data.presetName, engine, workers, checkpoint, candidatesFrom: from, trainImages, validationImages };
    return { ...result, ...summary, probe: { arch: probe, evaluation }, wallMs: performance.now() - started };
  } finally {
    net.dispose();
  }
}
