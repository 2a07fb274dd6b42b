// Every operator trains on the WebAssembly backend: its gradients (training-mode BatchNorm,
// composed convolution gradients) match the cpu backend's tf.grad within 1e-3 relative error.
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operatorGraph } from '../src/space/backbone.js';
import { graphParams } from '../src/space/ir.js';
import { OPERATOR_NAMES } from '../src/space/operators.js';
import { runGraph } from '../src/engine/executor.js';
import { ParameterStore } from '../src/engine/parameters.js';
import { tf } from '../src/engine/tf.js';
import { perturbBatchNorm, randomInput, rng } from './space-helpers.js';

const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, v) => s + v * v, 0));
/**
 * ‖a − b‖ / ‖b‖, where ‖b‖ is at least 1e-3 of the operator's largest gradient: a BatchNorm shift
 * followed by a linear map and another training-mode BatchNorm (Choice's depthwise BN) has a
 * gradient that is exactly 0 in theory and float noise in practice.
 */
const relErr = (a: Float32Array, b: Float32Array, scale: number) => {
  let num = 0;
  for (let i = 0; i < a.length; i++) num += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(num) / Math.max(norm(b), 1e-3 * scale);
};

const CONTEXTS = [
  { h: 6, w: 6, cin: 8, cout: 8, stride: 1 as const },
  { h: 6, w: 6, cin: 8, cout: 16, stride: 2 as const },
];

describe('operator gradients on wasm vs cpu', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });
  for (const ctx of CONTEXTS) {
    for (const [i, op] of OPERATOR_NAMES.entries()) {
      it(`${op}, stride ${ctx.stride}`, async () => {
        const graph = operatorGraph(op, ctx);
        const store = new ParameterStore(i);
        const specs = graphParams(graph);
        for (const p of specs) store.ensure(p);
        perturbBatchNorm(store, i);
        const trainable = specs.filter((p) => p.trainable).map((p) => store.get(p.name));
        const input = randomInput([4, ctx.h, ctx.w, ctx.cin], i);
        const run = async (backend: string) => {
          await tf.setBackend(backend);
          return tf.tidy(() => {
            const x = tf.tensor4d(input, [4, ctx.h, ctx.w, ctx.cin]);
            let r: tf.Tensor | null = null;
            const { grads } = tf.variableGrads(() => {
              const y = runGraph(graph, store, x, { training: true, bnMomentum: 0 });
              const rr = rng(7);
              r = tf.tensor(
                Float32Array.from({ length: y.size }, () => rr() * 2 - 1),
                y.shape,
              );
              return tf.sum(tf.mul(y, r)) as tf.Scalar;
            }, trainable);
            return trainable.map((v) => (grads[v.name] as tf.Tensor).dataSync().slice() as Float32Array);
          });
        };
        const ref = await run('cpu');
        const got = await run('wasm');
        const scale = Math.max(...ref.map(norm));
        for (const [k, g] of got.entries()) {
          expect(relErr(g, ref[k] as Float32Array, scale), specs.filter((p) => p.trainable)[k]?.name).toBeLessThanOrEqual(1e-3);
        }
        await tf.setBackend('cpu');
        store.dispose();
      });
    }
  }
});
