import os from 'node:os';
import { HurricaneError } from '../errors.js';
import { Rng, hash32 } from '../random.js';
import type { Architecture } from '../space/architecture.js';
import { exportOnnx } from '../onnx/export-onnx.js';
import type { SpaceNetwork } from '../engine/network.js';
import { tf } from '../engine/tf.js';
import type { TrainingData } from '../data/training-data.js';
import { loadOrt } from './ort.js';
import { scoreLogits, toNchw } from './path-evaluator.js';

/** Where validation forward passes run. */
export type EvaluationRuntime = 'onnxruntime' | 'tfjs';

/** Options of {@link evaluate}. */
export interface EvaluationOptions {
  /** Images per forward pass (default 256). */
  readonly batchSize?: number;
  /**
   * `auto` (default): ONNX Runtime when `onnxruntime-node` is installed (several times faster than
   * any TF.js engine on a CPU), else the TF.js engine in use.
   */
  readonly runtime?: EvaluationRuntime | 'auto';
  /** ONNX Runtime threads (default: the machine's cores). */
  readonly threads?: number;
}

/** Top-1 accuracy and mean cross-entropy of one architecture on a dataset. */
export interface Evaluation {
  readonly accuracy: number;
  readonly loss: number;
  readonly count: number;
  readonly runtime: EvaluationRuntime;
  readonly imagesPerSecond: number;
}

/** Options of {@link recalibrateBatchNorm}. */
export interface RecalibrationOptions {
  /** Training batches whose statistics are averaged (default 20; SPOS uses 20,000 images). */
  readonly batches?: number;
  readonly batchSize?: number;
  readonly seed?: number;
}

/**
 * Recomputes the BatchNorm running statistics of path `arch` from training data (SPOS): a
 * supernet's running statistics mix every path, so a sampled architecture is evaluated only after
 * its statistics are re-estimated. Each batch runs forward in training mode and the running mean
 * and variance become the plain average over the batches (PyTorch's `momentum=None`).
 */
export function recalibrateBatchNorm(net: SpaceNetwork, arch: Architecture, data: TrainingData, o: RecalibrationOptions = {}): void {
  const batches = o.batches ?? 20;
  const batchSize = Math.min(o.batchSize ?? 64, data.size);
  const [c, h, w] = data.inputShape;
  const stats = net.parameterNames(arch).statistics;
  const rng = new Rng(hash32(`${o.seed ?? 0}:recalibrate`));
  for (const name of stats) {
    const v = net.store.get(name);
    tf.tidy(() => v.assign(net.store.spec(name).kind === 'bn_mean' ? tf.zerosLike(v) : tf.onesLike(v)));
  }
  for (let b = 0; b < batches; b++) {
    const idx = Array.from({ length: batchSize }, () => rng.int(0, data.size - 1));
    const batch = data.batch(idx, null);
    // momentum 1/(b+1): the running value is the average of the first b+1 batches' statistics
    tf.tidy(() => {
      net.forward(tf.tensor4d(batch.x, [batchSize, h, w, c]), arch, { training: true, bnMomentum: 1 / (b + 1), dropoutSeed: 0 });
    });
  }
}

/**
 * Evaluates path `arch` of `net` (its current weights and BatchNorm statistics, inference mode) on
 * every example of `data`: top-1 accuracy and mean softmax cross-entropy. With ONNX Runtime the
 * path is exported to ONNX in memory (the same exporter as `hurricane export`) and run on all cores.
 */
export async function evaluate(net: SpaceNetwork, arch: Architecture, data: TrainingData, o: EvaluationOptions = {}): Promise<Evaluation> {
  const batchSize = Math.max(1, Math.min(o.batchSize ?? 256, data.size));
  const [c, h, w] = data.inputShape;
  const classes = data.numClasses;
  const wanted = o.runtime ?? 'auto';
  const ort = wanted === 'tfjs' ? null : await loadOrt();
  if (wanted === 'onnxruntime' && !ort)
    throw new HurricaneError(`evaluation runtime 'onnxruntime' is not installed; run 'npm install onnxruntime-node' or use runtime 'auto'`);
  let correct = 0;
  let lossSum = 0;
  const score = (logits: Float32Array, labels: Int32Array, count: number) => {
    const r = scoreLogits(logits, labels, count, classes);
    correct += r.correct;
    lossSum += r.lossSum;
  };
  const started = performance.now();
  // Logits of one batch of `count` NHWC images, on the chosen runtime.
  let logitsOf: (x: Float32Array, count: number) => Promise<Float32Array>;
  let release = async () => {};
  if (ort) {
    const model = exportOnnx(net.graph(arch), net.store, { batch: batchSize, name: `hurricane_${net.backbone.name}` });
    const session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: o.threads ?? os.availableParallelism(),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    release = () => session.release();
    const nchw = new Float32Array(batchSize * c * h * w);
    logitsOf = async (x, count) => {
      // NHWC → NCHW; a last, partial batch is zero-padded and the padding's outputs ignored
      nchw.fill(0);
      toNchw(x, count, [c, h, w], nchw);
      const out = await session.run({ input: new ort.Tensor('float32', nchw, [batchSize, c, h, w]) });
      return (out.output as { data: Float32Array }).data;
    };
  } else {
    logitsOf = async (x, count) => tf.tidy(() => net.forward(tf.tensor4d(x, [count, h, w, c]), arch).dataSync() as Float32Array);
  }
  try {
    for (let start = 0; start < data.size; start += batchSize) {
      const idx = Array.from({ length: Math.min(batchSize, data.size - start) }, (_, i) => start + i);
      const batch = data.batch(idx, null);
      score(await logitsOf(batch.x, idx.length), batch.labels, idx.length);
    }
  } finally {
    await release();
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    accuracy: correct / data.size,
    loss: lossSum / data.size,
    count: data.size,
    runtime: ort ? 'onnxruntime' : 'tfjs',
    imagesPerSecond: data.size / seconds,
  };
}
