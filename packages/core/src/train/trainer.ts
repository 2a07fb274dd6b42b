import { existsSync } from 'node:fs';
import { HurricaneError } from '../errors.js';
import { Rng } from '../random.js';
import type { Architecture } from '../space/architecture.js';
import { layerContexts } from '../space/backbone.js';
import type { SpaceNetwork } from '../space/tf/network.js';
import { hash32 } from '../space/tf/seed.js';
import { tf } from '../space/tf/tf.js';
import { readWeights, writeWeights } from '../space/weights.js';
import type { TrainingData } from './data.js';
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

/**
 * Trains a supernet by single-path uniform sampling (SPOS): each step draws one path (only the
 * active layers vary; a constraint rejects paths outside the latency budget), runs one mini-batch
 * through it and updates only that path's weights with SGD + momentum (PyTorch semantics), weight
 * decay, label smoothing and a decaying learning rate. Checkpoints (weights, BatchNorm statistics,
 * momentum buffers, the path sampler's state, step and loss EMA) are written atomically; a run
 * started with an existing checkpoint continues exactly where it stopped.
 */
export async function trainSupernet(net: SpaceNetwork, data: TrainingData, o: SupernetTrainingOptions): Promise<TrainingResult> {
  const n = layerContexts(net.backbone).length;
  const candidates = o.candidates ?? net.candidates;
  const active = new Set(o.activeLayers ?? candidates.map((_, i) => i));
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

  const sampler = new BatchSampler(data.size, o.batchSize, o.seed);
  let pathRng = new Rng(hash32(`${o.seed}:paths`));
  const momentum = new Map<string, tf.Variable>();
  let step = 0;
  let lossEma = Number.NaN;
  let resumedFrom = 0;

  if (o.checkpointFile && existsSync(o.checkpointFile)) {
    const ck = readWeights(o.checkpointFile);
    const state = JSON.parse(ck.metadata.training ?? 'null') as {
      step: number;
      lossEma: number | null;
      rng: number[];
      seed: number;
    } | null;
    if (!state)
      throw new HurricaneError(`checkpoint ${o.checkpointFile} has no training state; it is a weights file, not a training checkpoint`);
    if (state.seed !== o.seed)
      throw new HurricaneError(
        `checkpoint ${o.checkpointFile} was written by a run with seed ${state.seed}, not ${o.seed}; use the same seed or another checkpoint file`,
      );
    for (const name of net.store.names()) {
      const t = ck.tensors.get(name);
      if (!t) throw new HurricaneError(`checkpoint ${o.checkpointFile} has no tensor '${name}'; it belongs to another supernet`);
      net.store.setOnnxValues(name, t.data);
    }
    for (const [name, t] of ck.tensors) {
      if (!name.startsWith('momentum/')) continue;
      const param = name.slice('momentum/'.length);
      momentum.set(param, tf.variable(tf.tensor(t.data, net.store.get(param).shape), false));
    }
    step = state.step;
    lossEma = state.lossEma ?? Number.NaN;
    pathRng = Rng.fromState(state.rng);
    resumedFrom = step;
  }

  const save = () => {
    if (!o.checkpointFile) return;
    const tensors: [string, { shape: readonly number[]; data: Float32Array }][] = net.store
      .names()
      .map((name) => [name, { shape: net.store.spec(name).shape, data: net.store.onnxValues(name) }]);
    for (const [name, v] of momentum) tensors.push([`momentum/${name}`, { shape: v.shape, data: (v.dataSync() as Float32Array).slice() }]);
    writeWeights(o.checkpointFile, tensors, {
      preset: net.backbone.name,
      training: JSON.stringify({ step, lossEma: Number.isNaN(lossEma) ? null : lossEma, rng: pathRng.state(), seed: o.seed }),
    });
  };

  const samplePath = (): Architecture => {
    const limit = o.maxRejections ?? 10_000;
    for (let tries = 0; tries < limit; tries++) {
      const arch = candidates.map((ops, l) => (active.has(l) ? (ops[pathRng.int(0, ops.length - 1)] as string) : (o.fixed?.[l] as string)));
      if (!o.accept || o.accept(arch)) return arch;
    }
    throw new HurricaneError(
      `no path satisfied the constraint in ${limit} draws: the latency budget is too tight for this space; raise the budget or allow faster operators`,
    );
  };

  const paramOf = new Map<number, string>();
  for (const name of net.store.names()) paramOf.set(net.store.get(name).id, name);
  let stoppedBy: TrainingResult['stoppedBy'] = 'steps';
  while (step < o.steps) {
    if (o.signal?.aborted) {
      save();
      throw new HurricaneError(`training stopped at step ${step}; the checkpoint is saved, run again to resume`);
    }
    const arch = samplePath();
    const lr = learningRate(o.schedule, o.lr, step, o.steps);
    const idx = sampler.indices(step);
    const batch = data.batch(idx, new Rng(hash32(`${o.seed}:augment:${step}`)));
    const loss = tf.tidy(() => {
      const x = tf.tensor4d(batch.x, [idx.length, h, w, c]);
      const y = tf.oneHot(tf.tensor1d(batch.labels, 'int32'), data.numClasses);
      const vars = net.trainableVariables(arch);
      const { value, grads } = tf.variableGrads(
        () =>
          tf.losses.softmaxCrossEntropy(
            y,
            net.forward(x, arch, { training: true, dropoutSeed: hash32(`${o.seed}:dropout:${step}`) }),
            undefined,
            o.labelSmoothing,
          ) as tf.Scalar,
        vars,
      );
      for (const v of vars) {
        const name = paramOf.get(v.id);
        const g = grads[v.name];
        if (!name || !g) continue;
        const decayed = o.weightDecay > 0 && v.rank > 1 ? tf.add(g, tf.mul(v, o.weightDecay)) : g;
        let buf = momentum.get(name);
        if (!buf) {
          buf = tf.variable(decayed, false);
          momentum.set(name, buf);
        } else buf.assign(tf.add(tf.mul(buf, o.momentum), decayed));
        v.assign(tf.sub(v, tf.mul(buf, lr)));
      }
      return value.dataSync()[0] as number;
    });
    if (!Number.isFinite(loss)) {
      save();
      throw new HurricaneError(`training diverged at step ${step} (loss ${loss}); lower the learning rate (now ${o.lr})`);
    }
    lossEma = Number.isNaN(lossEma) ? loss : EMA * lossEma + (1 - EMA) * loss;
    step++;
    o.onStep?.({ step, arch, loss, lossEma, lr });
    if (o.checkpointEvery && step % o.checkpointEvery === 0) save();
    if (o.lossTarget !== undefined && lossEma <= o.lossTarget) {
      stoppedBy = 'loss-target';
      break;
    }
  }
  save();
  for (const v of momentum.values()) v.dispose();
  return { steps: step, lossEma, stoppedBy, resumedFrom };
}
