import { readFileSync } from 'node:fs';
import { tf } from './tf.js';

/**
 * Hurricane's own WebAssembly SIMD training kernels (`kernels/hurricane-kernels.c`, compiled by
 * `npm run build:kernels` and shipped as `kernels/hurricane-kernels.wasm`), registered as TF.js
 * kernels of the `wasm` backend. The module imports the backend's memory and works on tensors in
 * place: no copies in or out.
 *
 * - `HurricaneBatchNormTrain`: training-mode BatchNorm (+ ReLU/ReLU6) forward with batch statistics.
 * - `HurricaneBatchNormGrad`: its backward pass (dx, dγ, dβ) in two sweeps.
 * - `HurricaneDepthwiseGrad`: a depthwise convolution's input and filter gradients in one sweep.
 * - `HurricaneMatMulTN`: `aᵀ · b` (a 1x1 convolution's filter gradient) without transposing `a`.
 * - `HurricaneScaleShift`: inference-mode BatchNorm folded to `act(x · scale + shift)`.
 * - `HurricaneDeinterleave` / `HurricaneInterleave`: channel shuffle's even/odd split and its inverse.
 * - `HurricaneConcat2` / `HurricaneSplit2`: concatenation of two tensors along channels and its inverse
 *   (TF.js's SplitV copies element by element in JavaScript).
 */

// The WebAssembly JS API (a Node global; this package's TypeScript lib has no DOM types).
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: object };
};

interface KernelExports {
  readonly __stack_pointer: { value: number };
  bn_forward(...args: number[]): void;
  bn_backward(...args: number[]): void;
  depthwise_backward(...args: number[]): void;
  matmul_tn(...args: number[]): void;
  deinterleave2(...args: number[]): void;
  concat2(...args: number[]): void;
  scale_shift(...args: number[]): void;
}

interface WasmBackendInternals {
  readonly wasm: { asm: { memory: WasmMemory }; _malloc(n: number): number; _free(p: number): void };
  readonly dataIdMap: { get(id: unknown): { memoryOffset: number } };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
}

const STACK_BYTES = 8192;
const ACT = { none: 0, relu: 1, relu6: 2 } as const;
export type FusedActivation = keyof typeof ACT;

let state: { kernels: KernelExports; backend: WasmBackendInternals } | null | undefined;
let scratch = { ptr: 0, bytes: 0 };

/** Path of the shipped kernel binary (the same relative place from `src/` and `dist/`). */
export const KERNELS_WASM = new URL('../../kernels/hurricane-kernels.wasm', import.meta.url);

/**
 * Loads the kernels into the current `wasm` backend and registers them (once per process).
 * Returns false when the backend in use is not `wasm`; throws when the shipped binary is missing
 * or does not instantiate (a broken install).
 */
export function useWasmKernels(): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  const backend = tf.backend() as unknown as WasmBackendInternals;
  if (state && state.backend === backend) return true;
  let bytes: Buffer;
  try {
    bytes = readFileSync(KERNELS_WASM);
  } catch (error) {
    throw new Error(
      `Hurricane's WebAssembly kernels are missing (${(error as Error).message}); reinstall @hurricane/core, or rebuild them with 'npm run build:kernels'`,
    );
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(bytes)), {
    env: { memory: backend.wasm.asm.memory },
  });
  const kernels = instance.exports as unknown as KernelExports;
  // The module's stack: a region of the backend's heap (its default would be the heap's start).
  const stack = backend.wasm._malloc(STACK_BYTES + 16) >>> 0;
  kernels.__stack_pointer.value = (stack + STACK_BYTES) & ~15;
  scratch = { ptr: 0, bytes: 0 };
  const first = state === undefined;
  state = { kernels, backend };
  if (first) {
    registerKernels();
    registerLayoutKernels();
  }
  return true;
}

function ptr(t: tf.TensorInfo): number {
  return (state as NonNullable<typeof state>).backend.dataIdMap.get(t.dataId).memoryOffset >>> 0;
}
function out(shape: number[]): tf.TensorInfo {
  return (state as NonNullable<typeof state>).backend.makeOutput(shape, 'float32');
}
/** A tensor seen as `[rows, channels]`: channels are its last axis. */
function rowsOf(t: tf.TensorInfo): { m: number; c: number } {
  const c = t.shape.at(-1) as number;
  return { m: t.shape.reduce((a, b) => a * b, 1) / c, c };
}
function scratchOf(bytes: number): number {
  const s = state as NonNullable<typeof state>;
  if (scratch.bytes < bytes) {
    if (scratch.ptr) s.backend.wasm._free(scratch.ptr);
    scratch = { ptr: s.backend.wasm._malloc(bytes) >>> 0, bytes };
  }
  return scratch.ptr;
}

function registerKernels(): void {
  tf.registerKernel({
    kernelName: 'HurricaneBatchNormTrain',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
      const { epsilon, activation } = attrs as unknown as { epsilon: number; activation: FusedActivation };
      const [m, c] = (x as tf.TensorInfo).shape as [number, number];
      const y = out([m, c]);
      const mean = out([1, c]);
      const variance = out([1, c]);
      const invStd = out([1, c]);
      state?.kernels.bn_forward(
        ptr(x as tf.TensorInfo),
        m,
        c,
        ptr(gamma as tf.TensorInfo),
        ptr(beta as tf.TensorInfo),
        epsilon,
        ACT[activation],
        ptr(y),
        ptr(mean),
        ptr(variance),
        ptr(invStd),
        scratchOf(32 * c),
      );
      return [y, mean, variance, invStd];
    },
  });
  tf.registerKernel({
    kernelName: 'HurricaneBatchNormGrad',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, y, dy, mean, invStd, gamma } = inputs as Record<string, tf.TensorInfo>;
      const { activation } = attrs as unknown as { activation: FusedActivation };
      const [m, c] = (x as tf.TensorInfo).shape as [number, number];
      const dx = out([m, c]);
      const dgamma = out([1, c]);
      const dbeta = out([1, c]);
      state?.kernels.bn_backward(
        ptr(x as tf.TensorInfo),
        ptr(y as tf.TensorInfo),
        ptr(dy as tf.TensorInfo),
        m,
        c,
        ptr(mean as tf.TensorInfo),
        ptr(invStd as tf.TensorInfo),
        ptr(gamma as tf.TensorInfo),
        ACT[activation],
        ptr(dx),
        ptr(dgamma),
        ptr(dbeta),
        scratchOf(28 * c),
      );
      return [dx, dgamma, dbeta];
    },
  });
  tf.registerKernel({
    kernelName: 'HurricaneDepthwiseGrad',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, filter, dy } = inputs as Record<string, tf.TensorInfo>;
      const { stride, pad } = attrs as unknown as { stride: number; pad: number };
      const [n, h, w, c] = (x as tf.TensorInfo).shape as [number, number, number, number];
      const k = (filter as tf.TensorInfo).shape[0] as number;
      const [, oh, ow] = (dy as tf.TensorInfo).shape as [number, number, number, number];
      const dx = out([n, h, w, c]);
      const dfilter = out([k, k, c, 1]);
      state?.kernels.depthwise_backward(
        ptr(x as tf.TensorInfo),
        ptr(filter as tf.TensorInfo),
        ptr(dy as tf.TensorInfo),
        n,
        h,
        w,
        c,
        k,
        stride,
        pad,
        oh,
        ow,
        ptr(dx),
        ptr(dfilter),
        scratchOf(12 * k * k * c),
      );
      return [dx, dfilter];
    },
  });
  tf.registerKernel({
    kernelName: 'HurricaneMatMulTN',
    backendName: 'wasm',
    kernelFunc: ({ inputs }) => {
      const { a, b } = inputs as Record<string, tf.TensorInfo>;
      const [m, p] = (a as tf.TensorInfo).shape as [number, number];
      const q = (b as tf.TensorInfo).shape[1] as number;
      const o = out([p, q]);
      state?.kernels.matmul_tn(ptr(a as tf.TensorInfo), ptr(b as tf.TensorInfo), m, p, q, ptr(o), scratchOf(8 * p * q));
      return o;
    },
  });
}

function registerLayoutKernels(): void {
  tf.registerKernel({
    kernelName: 'HurricaneScaleShift',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const { x, scale, shift } = inputs as Record<string, tf.TensorInfo>;
      const { activation } = attrs as unknown as { activation: FusedActivation };
      const xi = x as tf.TensorInfo;
      const { m, c } = rowsOf(xi);
      const y = out([...xi.shape]);
      state?.kernels.scale_shift(ptr(xi), m, c, ptr(scale as tf.TensorInfo), ptr(shift as tf.TensorInfo), ACT[activation], ptr(y));
      return y;
    },
  });
  tf.registerKernel({
    kernelName: 'HurricaneDeinterleave',
    backendName: 'wasm',
    kernelFunc: ({ inputs }) => {
      const x = inputs.x as tf.TensorInfo;
      const { m, c } = rowsOf(x);
      const shape = [...x.shape.slice(0, -1), c / 2];
      const even = out(shape);
      const odd = out(shape);
      state?.kernels.deinterleave2(ptr(x), ptr(even), ptr(odd), m, c / 2, 0);
      return [even, odd];
    },
  });
  tf.registerKernel({
    kernelName: 'HurricaneInterleave',
    backendName: 'wasm',
    kernelFunc: ({ inputs }) => {
      const even = inputs.even as tf.TensorInfo;
      const odd = inputs.odd as tf.TensorInfo;
      const { m, c: h } = rowsOf(even);
      const x = out([...even.shape.slice(0, -1), 2 * h]);
      state?.kernels.deinterleave2(ptr(x), ptr(even), ptr(odd), m, h, 1);
      return x;
    },
  });
  tf.registerKernel({
    kernelName: 'HurricaneConcat2',
    backendName: 'wasm',
    kernelFunc: ({ inputs }) => {
      const a = inputs.a as tf.TensorInfo;
      const b = inputs.b as tf.TensorInfo;
      const { m, c: ca } = rowsOf(a);
      const cb = b.shape.at(-1) as number;
      const o = out([...a.shape.slice(0, -1), ca + cb]);
      state?.kernels.concat2(ptr(a), ptr(b), ptr(o), m, ca, cb, 0);
      return o;
    },
  });
  tf.registerKernel({
    kernelName: 'HurricaneSplit2',
    backendName: 'wasm',
    kernelFunc: ({ inputs, attrs }) => {
      const x = inputs.x as tf.TensorInfo;
      const { first } = attrs as unknown as { first: number };
      const { m, c } = rowsOf(x);
      const a = out([...x.shape.slice(0, -1), first]);
      const b = out([...x.shape.slice(0, -1), c - first]);
      state?.kernels.concat2(ptr(a), ptr(b), ptr(x), m, first, c - first, 1);
      return [a, b];
    },
  });
  // Their gradients: each kernel's inverse.
  tf.registerGradient({
    kernelName: 'HurricaneDeinterleave',
    gradFunc: (dy) => {
      const [de, dodd] = dy as tf.Tensor[];
      return { x: () => runWasmKernel<tf.Tensor>('HurricaneInterleave', { even: de as tf.Tensor, odd: dodd as tf.Tensor }) };
    },
  });
  tf.registerGradient({
    kernelName: 'HurricaneConcat2',
    inputsToSave: ['a'],
    gradFunc: (dy, saved) => {
      const first = (saved[0] as tf.Tensor).shape.at(-1) as number;
      // TF.js runs each input's gradient in its own tidy: each takes its part of one split.
      const split = () => runWasmKernel<tf.Tensor[]>('HurricaneSplit2', { x: dy as tf.Tensor }, { first });
      return { a: () => split()[0] as tf.Tensor, b: () => split()[1] as tf.Tensor };
    },
  });
}

/** Runs one of the kernels above (the current backend must be `wasm` with {@link useWasmKernels} true). */
export function runWasmKernel<T extends tf.Tensor | tf.Tensor[]>(
  name: string,
  inputs: Record<string, tf.Tensor>,
  attrs: Record<string, number | string> = {},
): T {
  return tf.engine().runKernel(name, inputs as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as unknown as T;
}
