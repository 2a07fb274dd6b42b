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
  const momentum = new Map<string, Float32Array>();
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
      momentum.set(param, Float32Array.from(t.data));
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
    for (const [name, buf] of momentum) tensors.push([`momentum/${name}`, { shape: net.store.get(name).shape, data: buf }]); // TF.js layout
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

  const workers = o.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1 || workers > o.batchSize)
    throw new HurricaneError(`workers must be a whole number from 1 to the batch size (${o.batchSize}), got ${workers}`);
  const pool =
    workers > 1
      ? await WorkerPool.start({ backbone: net.backbone, candidates: net.candidates, seed: net.seed, engine: currentEngine() }, workers)
      : null;
  let stoppedBy: TrainingResult['stoppedBy'] = 'steps';
  // A batch is a pure function of (seed, step): the next one is prepared while workers compute.
  const makeBatch = (s: number) => data.batch(sampler.indices(s), new Rng(hash32(`${o.seed}:augment:${s}`)));
  let prefetched: { step: number; batch: ReturnType<typeof makeBatch> } | null = null;
  try {
    while (step < o.steps) {
      if (o.signal?.aborted) {
        save();
        throw new HurricaneError(`training stopped at step ${step}; the checkpoint is saved, run again to resume`);
      }
      const arch = samplePath();
      const lr = learningRate(o.schedule, o.lr, step, o.steps);
      const idx = sampler.indices(step);
      const batch = prefetched?.step === step ? prefetched.batch : makeBatch(step);
      const n = idx.length;
      let loss: number;
      const sgd = { momentum: o.momentum, weightDecay: o.weightDecay };
      if (!pool) {
        const grads = new Map<string, Float32Array>();
        loss = tf.tidy(() => {
          const r = pathGradients(
            net,
            arch,
            tf.tensor4d(batch.x, [n, h, w, c]),
            tf.tensor1d(batch.labels, 'int32'),
            data.numClasses,
            o.labelSmoothing,
            hash32(`${o.seed}:dropout:${step}`),
          );
          for (const [name, g] of r.grads) grads.set(name, (g.dataSync() as Float32Array).slice());
          return r.loss.dataSync()[0] as number;
        });
        applySgd(net, momentum, grads, lr, sgd);
      } else {
        // Data-parallel: shard k of W takes rows [k·n/W, (k+1)·n/W) of the batch.
        const names = net.parameterNames(arch);
        const params: Record<string, Float32Array> = {};
        for (const name of [...names.trainable, ...names.statistics]) params[name] = net.store.get(name).dataSync() as Float32Array;
        const bounds = Array.from({ length: pool.size + 1 }, (_, k) => Math.round((k * n) / pool.size));
        const image = h * w * c;
        const pending = pool.step(
          bounds.slice(0, -1).map((lo, k) => ({
            arch,
            params,
            statistics: names.statistics,
            x: batch.x.slice(lo * image, (bounds[k + 1] as number) * image),
            labels: batch.labels.slice(lo, bounds[k + 1]),
            imageShape: [h, w, c] as const,
            numClasses: data.numClasses,
            labelSmoothing: o.labelSmoothing,
            dropoutSeed: hash32(`${o.seed}:dropout:${step}:${k}`),
          })),
        );
        if (step + 1 < o.steps) prefetched = { step: step + 1, batch: makeBatch(step + 1) };
        const replies = await pending;
        const avg = averageReplies(replies, bounds);
        loss = avg.loss;
        applySgd(net, momentum, avg.grads, lr, sgd);
        for (const [name, st] of avg.statistics) {
          const v = net.store.get(name);
          tf.tidy(() => v.assign(tf.tensor(st, v.shape)));
        }
      }
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
  } finally {
    await pool?.close();
  }
  save();
  return { steps: step, lossEma, stoppedBy, resumedFrom };
}
