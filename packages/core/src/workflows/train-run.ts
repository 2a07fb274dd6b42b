import { existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { HurricaneSession } from '../session/session.js';
import type { PresetName } from '../config/schema.js';
import { prepareData } from './prepare-data.js';
import { trainingProgress } from '../train/progress.js';
import { readSpace } from '../profile/space-file.js';
import { spacePath } from './profile-run.js';
import { type ProgressReporter, silentProgress } from '../progress.js';
import type { Architecture } from '../space/architecture.js';
import { layerContexts, preset } from '../space/backbone.js';
import { type EngineChoice, selectEngine } from '../engine/select-engine.js';
import { Supernet } from '../engine/network.js';
import { type Evaluation, evaluate, recalibrateBatchNorm } from '../train/evaluate.js';
import { type TrainingResult, trainNetwork } from '../train/trainer.js';

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
  const progress = trainingProgress(o.progress ?? silentProgress, { steps, batchSize: t.batchSize, label: 'supernet training' });
  try {
    const result = await trainNetwork(net, data.train, {
      ...{ steps, batchSize: t.batchSize, lr: t.lr, momentum: t.momentum, weightDecay: t.weightDecay },
      ...{ labelSmoothing: t.labelSmoothing, schedule: t.schedule, seed: core.seed, checkpointEvery: t.checkpointEvery },
      ...(t.lossTarget !== undefined ? { lossTarget: t.lossTarget } : {}),
      ...{ coolDown: t.coolDown, warmupSteps: t.warmupSteps, zeroInitResidual: t.zeroInitResidual },
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
