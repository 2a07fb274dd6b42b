// Evaluation of a path: ONNX Runtime and TF.js agree on accuracy and loss; BatchNorm recalibration
// replaces a supernet's mixed running statistics with the path's own.
import { describe, expect, it } from 'vitest';
import { Rng } from '../src/random.js';
import { layerContexts } from '../src/space/backbone.js';
import { graphParams } from '../src/space/ir.js';
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

  it('recalibrates the running statistics of the path to the average of its batch statistics', () => {
    const net = new Supernet(
      tiny,
      3,
      layerContexts(tiny).map(() => OPS),
    );
    const arch = layerContexts(tiny).map(() => 'MB_3_1');
    const data = randomData(16, 4);
    recalibrateBatchNorm(net, arch, data, { batches: 1, batchSize: 16, seed: 0 });
    // Reset to 0 and replaced by the batch mean of the stem convolution's output (not 0 for off-centre inputs).
    const bn = graphParams(net.graph(arch)).find((p) => p.kind === 'bn_mean') as { name: string };
    const runMean = net.store.get(bn.name).dataSync();
    expect(Array.from(runMean).some((v) => Math.abs(v) > 1e-3)).toBe(true);
    // A second recalibration from the same seed gives the same statistics (no accumulation).
    const before = Float32Array.from(runMean);
    recalibrateBatchNorm(net, arch, data, { batches: 1, batchSize: 16, seed: 0 });
    expect(Array.from(net.store.get(bn.name).dataSync())).toEqual(Array.from(before));
    net.dispose();
  });
});
