import os from 'node:os';
import { HurricaneError } from '../errors.js';
import { Rng, hash32 } from '../random.js';
import type { Architecture } from '../space/architecture.js';
import { batchStatisticOutputs, exportOnnx, type OnnxWeights } from '../onnx/export-onnx.js';
import type { SpaceNetwork } from '../engine/network.js';
import type { TrainingData } from '../data/training-data.js';
import { type OrtModule, loadOrt } from './ort.js';

/** Options of {@link PathEvaluator}. */
export interface PathEvaluatorOptions {
  /** Training batches whose statistics re-estimate BatchNorm (SPOS: 200 of 128; default 20). */
  readonly recalibrationBatches?: number;
  /** Images per recalibration batch (default 64). */
  readonly recalibrationBatchSize?: number;
  /** Images per validation forward pass (default 500, or the whole set when smaller). */
  readonly batchSize?: number;
  readonly seed?: number;
  /** ONNX Runtime threads (default: the machine's cores). */
  readonly threads?: number;
}

/** A path's score on the validation data, with the time it took. */
export interface PathEvaluation {
  readonly accuracy: number;
  readonly loss: number;
  readonly count: number;
  /** Images through recalibration and validation per second. */
  readonly imagesPerSecond: number;
}

/** NHWC → NCHW for `count` images of `c×h×w`, into `out`. */
export function toNchw(x: Float32Array, count: number, [c, h, w]: readonly number[], out: Float32Array): void {
  for (let n = 0; n < count; n++)
    for (let y = 0; y < (h as number); y++)
      for (let xx = 0; xx < (w as number); xx++)
        for (let ch = 0; ch < (c as number); ch++)
          out[((n * (c as number) + ch) * (h as number) + y) * (w as number) + xx] = x[
            ((n * (h as number) + y) * (w as number) + xx) * (c as number) + ch
          ] as number;
}

/** Fixed batches of a dataset in NCHW, made once and reused for every path. */
function nchwBatches(
  data: TrainingData,
  indices: readonly number[][],
  batchSize: number,
): { x: Float32Array; labels: Int32Array; count: number }[] {
  const [c, h, w] = data.inputShape;
  return indices.map((idx) => {
    const b = data.batch(idx, null);
    const x = new Float32Array(batchSize * c * h * w);
    toNchw(b.x, idx.length, data.inputShape, x);
    return { x, labels: b.labels, count: idx.length };
  });
}

/**
 * Evaluates paths of a trained supernet the way SPOS does — re-estimate every BatchNorm's
 * statistics on training batches with that path, then measure validation accuracy — with both
 * halves on ONNX Runtime: recalibration runs a graph whose BatchNorms use batch statistics and
 * output them ({@link exportOnnx} with `batchStatistics`), validation the inference graph with the
 * averaged statistics. The network's own weights and statistics are not changed.
 */
export class PathEvaluator {
  private constructor(
    private readonly ort: OrtModule,
    private readonly net: SpaceNetwork,
    private readonly recal: ReturnType<typeof nchwBatches>,
    private readonly valid: ReturnType<typeof nchwBatches>,
    private readonly o: Required<Pick<PathEvaluatorOptions, 'recalibrationBatchSize' | 'batchSize' | 'threads'>>,
    private readonly classes: number,
    private readonly inputShape: readonly number[],
  ) {}

  static async create(
    net: SpaceNetwork,
    train: TrainingData,
    validation: TrainingData,
    o: PathEvaluatorOptions = {},
  ): Promise<PathEvaluator> {
    const ort = await loadOrt();
    if (!ort) throw new HurricaneError("evaluating paths needs onnxruntime-node: run 'npm install onnxruntime-node'");
    const rb = Math.min(o.recalibrationBatchSize ?? 64, train.size);
    const rng = new Rng(hash32(`${o.seed ?? 0}:recalibrate`));
    const recalIdx = Array.from({ length: o.recalibrationBatches ?? 20 }, () =>
      Array.from({ length: rb }, () => rng.int(0, train.size - 1)),
    );
    const vb = Math.max(1, Math.min(o.batchSize ?? 500, validation.size));
    const validIdx: number[][] = [];
    for (let s = 0; s < validation.size; s += vb) validIdx.push(Array.from({ length: Math.min(vb, validation.size - s) }, (_, i) => s + i));
    const options = { recalibrationBatchSize: rb, batchSize: vb, threads: o.threads ?? os.availableParallelism() };
    return new PathEvaluator(
      ort,
      net,
      nchwBatches(train, recalIdx, rb),
      nchwBatches(validation, validIdx, vb),
      options,
      validation.numClasses,
      validation.inputShape,
    );
  }

  private session(model: Uint8Array) {
    return this.ort.InferenceSession.create(model, {
      intraOpNumThreads: this.o.threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
      logSeverityLevel: 3,
    });
  }

  /** The path's BatchNorm running statistics re-estimated on the recalibration batches (PyTorch `momentum=None`). */
  async recalibrate(arch: Architecture): Promise<Map<string, Float32Array>> {
    const graph = this.net.graph(arch);
    const stats = batchStatisticOutputs(graph);
    const model = exportOnnx(graph, this.net.store, { batch: this.o.recalibrationBatchSize, batchStatistics: true });
    const session = await this.session(model);
    const sums = new Map(
      stats.flatMap((s) => [[s.mean, new Float64Array(s.channels)] as const, [s.var, new Float64Array(s.channels)] as const]),
    );
    try {
      for (const b of this.recal) {
        const out = await session.run({ input: new this.ort.Tensor('float32', b.x, [this.o.recalibrationBatchSize, ...this.inputShape]) });
        for (const [name, sum] of sums) {
          const v = (out[name] as { data: Float32Array }).data;
          for (let i = 0; i < sum.length; i++) (sum as Float64Array)[i] = (sum[i] as number) + (v[i] as number);
        }
      }
    } finally {
      await session.release();
    }
    const result = new Map<string, Float32Array>();
    for (const s of stats) {
      const m = this.o.recalibrationBatchSize * s.spatial;
      const unbias = m > 1 ? m / (m - 1) : 1;
      result.set(
        `${s.param}.mean`,
        Float32Array.from(sums.get(s.mean) as Float64Array, (v) => v / this.recal.length),
      );
      result.set(
        `${s.param}.var`,
        Float32Array.from(sums.get(s.var) as Float64Array, (v) => (v / this.recal.length) * unbias),
      );
    }
    return result;
  }

  /** Recalibrates BatchNorm for `arch`, then returns its validation accuracy and loss. */
  async evaluate(arch: Architecture): Promise<PathEvaluation> {
    const started = performance.now();
    const stats = await this.recalibrate(arch);
    const weights: OnnxWeights = { onnxValues: (name) => stats.get(name) ?? this.net.store.onnxValues(name) };
    const session = await this.session(exportOnnx(this.net.graph(arch), weights, { batch: this.o.batchSize }));
    let correct = 0;
    let lossSum = 0;
    let count = 0;
    try {
      for (const b of this.valid) {
        const out = await session.run({ input: new this.ort.Tensor('float32', b.x, [this.o.batchSize, ...this.inputShape]) });
        const logits = (out.output as { data: Float32Array }).data;
        const r = scoreLogits(logits, b.labels, b.count, this.classes);
        correct += r.correct;
        lossSum += r.lossSum;
        count += b.count;
      }
    } finally {
      await session.release();
    }
    const images = count + this.recal.length * this.o.recalibrationBatchSize;
    return { accuracy: correct / count, loss: lossSum / count, count, imagesPerSecond: images / ((performance.now() - started) / 1000) };
  }
}

/** Correct top-1 predictions and summed softmax cross-entropy of `count` rows of logits. */
export function scoreLogits(
  logits: Float32Array,
  labels: Int32Array,
  count: number,
  classes: number,
): { correct: number; lossSum: number } {
  let correct = 0;
  let lossSum = 0;
  for (let i = 0; i < count; i++) {
    const row = logits.subarray(i * classes, (i + 1) * classes);
    let best = 0;
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < classes; k++)
      if ((row[k] as number) > max) {
        max = row[k] as number;
        best = k;
      }
    let z = 0;
    for (let k = 0; k < classes; k++) z += Math.exp((row[k] as number) - max);
    lossSum += Math.log(z) + max - (row[labels[i] as number] as number);
    if (best === labels[i]) correct++;
  }
  return { correct, lossSum };
}
