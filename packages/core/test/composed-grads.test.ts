// Gradients of the composed convolutions (used on the WebAssembly backend) against TF.js's own
// conv2d / depthwiseConv2d gradients on the cpu backend: relative error ≤ 1e-3 in float32.
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { conv2dComposed, depthwiseComposed } from '../src/engine/composed-ops.js';
import { tf } from '../src/engine/tf.js';
import { relErr, rng } from './space-helpers.js';

const rand = (shape: number[], seed: number) => {
  const r = rng(seed);
  return Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
};

type Case = { depthwise: boolean; k: number; stride: number; h: number; ci: number; co: number };
const CASES: Case[] = [];
for (const k of [1, 3, 5, 7])
  for (const stride of [1, 2]) for (const h of [7, 8]) CASES.push({ depthwise: false, k, stride, h, ci: 3, co: 4 });
for (const k of [3, 5, 7]) for (const stride of [1, 2]) for (const h of [7, 8]) CASES.push({ depthwise: true, k, stride, h, ci: 5, co: 5 });

async function grads(backend: string, c: Case, useComposed: boolean): Promise<{ y: Float32Array; dx: Float32Array; dw: Float32Array }> {
  await tf.setBackend(backend);
  return tf.tidy(() => {
    const pad = Math.floor(c.k / 2);
    const xs = [2, c.h, c.h, c.ci];
    const ws = c.depthwise ? [c.k, c.k, c.ci, 1] : [c.k, c.k, c.ci, c.co];
    const x = tf.tensor4d(rand(xs, 1), xs as [number, number, number, number]);
    const w = tf.tensor4d(rand(ws, 2), ws as [number, number, number, number]);
    const op = (a: tf.Tensor4D, b: tf.Tensor4D) =>
      useComposed
        ? c.depthwise
          ? depthwiseComposed(a, b, c.stride, pad)
          : conv2dComposed(a, b, c.stride, pad)
        : c.depthwise
          ? tf.depthwiseConv2d(a, b, c.stride, pad)
          : tf.conv2d(a, b, c.stride, pad);
    const y = op(x, w);
    const r = tf.tensor(rand(y.shape, 3), y.shape);
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a as tf.Tensor4D, b as tf.Tensor4D), r)))([x, w]) as [
      tf.Tensor,
      tf.Tensor,
    ];
    return { y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

describe('composed convolution gradients', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });
  for (const c of CASES) {
    const name = `${c.depthwise ? 'depthwise' : 'conv'} k${c.k} stride ${c.stride} ${c.h}x${c.h}`;
    it(`${name}: composed on cpu and on wasm match tf.grad on cpu`, async () => {
      const ref = await grads('cpu', c, false);
      for (const backend of ['cpu', 'wasm']) {
        const got = await grads(backend, c, true);
        expect({
          backend,
          y: relErr(got.y, ref.y) <= 1e-5,
          dx: relErr(got.dx, ref.dx) <= 1e-3,
          dw: relErr(got.dw, ref.dw) <= 1e-3,
        }).toEqual({ backend, y: true, dx: true, dw: true });
        expect(relErr(got.dx, ref.dx)).toBeLessThanOrEqual(1e-3);
        expect(relErr(got.dw, ref.dw)).toBeLessThanOrEqual(1e-3);
      }
    });
  }
});
