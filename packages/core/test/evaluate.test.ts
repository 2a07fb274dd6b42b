// Evaluation of a path: ONNX Runtime and TF.js agree on accuracy and loss; BatchNorm recalibration
// replaces a supernet's mixed running statistics with the path's own.
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/random.js';
import { layerContexts } from '../src/space/backbone.js';
import type { Node } from '../src/space/ir.js';
import { tf } from '../src/engine/tf.js';
import { Supernet } from '../src/engine/network.js';
import type { TrainingData } from '../src/data/training-data.js';
import { evaluate, recalibrateBatchNorm } from '../src/train/evaluate.js';
import { tinyBackbone } from './space-helpers.js';

const tiny = tinyBackbone();
const OPS = ['MB_3_1', 'Choice_3'];

function randomData(size: number, seed: number): TrainingData {
  const r = new Rng(seed);
  const x = Float32Array.from({ length: size * 64 }, () => r.next() * 2 - 1 + 0.5);
  const labels = Int32Array.from({ length: size }, () => r.int(0, 2));
  return {
    size,
    inputShape: [1, 8, 8],
    numClasses: 3,
    batch: (idx) => {
      const out = new Float32Array(idx.length * 64);
      for (const [k, i] of idx.entries()) out.set(x.subarray(i * 64, (i + 1) * 64), k * 64);
      return { x: out, labels: Int32Array.from(idx, (i) => labels[i] as number) };
    },
  };
}

describe('evaluate', () => {
  it('gives the same accuracy and loss on ONNX Runtime as on TF.js, partial last batch included', async () => {
    const net = new Supernet(
      tiny,
      3,
      layerContexts(tiny).map(() => OPS),
    );
    const arch = layerContexts(tiny).map((_, i) => OPS[i % 2] as string);
    const data = randomData(53, 1);
    recalibrateBatchNorm(net, arch, data, { batches: 3, batchSize: 16, seed: 2 });
    const a = await evaluate(net, arch, data, { runtime: 'onnxruntime', batchSize: 16 });
    const b = await evaluate(net, arch, data, { runtime: 'tfjs', batchSize: 16 });
    expect(a).toMatchObject({ runtime: 'onnxruntime', count: 53 });
    expect(b).toMatchObject({ runtime: 'tfjs', count: 53 });
    expect(a.accuracy).toBe(b.accuracy);
    expect(a.loss).toBeCloseTo(b.loss, 4);
    expect(a.loss).toBeGreaterThan(0);
    net.dispose();
  });

  it('accuracy and cross-entropy equal a hand computation on known logits, on ONNX Runtime and on TF.js', async () => {
    const net = new Supernet(
      tiny,
      3,
      layerContexts(tiny).map(() => OPS),
    );
    const arch = layerContexts(tiny).map(() => 'MB_3_1');
    // The head's last BatchNorm with scale 0 and shift 0 outputs 0 for any input, so every image's
    // logits are the classifier's bias: known numbers.
    const g = net.graph(arch);
    const lastBn = g.nodes.filter((n) => n.op === 'bn').at(-1) as Extract<Node, { op: 'bn' }>;
    const fc = g.nodes.find((n) => n.op === 'fc') as Extract<Node, { op: 'fc' }>;
    net.store.setOnnxValues(`${lastBn.param}.gamma`, new Float32Array(lastBn.channels));
    net.store.setOnnxValues(`${lastBn.param}.beta`, new Float32Array(lastBn.channels));
    const bias = [2, 0.5, -1];
    net.store.setOnnxValues(`${fc.param}.bias`, Float32Array.from(bias));
    const data = randomData(37, 5);
    const labels = data.batch(
      Array.from({ length: 37 }, (_, i) => i),
      null,
    ).labels;
    // By hand: class 0 always wins; the loss of label y is log(Σ e^b) − b_y.
    const logSum = Math.log(bias.reduce((a, b) => a + Math.exp(b), 0));
    const expectedAccuracy = labels.filter((y) => y === 0).length / 37;
    const expectedLoss = Array.from(labels).reduce((a, y) => a + logSum - (bias[y] as number), 0) / 37;
    expect(expectedAccuracy).toBeGreaterThan(0);
    expect(expectedAccuracy).toBeLessThan(1);
    for (const runtime of ['onnxruntime', 'tfjs'] as const) {
      const e = await evaluate(net, arch, data, { runtime, batchSize: 16 });
      expect(e.accuracy, runtime).toBe(expectedAccuracy);
      expect(e.loss, runtime).toBeCloseTo(expectedLoss, 5);
    }
    net.dispose();
  });

  it('recalibrates the running statistics of the path to the average of its batch statistics (hand computation over 3 batches)', () => {
    const net = new Supernet(
      tiny,
      3,
      layerContexts(tiny).map(() => OPS),
    );
    const arch = layerContexts(tiny).map(() => 'MB_3_1');
    // Batch k is four copies of a constant image of value 1, 2, 4: the stem convolution is linear,
    // so its output's per-channel batch mean is v·m and its unbiased variance v²·s², where m and s²
    // are those of the constant-1 image, computed here with a plain TF.js convolution.
    const values = [1, 2, 4];
    let call = 0;
    const constant: TrainingData = {
      size: 16,
      inputShape: [1, 8, 8],
      numClasses: 3,
      batch: (idx) => {
        const v = values[call++ % values.length] as number;
        return { x: new Float32Array(idx.length * 64).fill(v), labels: new Int32Array(idx.length) };
      },
    };
    recalibrateBatchNorm(net, arch, constant, { batches: 3, batchSize: 4, seed: 0 });
    expect(call).toBe(3);
    const g = net.graph(arch);
    const bn = g.nodes.find((n) => n.op === 'bn') as Extract<Node, { op: 'bn' }>;
    const conv = g.nodes.find((n) => n.op === 'conv' && n.output === bn.input) as Extract<Node, { op: 'conv' }>;
    const [m, s2] = tf.tidy(() => {
      const pad = Math.floor(conv.k / 2);
      const x = tf.ones([4, 8, 8, 1]) as tf.Tensor4D;
      const y = tf.conv2d(x, net.store.get(`${conv.param}.weight`) as tf.Tensor4D, conv.stride, [
        [0, 0],
        [pad, pad],
        [pad, pad],
        [0, 0],
      ]);
      const { mean, variance } = tf.moments(y, [0, 1, 2]);
      const count = y.shape[0] * y.shape[1] * y.shape[2];
      return [mean.dataSync(), tf.mul(variance, count / (count - 1)).dataSync()];
    });
    const avg = (f: (v: number) => number) => values.reduce((a, v) => a + f(v), 0) / values.length;
    const runMean = net.store.get(`${bn.param}.mean`).dataSync();
    const runVar = net.store.get(`${bn.param}.var`).dataSync();
    for (let ch = 0; ch < bn.channels; ch++) {
      expect(runMean[ch]).toBeCloseTo((m[ch] as number) * avg((v) => v), 4);
      expect(runVar[ch]).toBeCloseTo((s2[ch] as number) * avg((v) => v * v), 4);
    }
    // A second recalibration gives the same statistics (they are reset, never accumulated).
    call = 0;
    const before = Float32Array.from(runMean);
    recalibrateBatchNorm(net, arch, constant, { batches: 3, batchSize: 4, seed: 0 });
    expect(Array.from(net.store.get(`${bn.param}.mean`).dataSync())).toEqual(Array.from(before));
    net.dispose();
  });
});

describe('PathEvaluator (BatchNorm recalibration and validation on ONNX Runtime)', () => {
  it('re-estimates every BatchNorm statistic as the TF.js training-mode forward does, and scores the path the same', async () => {
    const { PathEvaluator } = await import('../src/train/path-evaluator.js');
    const net = new Supernet(
      tiny,
      5,
      layerContexts(tiny).map(() => [...OPS, 'SEP_3_SE']),
    );
    const arch = layerContexts(tiny).map((_, i) => [...OPS, 'SEP_3_SE'][i % 3] as string);
    const train = randomData(80, 3);
    const valid = randomData(37, 4);
    const pe = await PathEvaluator.create(net, train, valid, {
      recalibrationBatches: 4,
      recalibrationBatchSize: 16,
      batchSize: 16,
      seed: 9,
    });
    const fast = await pe.recalibrate(arch);
    const scored = await pe.evaluate(arch);
    // reference: TF.js recalibration (same seeded batches) into the network's own statistics
    recalibrateBatchNorm(net, arch, train, { batches: 4, batchSize: 16, seed: 9 });
    const stats = net.parameterNames(arch).statistics;
    expect(stats.length).toBeGreaterThan(10);
    expect([...fast.keys()].sort()).toEqual([...stats].sort());
    for (const name of stats) {
      const want = net.store.onnxValues(name);
      const got = fast.get(name) as Float32Array;
      for (let i = 0; i < want.length; i++)
        expect(Math.abs((got[i] as number) - (want[i] as number))).toBeLessThan(1e-4 * (1 + Math.abs(want[i] as number)));
    }
    const reference = await evaluate(net, arch, valid, { runtime: 'tfjs', batchSize: 16 });
    expect(scored.count).toBe(37);
    expect(scored.accuracy).toBe(reference.accuracy);
    expect(scored.loss).toBeCloseTo(reference.loss, 4);
    net.dispose();
  });
});
