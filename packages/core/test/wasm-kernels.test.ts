// Hurricane's WebAssembly SIMD kernels against the same ops on the cpu backend (tf.grad), on shapes
// that exercise every tail: channel counts that are not multiples of 4 or 8, row counts beyond
// the kernels' 256-row accumulation blocks, and every fused activation.
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { operatorGraph } from '../src/space/backbone.js';
import { graphParams } from '../src/space/ir.js';
import { OPERATOR_NAMES } from '../src/space/operators.js';
import { batchNormTrain, conv2dComposed } from '../src/engine/composed-ops.js';
import { runGraph } from '../src/engine/executor.js';
import { ParameterStore } from '../src/engine/parameters.js';
import { tf } from '../src/engine/tf.js';
import { useWasmKernels } from '../src/engine/wasm-kernels.js';
import { perturbBatchNorm, randomInput, relErr, rng } from './space-helpers.js';

const rand = (n: number, seed: number, scale = 1, offset = 0) => {
  const r = rng(seed);
  return Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale + offset);
};

afterAll(async () => {
  await tf.setBackend('cpu');
});

describe('wasm kernels', () => {
  it('load only on the wasm backend', async () => {
    await tf.setBackend('cpu');
    expect(useWasmKernels()).toBe(false);
    await tf.setBackend('wasm');
    expect(useWasmKernels()).toBe(true);
  });

  for (const activation of [null, 'relu', 'relu6'] as const)
    for (const c of [3, 6, 13])
      it(`BatchNorm forward and backward, ${c} channels, activation ${activation ?? 'none'}`, async () => {
        const shape: [number, number, number, number] = [3, 11, 9, c]; // 297 rows
        const x = rand(297 * c, c, 4, 2.5); // off-centre, so ReLU6 clips at both ends
        const gamma = rand(c, 10 + c, 1, 1.5);
        const beta = rand(c, 20 + c, 2);
        const r = rand(297 * c, 30 + c);
        const run = async (backend: string) => {
          await tf.setBackend(backend);
          return tf.tidy(() => {
            const g = tf.tensor1d(gamma);
            const b = tf.tensor1d(beta);
            let stats: Float32Array[] = [];
            const f = (xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
              const y = batchNormTrain(
                xx as tf.Tensor4D,
                gg,
                bb,
                1e-5,
                (mean, variance) => {
                  stats = [mean.dataSync().slice() as Float32Array, variance.dataSync().slice() as Float32Array];
                },
                activation,
              );
              return tf.sum(tf.mul(y, tf.tensor4d(r, shape)));
            };
            const y = batchNormTrain(tf.tensor4d(x, shape), g, b, 1e-5, () => {}, activation);
            const grads = tf.grads(f)([tf.tensor4d(x, shape), g, b]);
            return [y.dataSync().slice() as Float32Array, ...stats, ...grads.map((t) => t.dataSync().slice() as Float32Array)];
          });
        };
        const ref = await run('cpu');
        const got = await run('wasm');
        const names = ['y', 'mean', 'variance', 'dx', 'dgamma', 'dbeta'];
        for (const [i, name] of names.entries())
          expect(relErr(got[i] as Float32Array, ref[i] as Float32Array), name).toBeLessThanOrEqual(1e-4);
      });

  for (const [ci, co] of [
    [5, 11],
    [8, 16],
    [12, 7],
  ] as const)
    it(`1x1 convolution filter gradient (xᵀ·dy), ${ci}→${co} channels`, async () => {
      const shape: [number, number, number, number] = [2, 17, 19, ci]; // 646 rows
      const x = rand(646 * ci, ci, 1, 0.3);
      const w = rand(ci * co, co);
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor) =>
            tf.sum(tf.square(conv2dComposed(xx as tf.Tensor4D, ww as tf.Tensor4D, 1, 0))),
          )([tf.tensor4d(x, shape), tf.tensor4d(w, [1, 1, ci, co])]);
          return grads.map((t) => t.dataSync().slice() as Float32Array);
        });
      };
      const ref = await run('cpu');
      const got = await run('wasm');
      expect(relErr(got[0] as Float32Array, ref[0] as Float32Array), 'dx').toBeLessThanOrEqual(1e-4);
      expect(relErr(got[1] as Float32Array, ref[1] as Float32Array), 'dw').toBeLessThanOrEqual(1e-4);
    });

  it('inference of every operator (BatchNorm folded, shuffle, concat) matches the cpu backend', async () => {
    const ctx = { h: 6, w: 6, cin: 8, cout: 16, stride: 2 as const };
    for (const [i, op] of OPERATOR_NAMES.entries()) {
      const graph = operatorGraph(op, ctx);
      const store = new ParameterStore(i);
      for (const p of graphParams(graph)) store.ensure(p);
      perturbBatchNorm(store, i);
      const input = randomInput([3, ctx.h, ctx.w, ctx.cin], i);
      const run = async (backend: string) => {
        await tf.setBackend(backend);
        return tf.tidy(
          () =>
            runGraph(graph, store, tf.tensor4d(input, [3, ctx.h, ctx.w, ctx.cin]), { training: false })
              .dataSync()
              .slice() as Float32Array,
        );
      };
      const ref = await run('cpu');
      const got = await run('wasm');
      expect(relErr(got, ref), op).toBeLessThanOrEqual(1e-5);
      store.dispose();
    }
  });
});
