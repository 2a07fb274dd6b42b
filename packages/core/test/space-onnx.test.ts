import { describe, expect, it } from 'vitest';
import { PRESETS, operatorGraph, layerContexts, skipLayersOf } from '../src/space/backbone.js';
import { graphParams } from '../src/space/ir.js';
import { exportOnnx } from '../src/onnx/export-onnx.js';
import { OPERATOR_NAMES } from '../src/space/operators.js';
import { runGraph } from '../src/engine/executor.js';
import { StandaloneNetwork } from '../src/engine/network.js';
import { ParameterStore } from '../src/engine/parameters.js';
import { tf } from '../src/engine/tf.js';
import { maxAbsDiff, nchwToNhwc, perturbBatchNorm, randomInput, rng, runOnnx, toNchw } from './space-helpers.js';

const CONTEXTS = [
  { label: 'stride 1', h: 8, w: 8, cin: 16, cout: 16, stride: 1 as const },
  { label: 'stride 2', h: 8, w: 8, cin: 16, cout: 32, stride: 2 as const },
  { label: 'stride 1, channel change, odd size', h: 7, w: 7, cin: 8, cout: 24, stride: 1 as const },
  { label: 'stride 2, odd size', h: 7, w: 7, cin: 8, cout: 24, stride: 2 as const },
];

describe('every operator: ONNX Runtime output equals TF.js output', () => {
  for (const ctx of CONTEXTS) {
    for (const [i, op] of OPERATOR_NAMES.entries()) {
      it(`${op}, ${ctx.label}`, async () => {
        const graph = operatorGraph(op, ctx);
        const store = new ParameterStore(100 + i);
        for (const p of graphParams(graph)) store.ensure(p);
        perturbBatchNorm(store, i);
        const shape = [2, ctx.cin, ctx.h, ctx.w];
        const input = randomInput(shape, i);
        const before = tf.memory().numTensors;
        const x = nchwToNhwc(input, shape);
        const y = tf.tidy(() => runGraph(graph, store, x, { training: false }));
        const expected = toNchw(y);
        const outShape = y.shape;
        x.dispose();
        y.dispose();
        expect(tf.memory().numTensors).toBe(before);
        const onnx = await runOnnx(exportOnnx(graph, store, { batch: 2 }), input, shape);
        expect([...onnx.dims]).toEqual([outShape[0], outShape[3], outShape[1], outShape[2]]);
        expect(maxAbsDiff(onnx.data, expected)).toBeLessThanOrEqual(1e-4);
        store.dispose();
      });
    }
  }
});

describe('whole networks: ONNX Runtime output equals TF.js output', () => {
  const pick = (seed: number, ops: readonly string[], n: number) => {
    const r = rng(seed);
    return Array.from({ length: n }, () => ops[Math.floor(r() * ops.length)] as string);
  };
  for (const [presetName, seed] of [
    ['mnist', 1],
    ['mnist', 2],
    ['cifar', 3],
    ['spos', 4],
  ] as const) {
    it(`${presetName}, seeded random architecture #${seed}`, async () => {
      const backbone = PRESETS[presetName]();
      const arch = pick(seed, backbone.operators, layerContexts(backbone).length);
      const net = new StandaloneNetwork(backbone, arch, seed);
      // Mild statistics: a deep network multiplies BN's scale layer after layer.
      perturbBatchNorm(net.store, seed, 0.2);
      const shape = [1, ...backbone.input];
      const input = randomInput(shape, seed);
      const before = tf.memory().numTensors;
      const x = nchwToNhwc(input, shape);
      const logits = net.predict(x);
      const expected = logits.dataSync() as Float32Array;
      x.dispose();
      logits.dispose();
      expect(tf.memory().numTensors).toBe(before);
      const onnx = await runOnnx(exportOnnx(net.graph(arch), net.store), input, shape);
      expect([...onnx.dims]).toEqual([1, backbone.classes]);
      expect(maxAbsDiff(onnx.data, expected)).toBeLessThanOrEqual(1e-4);
      net.dispose();
    }, 120_000);
  }
});

describe('the skip operator: ONNX Runtime runs it as the identity, alone and in a network', () => {
  it('Skip alone, stride 1 with equal channels: ONNX Runtime and TF.js both return the input unchanged', async () => {
    const ctx = CONTEXTS[0] as (typeof CONTEXTS)[number];
    const graph = operatorGraph('Skip', ctx);
    expect(graphParams(graph)).toEqual([]);
    const store = new ParameterStore(1);
    const shape = [2, ctx.cin, ctx.h, ctx.w];
    const input = randomInput(shape, 7);
    const x = nchwToNhwc(input, shape);
    const y = tf.tidy(() => runGraph(graph, store, x, { training: false }));
    expect(maxAbsDiff(toNchw(y), input)).toBe(0);
    x.dispose();
    y.dispose();
    const onnx = await runOnnx(exportOnnx(graph, store, { batch: 2 }), input, shape);
    expect([...onnx.dims]).toEqual(shape);
    expect(maxAbsDiff(onnx.data, input)).toBe(0);
    store.dispose();
  });

  it('mnist with Skip in every layer that can take it (MB_3_3 elsewhere): ONNX Runtime output equals TF.js output', async () => {
    const backbone = PRESETS.mnist();
    const skip = skipLayersOf(backbone);
    const arch = layerContexts(backbone).map((c) => (skip.includes(c.layer) ? 'Skip' : 'MB_3_3'));
    const net = new StandaloneNetwork(backbone, arch, 5);
    perturbBatchNorm(net.store, 5, 0.2);
    const shape = [1, ...backbone.input];
    const input = randomInput(shape, 5);
    const x = nchwToNhwc(input, shape);
    const logits = net.predict(x);
    const expected = logits.dataSync() as Float32Array;
    x.dispose();
    logits.dispose();
    const onnx = await runOnnx(exportOnnx(net.graph(arch), net.store), input, shape);
    expect([...onnx.dims]).toEqual([1, backbone.classes]);
    expect(maxAbsDiff(onnx.data, expected)).toBeLessThanOrEqual(1e-4);
    net.dispose();
  }, 120_000);
});
