import { existsSync } from 'node:fs';
import { ExitCode, HurricaneError } from '../errors.js';
import { Rng, hash32 } from '../random.js';
import type { Architecture } from '../space/architecture.js';
import type { SpaceNetwork } from '../engine/network.js';
import { currentEngine } from '../engine/select-engine.js';
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

/** Options of {@link trainNetwork} (the config's `train` block holds SPOS's recipe as its defaults). */
export interface NetworkTrainingOptions {
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
  /**
   * After the loss target is reached at step s, keep training for round(coolDown·s) more steps (at
   * least 1) with the learning rate decaying linearly from its value there to 0, so a stopped run
   * ends at a low rate as a full one does (default 0: stop at once).
   */
  readonly coolDown?: number;
  /** Linear learning-rate warm-up: step s uses the schedule's rate × min(1, (s + 1) / warmupSteps) (default 0: none). */
  readonly warmupSteps?: number;
  /** Start every residual block as the identity: γ = 0 in the last BatchNorm of each residual branch (fresh runs only). */
  readonly zeroInitResidual?: boolean;
  readonly seed: number;
  /** Write a checkpoint every N steps (and at the end) when `checkpointFile` is set. */
  readonly checkpointEvery?: number;
  /** Checkpoint file (safetensors); when it exists the run resumes from it exactly. */
  readonly checkpointFile?: string;
  /**
   * Resume a checkpoint written with another schedule (steps, schedule or base learning rate),
   * continuing with this run's. Without it such a resume is refused: the learning rate would jump
   * mid-run.
   */
  readonly reschedule?: boolean;
  /** Called after each checkpoint is written, with its step. */
  readonly onCheckpoint?: (step: number) => void;
  /** Candidates per layer (default: the network's). */
  readonly candidates?: readonly (readonly string[])[];
  /**
   * The path of each step, drawn from the trainer's own generator (whose state is checkpointed, so
   * a resumed run draws the same paths). Default: uniform over `candidates`. The search passes a
   * sampler over its sub-space that rejects paths outside the latency budget; the trainer knows
   * nothing of layer groups or budgets.
   */
  readonly samplePath?: (rng: Rng) => Architecture;
  readonly onStep?: (info: StepInfo) => void;
  readonly signal?: AbortSignal;
  /**
   * Data-parallel worker threads (default 1: train in this thread). TF.js runs one backend per
   * thread, so 2 workers use both cores of a 2-core machine; each takes half of every batch.
   */
  readonly workers?: number;
}

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
  /** The cool-down after the loss target: from which step, for how many, from which learning rate. */
  cool?: CoolDown;
  /** SGD momentum buffers by parameter name (TF.js layout). */
  readonly momentum: Map<string, Float32Array>;
}

/** A cool-down after the loss target (see {@link NetworkTrainingOptions.coolDown}). */
interface CoolDown {
  readonly from: number;
  readonly steps: number;
  readonly lr: number;
}

/** Throws a one-line error when the options or the data do not fit the network. */
function checkTrainingInput(net: SpaceNetwork, data: TrainingData, o: NetworkTrainingOptions): void {
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
/** The schedule a checkpoint's run followed: a resumed run must follow the same one (or say `reschedule`). */
interface Schedule {
  readonly steps: number;
  readonly schedule: LrSchedule;
  readonly lr: number;
  readonly warmupSteps?: number;
}

/** The one-line refusal of a resume whose schedule differs from the checkpoint's, or null. */
function scheduleChange(file: string, saved: Partial<Schedule>, now: Schedule): HurricaneError | null {
  if (saved.steps === undefined) return null; // written before schedules were recorded
  const ramp = (w: number | undefined) => (w ? `, ${w} warm-up steps` : '');
  const was = `${saved.steps} steps, ${saved.schedule} schedule, lr ${saved.lr}${ramp(saved.warmupSteps)}`;
  const is = `${now.steps} steps, ${now.schedule} schedule, lr ${now.lr}${ramp(now.warmupSteps)}`;
  if (was === is) return null;
  return new HurricaneError(
    `checkpoint ${file} was written by a run of ${was}; this run asks for ${is}, so the learning rate would change mid-run: start again with --fresh, or continue with the new schedule with --reschedule`,
    { exitCode: ExitCode.BadUsage },
  );
}

function loadCheckpoint(net: SpaceNetwork, file: string | undefined, o: NetworkTrainingOptions): TrainingState & { resumedFrom: number } {
  const seed = o.seed;
  const fresh = { step: 0, lossEma: Number.NaN, pathRng: new Rng(hash32(`${seed}:paths`)), momentum: new Map(), resumedFrom: 0 };
  if (!file || !existsSync(file)) return fresh;
  const ck = readWeights(file);
  const state = JSON.parse(ck.metadata.training ?? 'null') as
    | ({ step: number; lossEma: number | null; rng: number[]; seed: number; cool?: CoolDown } & Partial<Schedule>)
    | null;
  if (!state) throw new HurricaneError(`checkpoint ${file} has no training state; it is a weights file, not a training checkpoint`);
  if (state.seed !== seed)
    throw new HurricaneError(
      `checkpoint ${file} was written by a run with seed ${state.seed}, not ${seed}; use the same seed or another checkpoint file`,
    );
  const changed = o.reschedule ? null : scheduleChange(file, state, o);
  if (changed) throw changed;
  for (const name of net.store.names()) {
    const t = ck.tensors.get(name);
    if (!t) throw new HurricaneError(`checkpoint ${file} has no tensor '${name}'; it belongs to another supernet`);
    net.store.setOnnxValues(name, t.data);
  }
  const momentum = new Map<string, Float32Array>();
  for (const [name, t] of ck.tensors)
    if (name.startsWith('momentum/')) momentum.set(name.slice('momentum/'.length), Float32Array.from(t.data));
  return {
    ...{ step: state.step, lossEma: state.lossEma ?? Number.NaN, pathRng: Rng.fromState(state.rng), momentum, resumedFrom: state.step },
    ...(state.cool ? { cool: state.cool } : {}),
  };
}

/** Loads only the weights and BatchNorm statistics of a training checkpoint into `net` (to evaluate a finished run). */
export function loadCheckpointWeights(net: SpaceNetwork, file: string): void {
  const ck = readWeights(file);
  for (const name of net.store.names()) {
    const t = ck.tensors.get(name);
    if (!t)
      throw new HurricaneError(
        `checkpoint ${file} has no tensor '${name}'; it belongs to another supernet: re-run the search with --from search`,
      );
    net.store.setOnnxValues(name, t.data);
  }
}

/** Writes weights, BatchNorm statistics, momentum buffers and the training state atomically. */
function saveCheckpoint(net: SpaceNetwork, file: string, o: NetworkTrainingOptions, st: TrainingState): void {
  const tensors: [string, { shape: readonly number[]; data: Float32Array }][] = net.store
    .names()
    .map((name) => [name, { shape: net.store.spec(name).shape, data: net.store.onnxValues(name) }]);
  for (const [name, buf] of st.momentum) tensors.push([`momentum/${name}`, { shape: net.store.get(name).shape, data: buf }]); // TF.js layout
  writeWeights(file, tensors, {
    preset: net.backbone.name,
    training: JSON.stringify({
      step: st.step,
      lossEma: Number.isNaN(st.lossEma) ? null : st.lossEma,
      rng: st.pathRng.state(),
      seed: o.seed,
      steps: o.steps,
      schedule: o.schedule,
      lr: o.lr,
      ...(o.warmupSteps ? { warmupSteps: o.warmupSteps } : {}),
      ...(st.cool ? { cool: st.cool } : {}),
    }),
  });
}

/** The step a run ends before: the schedule's last, or the end of the cool-down once the loss target was reached. */
function lastStep(o: NetworkTrainingOptions, st: TrainingState): number {
  return st.cool ? st.cool.from + st.cool.steps : o.steps;
}

/** The learning rate of step `step`: the schedule's with the warm-up, or the cool-down's linear decay to 0. */
function rateAt(o: NetworkTrainingOptions, st: TrainingState, step: number): number {
  if (st.cool) return st.cool.lr * (1 - (step - st.cool.from) / st.cool.steps);
  return learningRate(o.schedule, o.lr, step, o.steps) * warmup(o, step);
}

/** The warm-up factor of step `step` (0-based): a linear ramp to 1 over `warmupSteps`. */
function warmup(o: NetworkTrainingOptions, step: number): number {
  const w = o.warmupSteps ?? 0;
  return w > 0 ? Math.min(1, (step + 1) / w) : 1;
}

/** Uniform single-path sampling over every layer's candidates (SPOS). */
function uniformPath(candidates: readonly (readonly string[])[]): (rng: Rng) => Architecture {
  return (rng) => candidates.map((ops) => ops[rng.int(0, ops.length - 1)] as string);
}

/** One step's work: the path, its batch, and where the gradients are computed. */
interface StepWork {
  readonly step: number;
  readonly arch: Architecture;
  readonly batch: { readonly x: Float32Array; readonly labels: Int32Array };
  readonly lr: number;
}

/** What one step computed, before anything is applied to the network. */
interface StepResult {
  readonly loss: number;
  readonly grads: ReadonlyMap<string, Float32Array>;
  /** BatchNorm running statistics to set (data-parallel steps; in this thread they are updated in place). */
  readonly statistics?: ReadonlyMap<string, Float32Array>;
}

/** Forward and backward of one step in this thread. */
function stepInThisThread(net: SpaceNetwork, data: TrainingData, o: NetworkTrainingOptions, work: StepWork): StepResult {
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
  return { loss, grads };
}

/**
 * One data-parallel step: shard k of W takes rows [k·n/W, (k+1)·n/W) of the batch; the gradients
 * and BatchNorm statistics are averaged by shard size. `whileWaiting` runs while the workers
 * compute (the next batch is prepared then).
 */
async function stepOnWorkers(
  pool: WorkerPool,
  net: SpaceNetwork,
  data: TrainingData,
  o: NetworkTrainingOptions,
  work: StepWork,
  whileWaiting: () => void,
): Promise<StepResult> {
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
  return { loss: avg.loss, grads: avg.grads, statistics: avg.statistics };
}

/** Why a step's result must not be applied (a non-finite loss, gradient or statistic), or null. */
function nonFinite(r: StepResult): string | null {
  if (!Number.isFinite(r.loss)) return `loss ${r.loss}`;
  for (const [kind, values] of [
    ['gradient', r.grads],
    ['BatchNorm statistic', r.statistics ?? new Map()],
  ] as const) {
    for (const [name, v] of values) if (!v.every(Number.isFinite)) return `a non-finite ${kind} of ${name}`;
  }
  return null;
}

/** SGD on the step's gradients, then the averaged BatchNorm statistics of a data-parallel step. */
function applyStep(net: SpaceNetwork, o: NetworkTrainingOptions, st: TrainingState, r: StepResult, lr: number): void {
  applySgd(net, st.momentum, r.grads, lr, { momentum: o.momentum, weightDecay: o.weightDecay });
  for (const [name, stats] of r.statistics ?? []) {
    const v = net.store.get(name);
    tf.tidy(() => v.assign(tf.tensor(stats, v.shape)));
  }
}

/** The error of a diverged step: which step, what was not finite, the fix, and the checkpoint a rerun resumes from. */
function divergence(step: number, what: string, o: NetworkTrainingOptions, saved: number): HurricaneError {
  const resume = !o.checkpointFile
    ? 'no checkpoint file was set'
    : saved > 0
      ? `the checkpoint of step ${saved} is kept and a rerun resumes from it`
      : 'no checkpoint was written yet, so a rerun starts from step 0';
  return new HurricaneError(
    `training diverged at step ${step} (${what}); nothing of that step was applied and ${resume}; lower the learning rate (now ${o.lr}) and run again`,
  );
}

/**
 * Trains a network of the space: a supernet by single-path uniform sampling (SPOS), or a standalone
 * network (its one path every step, as retraining the winner does). Each step draws one path (from
 * `samplePath`, default uniform over the candidates), runs one mini-batch
 * through it and updates only that path's weights with SGD + momentum (PyTorch semantics), weight
 * decay, label smoothing and a decaying learning rate. Checkpoints (weights, BatchNorm statistics,
 * momentum buffers, the path sampler's state, step and loss EMA) are written atomically; a run
 * started with an existing checkpoint continues exactly where it stopped.
 */
export async function trainNetwork(net: SpaceNetwork, data: TrainingData, o: NetworkTrainingOptions): Promise<TrainingResult> {
  const samplePath = o.samplePath ?? uniformPath(o.candidates ?? net.candidates);
  checkTrainingInput(net, data, o);
  const sampler = new BatchSampler(data.size, o.batchSize, o.seed);
  const { resumedFrom, ...st } = loadCheckpoint(net, o.checkpointFile, o);
  if (resumedFrom === 0 && o.zeroInitResidual) net.zeroResidualBranches();
  let saved = resumedFrom;
  const save = () => {
    if (!o.checkpointFile) return;
    saveCheckpoint(net, o.checkpointFile, o, st);
    saved = st.step;
    o.onCheckpoint?.(saved);
  };
  const workers = o.workers ?? 1;
  const pool =
    workers > 1
      ? await WorkerPool.start({ backbone: net.backbone, candidates: net.candidates, seed: net.seed, engine: currentEngine() }, workers)
      : null;
  let stoppedBy: TrainingResult['stoppedBy'] = st.cool ? 'loss-target' : 'steps';
  // A batch is a pure function of (seed, step): the next one is prepared while workers compute.
  const makeBatch = (s: number) => data.batch(sampler.indices(s), new Rng(hash32(`${o.seed}:augment:${s}`)));
  const prefetched: { current: { step: number; batch: ReturnType<typeof makeBatch> } | null } = { current: null };
  try {
    while (st.step < lastStep(o, st)) {
      // A step in this thread is synchronous: yield once per step so that signals (Ctrl-C) and
      // timers are handled while training runs.
      await new Promise((resolve) => setImmediate(resolve));
      if (o.signal?.aborted) {
        save();
        throw new HurricaneError(`training stopped at step ${st.step}; the checkpoint is saved, run again to resume`);
      }
      const arch = samplePath(st.pathRng);
      const lr = rateAt(o, st, st.step);
      const batch = prefetched.current?.step === st.step ? prefetched.current.batch : makeBatch(st.step);
      const work = { step: st.step, arch, batch, lr };
      const prefetch = () => {
        if (st.step + 1 < lastStep(o, st)) prefetched.current = { step: st.step + 1, batch: makeBatch(st.step + 1) };
      };
      const r = pool ? await stepOnWorkers(pool, net, data, o, work, prefetch) : stepInThisThread(net, data, o, work);
      const bad = nonFinite(r);
      // Nothing of a diverged step is applied and nothing is saved: the last checkpoint stays the good one.
      if (bad) throw divergence(st.step + 1, bad, o, saved);
      applyStep(net, o, st, r, lr);
      const loss = r.loss;
      st.lossEma = Number.isNaN(st.lossEma) ? loss : EMA * st.lossEma + (1 - EMA) * loss;
      st.step++;
      o.onStep?.({ step: st.step, arch, loss, lossEma: st.lossEma, lr });
      if (o.checkpointEvery && st.step % o.checkpointEvery === 0) save();
      if (st.cool) stoppedBy = 'loss-target';
      else if (o.lossTarget !== undefined && st.lossEma <= o.lossTarget) {
        stoppedBy = 'loss-target';
        if (!(o.coolDown && o.coolDown > 0)) break;
        st.cool = { from: st.step, steps: Math.max(1, Math.round(o.coolDown * st.step)), lr: rateAt(o, st, st.step) };
      }
    }
  } finally {
    await pool?.close();
  }
  save();
  return { steps: st.step, lossEma: st.lossEma, stoppedBy, resumedFrom };
}
