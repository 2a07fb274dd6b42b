import { existsSync } from 'node:fs';
import { HurricaneError } from '../errors.js';
import { Rng } from '../random.js';
import type { Architecture } from '../space/architecture.js';
import { layerContexts } from '../space/backbone.js';
import type { SpaceNetwork } from '../engine/network.js';
import { currentEngine } from '../engine/select-engine.js';
import { hash32 } from '../random.js';
import { tf } from '../engine/tf.js';
import { readWeights, writeWeights } from '../onnx/weights-file.js';
import type { TrainingData } from '../data/training-data.js';
import { applySgd, pathGradients } from './gradients.js';
import { averageReplies, WorkerPool } from './parallel.js';
import { BatchSampler } from './sampler.js';
import { type LrSchedule, learningRate } from './schedule.js';

/** One training step, as reported to `onStep`. */
export interface StepInfo {
  readonly step: number;
  readonly arch: Architecture;
  readonly loss: number;
  /** Exponential moving average of the loss (factor 0.98), what `lossTarget` is compared with. */
  readonly lossEma: number;
  readonly lr: number;
}

/** Options of {@link trainSupernet} (SPEC §7 defaults in {@link SPOS_TRAINING}). */
export interface SupernetTrainingOptions {
  /** Stop after this many steps (the schedule decays to 0 over them). */
  readonly steps: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly momentum: number;
  /** L2 weight decay on weights with more than one dimension (not BatchNorm, not biases, as SPOS). */
  readonly weightDecay: number;
  readonly labelSmoothing: number;
  readonly schedule: LrSchedule;
  /** Also stop once the loss EMA reaches this value (the paper stops HURRICANE's supernets at SPOS's loss). */
  readonly lossTarget?: number;
  readonly seed: number;
  /** Write a checkpoint every N steps (and at the end) when `checkpointFile` is set. */
  readonly checkpointEvery?: number;
  /** Checkpoint file (safetensors); when it exists the run resumes from it exactly. */
  readonly checkpointFile?: string;
  /** Layers whose operator is sampled; the others keep `fixed` (coordinate ascent). Default: every layer. */
  readonly activeLayers?: readonly number[];
  /** Operators of the inactive layers (required with `activeLayers`). */
  readonly fixed?: Architecture;
  /** Candidates per layer (default: the network's). */
  readonly candidates?: readonly (readonly string[])[];
  /** A constraint on sampled paths (e.g. predicted latency ≤ budget); rejected paths are re-drawn. */
  readonly accept?: (arch: Architecture) => boolean;
  /** Draws before giving up on `accept` (default 10,000). */
  readonly maxRejections?: number;
  readonly onStep?: (info: StepInfo) => void;
  readonly signal?: AbortSignal;
  /**
   * Data-parallel worker threads (default 1: train in this thread). TF.js runs one backend per
   * thread, so 2 workers use both cores of a 2-core machine; each takes half of every batch.
   */
  readonly workers?: number;
}

/** SPOS / the paper's settings at batch 64 (SPEC §7). */
export const SPOS_TRAINING = { lr: 0.1, momentum: 0.9, weightDecay: 4e-5, labelSmoothing: 0.1, schedule: 'linear' as LrSchedule };

/** How a training run ended. */
export interface TrainingResult {
  readonly steps: number;
  readonly lossEma: number;
  readonly stoppedBy: 'steps' | 'loss-target';
  readonly resumedFrom: number;
}

const EMA = 0.98;

/** What a checkpoint holds besides the weights: enough to continue a run exactly. */
interface TrainingState {
  step: number;
  lossEma: number;
  pathRng: Rng;
  /** SGD momentum buffers by parameter name (TF.js layout). */
  readonly momentum: Map<string, Float32Array>;
}

/** Throws a one-line error when the options or the data do not fit the network. */
function checkTrainingInput(net: SpaceNetwork, data: TrainingData, o: SupernetTrainingOptions, active: ReadonlySet<number>): void {
  const n = layerContexts(net.backbone).length;
  if (o.activeLayers && (!o.fixed || o.fixed.length !== n))
    throw new RangeError(`training only layers ${[...active].join(', ')} needs 'fixed' operators for all ${n} layers`);
  const [c, h, w] = data.inputShape;
  const [bc, bh, bw] = net.backbone.input;
  if (c !== bc || h !== bh || w !== bw)
    throw new HurricaneError(
      `the data's images are ${w}x${h}x${c} but the '${net.backbone.name}' backbone expects ${bw}x${bh}x${bc}; pick the preset that matches the dataset`,
    );
  if (data.numClasses !== net.backbone.classes)
    throw new HurricaneError(`the data has ${data.numClasses} classes but the '${net.backbone.name}' backbone has ${net.backbone.classes}`);
  const workers = o.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > o.batchSize)
    throw new HurricaneError(`workers must be a whole number from 1 to the batch size (${o.batchSize}), got ${workers}`);
}

/** The state of a fresh run, or of the run `file` checkpointed (its weights loaded into `net`). */
function loadCheckpoint(net: SpaceNetwork, file: string | undefined, seed: number): TrainingState & { resumedFrom: number } {
  const fresh = { step: 0, lossEma: Number.NaN, pathRng: new Rng(hash32(`${seed}:paths`)), momentum: new Map(), resumedFrom: 0 };
  if (!file || !existsSync(file)) return fresh;
  const ck = readWeights(file);
  const state = JSON.parse(ck.metadata.training ?? 'null') as { step: number; lossEma: number | null; rng: number[]; seed: number } | null;
  if (!state) throw new HurricaneError(`checkpoint ${file} has no training state; it is a weights file, not a training checkpoint`);
  if (state.seed !== seed)
    throw new HurricaneError(
      `checkpoint ${file} was written by a run with seed ${state.seed}, not ${seed}; use the same seed or another checkpoint file`,
    );
  for (const name of net.store.names()) {
    const t = ck.tensors.get(name);
    if (!t) throw new HurricaneError(`checkpoint ${file} has no tensor '${name}'; it belongs to another supernet`);
    net.store.setOnnxValues(name, t.data);
  }
  const momentum = new Map<string, Float32Array>();
  for (const [name, t] of ck.tensors)
    if (name.startsWith('momentum/')) momentum.set(name.slice('momentum/'.length), Float32Array.from(t.data));
  return { step: state.step, lossEma: state.lossEma ?? Number.NaN, pathRng: Rng.fromState(state.rng), momentum, resumedFrom: state.step };
}

/** Writes weights, BatchNorm statistics, momentum buffers and the training state atomically. */
function saveCheckpoint(net: SpaceNetwork, file: string, seed: number, st: TrainingState): void {
  const tensors: [string, { shape: readonly number[]; data: Float32Array }][] = net.store
    .names()
    .map((name) => [name, { shape: net.store.spec(name).shape, data: net.store.onnxValues(name) }]);
  for (const [name, buf] of st.momentum) tensors.push([`momentum/${name}`, { shape: net.store.get(name).shape, data: buf }]); // TF.js layout
  writeWeights(file, tensors, {
    preset: net.backbone.name,
    training: JSON.stringify({ step: st.step, lossEma: Number.isNaN(st.lossEma) ? null : st.lossEma, rng: st.pathRng.state(), seed }),
  });
}

/** Draws a path uniformly over the active layers' candidates until `accept` takes it. */
function samplePath(
  candidates: readonly (readonly string[])[],
  active: ReadonlySet<number>,
  o: Pick<SupernetTrainingOptions, 'fixed' | 'accept' | 'maxRejections'>,
  rng: Rng,
): Architecture {
  const limit = o.maxRejections ?? 10_000;
  for (let tries = 0; tries < limit; tries++) {
    const arch = candidates.map((ops, l) => (active.has(l) ? (ops[rng.int(0, ops.length - 1)] as string) : (o.fixed?.[l] as string)));
    if (!o.accept || o.accept(arch)) return arch;
  }
  throw new HurricaneError(
    `no path satisfied the constraint in ${limit} draws: the latency budget is too tight for this space; raise the budget or allow faster operators`,
  );
}

/** One step's work: the path, its batch, and where the gradients are computed. */
interface StepWork {
  readonly step: number;
  readonly arch: Architecture;
  readonly batch: { readonly x: Float32Array; readonly labels: Int32Array };
  readonly lr: number;
}

/** Forward, backward and SGD of one step in this thread; returns the loss. */
function stepInThisThread(net: SpaceNetwork, data: TrainingData, o: SupernetTrainingOptions, st: TrainingState, work: StepWork): number {
  const [c, h, w] = data.inputShape;
  const n = work.batch.labels.length;
  const grads = new Map<string, Float32Array>();
  const loss = tf.tidy(() => {
    const r = pathGradients(
      net,
      work.arch,
      tf.tensor4d(work.batch.x, [n, h, w, c]),
      tf.tensor1d(work.batch.labels, 'int32'),
      data.numClasses,
      o.labelSmoothing,
      hash32(`${o.seed}:dropout:${work.step}`),
    );
    for (const [name, g] of r.grads) grads.set(name, (g.dataSync() as Float32Array).slice());
    return r.loss.dataSync()[0] as number;
  });
  applySgd(net, st.momentum, grads, work.lr, { momentum: o.momentum, weightDecay: o.weightDecay });
  return loss;
}

/**
 * One data-parallel step: shard k of W takes rows [k·n/W, (k+1)·n/W) of the batch; the gradients
 * and BatchNorm statistics are averaged by shard size and SGD runs here. `whileWaiting` runs while
 * the workers compute (the next batch is prepared then).
 */
async function stepOnWorkers(
  pool: WorkerPool,
  net: SpaceNetwork,
  data: TrainingData,
  o: SupernetTrainingOptions,
  st: TrainingState,
  work: StepWork,
  whileWaiting: () => void,
): Promise<number> {
  const [c, h, w] = data.inputShape;
  const n = work.batch.labels.length;
  const names = net.parameterNames(work.arch);
  const params: Record<string, Float32Array> = {};
  for (const name of [...names.trainable, ...names.statistics]) params[name] = net.store.get(name).dataSync() as Float32Array;
  const bounds = Array.from({ length: pool.size + 1 }, (_, k) => Math.round((k * n) / pool.size));
  const image = h * w * c;
  const pending = pool.step(
    bounds.slice(0, -1).map((lo, k) => ({
      arch: work.arch,
      params,
      statistics: names.statistics,
      x: work.batch.x.slice(lo * image, (bounds[k + 1] as number) * image),
      labels: work.batch.labels.slice(lo, bounds[k + 1]),
      imageShape: [h, w, c] as const,
      numClasses: data.numClasses,
      labelSmoothing: o.labelSmoothing,
      dropoutSeed: hash32(`${o.seed}:dropout:${work.step}:${k}`),
    })),
  );
  whileWaiting();
  const avg = averageReplies(await pending, bounds);
  applySgd(net, st.momentum, avg.grads, work.lr, { momentum: o.momentum, weightDecay: o.weightDecay });
  for (const [name, stats] of avg.statistics) {
    const v = net.store.get(name);
    tf.tidy(() => v.assign(tf.tensor(stats, v.shape)));
  }
  return avg.loss;
}

/**
 * Trains a supernet by single-path uniform sampling (SPOS): each step draws one path (only the
 * active layers vary; a constraint rejects paths outside the latency budget), runs one mini-batch
 * through it and updates only that path's weights with SGD + momentum (PyTorch semantics), weight
 * decay, label smoothing and a decaying learning rate. Checkpoints (weights, BatchNorm statistics,
 * momentum buffers, the path sampler's state, step and loss EMA) are written atomically; a run
 * started with an existing checkpoint continues exactly where it stopped.
 */
export async function trainSupernet(net: SpaceNetwork, data: TrainingData, o: SupernetTrainingOptions): Promise<TrainingResult> {
  const candidates = o.candidates ?? net.candidates;
  const active = new Set(o.activeLayers ?? candidates.map((_, i) => i));
  checkTrainingInput(net, data, o, active);
  const sampler = new BatchSampler(data.size, o.batchSize, o.seed);
  const { resumedFrom, ...st } = loadCheckpoint(net, o.checkpointFile, o.seed);
  const save = () => o.checkpointFile && saveCheckpoint(net, o.checkpointFile, o.seed, st);
  const workers = o.workers ?? 1;
  const pool =
    workers > 1
      ? await WorkerPool.start({ backbone: net.backbone, candidates: net.candidates, seed: net.seed, engine: currentEngine() }, workers)
      : null;
  let stoppedBy: TrainingResult['stoppedBy'] = 'steps';
  // A batch is a pure function of (seed, step): the next one is prepared while workers compute.
  const makeBatch = (s: number) => data.batch(sampler.indices(s), new Rng(hash32(`${o.seed}:augment:${s}`)));
  const prefetched: { current: { step: number; batch: ReturnType<typeof makeBatch> } | null } = { current: null };
  try {
    while (st.step < o.steps) {
      if (o.signal?.aborted) {
        save();
        throw new HurricaneError(`training stopped at step ${st.step}; the checkpoint is saved, run again to resume`);
      }
      const arch = samplePath(candidates, active, o, st.pathRng);
      const lr = learningRate(o.schedule, o.lr, st.step, o.steps);
      const batch = prefetched.current?.step === st.step ? prefetched.current.batch : makeBatch(st.step);
      const work = { step: st.step, arch, batch, lr };
      const prefetch = () => {
        if (st.step + 1 < o.steps) prefetched.current = { step: st.step + 1, batch: makeBatch(st.step + 1) };
      };
      const loss = pool ? await stepOnWorkers(pool, net, data, o, st, work, prefetch) : stepInThisThread(net, data, o, st, work);
      if (!Number.isFinite(loss)) {
        save();
        throw new HurricaneError(`training diverged at step ${st.step} (loss ${loss}); lower the learning rate (now ${o.lr})`);
      }
      st.lossEma = Number.isNaN(st.lossEma) ? loss : EMA * st.lossEma + (1 - EMA) * loss;
      st.step++;
      o.onStep?.({ step: st.step, arch, loss, lossEma: st.lossEma, lr });
      if (o.checkpointEvery && st.step % o.checkpointEvery === 0) save();
      if (o.lossTarget !== undefined && st.lossEma <= o.lossTarget) {
        stoppedBy = 'loss-target';
        break;
      }
    }
  } finally {
    await pool?.close();
  }
  save();
  return { steps: st.step, lossEma: st.lossEma, stoppedBy, resumedFrom };
}
