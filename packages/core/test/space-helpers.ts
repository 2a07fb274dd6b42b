import * as ort from 'onnxruntime-node';
import { type Backbone, makeBackbone } from '../src/space/backbone.js';
import type { ParameterStore } from '../src/engine/parameters.js';
import { tf } from '../src/engine/tf.js';

/** Small seeded PRNG for test data (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Gives every BatchNorm non-trivial statistics and affine parameters, so inference-mode BN is really tested. */
export function perturbBatchNorm(store: ParameterStore, seed: number, strength = 1): void {
  const r0 = rng(seed);
  const r = () => 0.5 + (r0() - 0.5) * strength;
  for (const name of store.names()) {
    const spec = store.spec(name);
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const u = r();
      values[i] =
        spec.kind === 'bn_gamma'
          ? 0.5 + u
          : spec.kind === 'bn_beta'
            ? u - 0.5
            : spec.kind === 'bn_mean'
              ? (u - 0.5) * 0.4
              : spec.kind === 'bn_var'
                ? 0.5 + u
                : Number.NaN;
    }
    if (spec.kind.startsWith('bn_')) store.setOnnxValues(name, values);
    if (spec.kind === 'conv_bias')
      store.setOnnxValues(
        name,
        values.map(() => (r() - 0.5) * 0.2),
      );
  }
}

/** A seeded NCHW float32 input. */
export function randomInput(shape: readonly number[], seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1);
}

/** Runs an exported model in ONNX Runtime on an NCHW input. */
export async function runOnnx(
  model: Uint8Array,
  input: Float32Array,
  shape: readonly number[],
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(model);
  try {
    const out = await session.run({ input: new ort.Tensor('float32', input, [...shape]) });
    const t = out.output as ort.Tensor;
    return { data: t.data as Float32Array, dims: t.dims };
  } finally {
    await session.release();
  }
}

/** NCHW data → NHWC tensor. */
export function nchwToNhwc(data: Float32Array, shape: readonly number[]): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.tensor4d(data, shape as [number, number, number, number]), [0, 2, 3, 1]));
}

/** An NHWC (or 2-D) tensor as NCHW data. */
export function toNchw(t: tf.Tensor): Float32Array {
  if (t.rank !== 4) return t.dataSync() as Float32Array;
  return tf.tidy(() => tf.transpose(t, [0, 3, 1, 2]).dataSync() as Float32Array);
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

/** An 8x8x1, 3-class backbone with one layer per stage: small enough to train on the cpu backend in tests. */
export function tinyBackbone(): Backbone {
  return makeBackbone({
    name: 'tiny',
    inputSize: 8,
    inputChannels: 1,
    classes: 3,
    widthMultiplier: 0.25,
    stemStride: 1,
    stageRepeats: [1, 1, 1, 1],
  });
}

/** ‖a − b‖ / ‖b‖ (relative error of a float32 result against a reference). */
export function relErr(a: Float32Array | number[], b: Float32Array | number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num += ((a[i] as number) - (b[i] as number)) ** 2;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}
