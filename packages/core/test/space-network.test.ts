import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNetworkWeights, saveNetworkWeights } from '../src/engine/network-weights.js';
import { exportArchitecture } from '../src/onnx/model-files.js';
import { PRESETS, layerContexts } from '../src/space/backbone.js';
import { StandaloneNetwork, Supernet } from '../src/engine/network.js';
import { tf } from '../src/engine/tf.js';
import { WeightsError } from '../src/onnx/weights-file.js';
import { maxAbsDiff, nchwToNhwc, randomInput, rng, runOnnx, tinyBackbone } from './space-helpers.js';

const mnist = PRESETS.mnist();
const n = layerContexts(mnist).length;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'hurricane-net-'));
const batch = (seed: number, size = 4) => nchwToNhwc(randomInput([size, ...mnist.input], seed), [size, ...mnist.input]);
const archOf = (seed: number, ops: readonly string[]) => {
  const r = rng(seed);
  return Array.from({ length: n }, () => ops[Math.floor(r() * ops.length)] as string);
};
const SMALL = ['MB_3_1', 'Choice_3', 'SEP_3_SE', 'ChoiceX'];

describe('supernet', () => {
  const supernet = new Supernet(
    mnist,
    7,
    layerContexts(mnist).map(() => SMALL),
  );

  it('holds one set of weights per (layer, candidate), shared by every path through it', () => {
    const a = archOf(1, SMALL);
    const b = [...a];
    b[5] = SMALL[(SMALL.indexOf(a[5] as string) + 1) % SMALL.length] as string;
    const va = new Set(supernet.trainableVariables(a));
    const vb = supernet.trainableVariables(b);
    const onlyInB = vb.filter((v) => !va.has(v));
    const trainableOf = (prefix: string) => supernet.store.names().filter((x) => x.startsWith(prefix) && supernet.store.spec(x).trainable);
    // exactly layer 6's other operator differs; every other variable is the very same object
    expect(onlyInB).toEqual(trainableOf(`layers.5.${b[5]}.`).map((x) => supernet.store.get(x)));
    expect(vb.length - onlyInB.length).toBe(va.size - trainableOf(`layers.5.${a[5]}.`).length);
  });

  it('runs one path per call and gives different outputs for different paths', () => {
    // Training mode: BatchNorm normalises with the batch's statistics, as in every supernet step. (An
    // untrained network in inference mode passes its input through 20 layers of Kaiming-initialised
    // weights with identity BatchNorm, and the logits of every path shrink towards the same zero.)
    const net = new Supernet(
      mnist,
      11,
      layerContexts(mnist).map(() => SMALL),
    );
    const x = batch(1);
    const ya = net.forward(x, archOf(1, SMALL), { training: true });
    const yb = net.forward(x, archOf(2, SMALL), { training: true });
    expect(ya.shape).toEqual([4, 10]);
    expect(maxAbsDiff(ya.dataSync() as Float32Array, yb.dataSync() as Float32Array)).toBeGreaterThan(1e-3);
    tf.dispose([x, ya, yb]);
    net.dispose();
  });

  it('rejects a path outside its candidates', () => {
    const a = archOf(1, SMALL);
    a[0] = 'MB_7_6';
    const x = batch(1, 1);
    expect(() => supernet.forward(x, a)).toThrow(
      "layer 1: 'MB_7_6' is not a candidate of this network (MB_3_1, Choice_3, SEP_3_SE, ChoiceX)",
    );
    x.dispose();
  });

  it('updates BatchNorm running statistics in training mode only, and leaks no tensor over many steps', () => {
    // A tiny backbone: the plain cpu backend trains slowly, and this test is about state and memory.
    const tiny = tinyBackbone();
    const supernet = new Supernet(
      tiny,
      5,
      layerContexts(tiny).map(() => SMALL),
    );
    const r = rng(3);
    const arch = layerContexts(tiny).map(() => SMALL[Math.floor(r() * SMALL.length)] as string);
    const mean = supernet.store.get('stem.conv.bn.mean');
    const before = (mean.dataSync() as Float32Array).slice();
    const x = nchwToNhwc(randomInput([4, 1, 8, 8], 3), [4, 1, 8, 8]);
    supernet.forward(x, arch, { training: false }).dispose();
    expect(mean.dataSync()).toEqual(before);
    const tensors = tf.memory().numTensors;
    for (let step = 0; step < 25; step++) {
      const { value, grads } = tf.variableGrads(() => {
        const logits = supernet.forward(x, arch, { training: true, dropoutSeed: step });
        return tf.mean(tf.square(logits)) as tf.Scalar;
      }, supernet.trainableVariables(arch));
      value.dispose();
      tf.dispose(grads);
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(maxAbsDiff(mean.dataSync() as Float32Array, before)).toBeGreaterThan(0);
    x.dispose();
    supernet.dispose();
  });

  it('initialises deterministically from the seed, independent of creation order', () => {
    const a = new Supernet(
      mnist,
      11,
      layerContexts(mnist).map(() => ['MB_3_1', 'Choice_3']),
    );
    const b = new Supernet(
      mnist,
      11,
      layerContexts(mnist).map(() => ['Choice_3', 'MB_3_1']),
    );
    const c = new Supernet(
      mnist,
      12,
      layerContexts(mnist).map(() => ['MB_3_1', 'Choice_3']),
    );
    const name = 'layers.4.Choice_3.main.pw1.weight';
    expect(a.store.onnxValues(name)).toEqual(b.store.onnxValues(name));
    expect(maxAbsDiff(a.store.onnxValues(name), c.store.onnxValues(name))).toBeGreaterThan(0);
    for (const s of [a, b, c]) s.dispose();
  });
});

describe('standalone networks and weights', () => {
  const arch = archOf(5, SMALL);

  it('inherit a supernet path by name and then compute exactly what the supernet computes', () => {
    const supernet = new Supernet(
      mnist,
      3,
      layerContexts(mnist).map(() => SMALL),
    );
    const net = new StandaloneNetwork(mnist, arch, 99);
    net.inheritFrom(supernet, arch);
    const x = batch(5);
    const a = supernet.forward(x, arch);
    const b = net.predict(x);
    expect(maxAbsDiff(a.dataSync() as Float32Array, b.dataSync() as Float32Array)).toBe(0);
    tf.dispose([x, a, b]);
    supernet.dispose();
    net.dispose();
  });

  it('round-trip through a weights file, and an export with --weights matches TF.js', async () => {
    const net = new StandaloneNetwork(mnist, arch, 21);
    // make the weights differ from any seeded initialisation
    const x = batch(6);
    for (let i = 0; i < 3; i++) net.predict(x, { training: true }).dispose();
    const file = path.join(tmp, 'w.safetensors');
    saveNetworkWeights(net, file);
    const copy = new StandaloneNetwork(mnist, arch, 0);
    loadNetworkWeights(copy, file);
    const ya = net.predict(x);
    const yb = copy.predict(x);
    expect(maxAbsDiff(ya.dataSync() as Float32Array, yb.dataSync() as Float32Array)).toBe(0);
    const onnxFile = path.join(tmp, 'net.onnx');
    exportArchitecture({ backbone: mnist, arch, output: onnxFile, seed: 0, weightsFile: file });
    const input = randomInput([1, ...mnist.input], 8);
    const x1 = nchwToNhwc(input, [1, ...mnist.input]);
    const y1 = net.predict(x1);
    const ort = await runOnnx(new Uint8Array(readFileSync(onnxFile)), input, [1, ...mnist.input]);
    expect(maxAbsDiff(ort.data, y1.dataSync() as Float32Array)).toBeLessThanOrEqual(1e-4);
    tf.dispose([x, ya, yb, x1, y1]);
    net.dispose();
    copy.dispose();
  });

  it('name the file and the problem for a truncated, foreign or mismatched weights file', () => {
    const good = path.join(tmp, 'good.safetensors');
    const net = new StandaloneNetwork(mnist, arch, 1);
    saveNetworkWeights(net, good);
    const bytes = readFileSync(good);
    const truncated = path.join(tmp, 'truncated.safetensors');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    const other = new StandaloneNetwork(mnist, Array(n).fill('MB_7_6_SE'), 1);
    const errorOf = (f: () => void) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(WeightsError);
        return (e as Error).message;
      }
      throw new Error('expected an error');
    };
    expect(errorOf(() => loadNetworkWeights(other, truncated))).toMatch(
      new RegExp(`^weights file ${truncated} has tensor .* outside its data \\(truncated\\?\\)`),
    );
    const junk = path.join(tmp, 'junk.bin');
    writeFileSync(junk, 'hello');
    expect(errorOf(() => loadNetworkWeights(other, junk))).toBe(
      `weights file ${junk} is shorter than its 8-byte header length; it is not a complete Hurricane (safetensors) weight file`,
    );
    expect(errorOf(() => loadNetworkWeights(other, good))).toMatch(
      new RegExp(
        `^weights file ${good} \\(saved for preset 'mnist'\\) has no tensor 'layers\\.0\\.MB_7_6_SE\\..*'; it was saved for another preset or architecture$`,
      ),
    );
    net.dispose();
    other.dispose();
  });
});
