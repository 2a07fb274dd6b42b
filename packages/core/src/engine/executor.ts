import { BN_EPSILON, type Graph } from '../space/ir.js';
import { batchNormTrain, concatChannels, conv2dComposed, depthwiseComposed, shuffleSplit } from './composed-ops.js';
import type { ParameterStore } from './parameters.js';
import { runWasmKernel, useWasmKernels } from './wasm-kernels.js';
import { tf } from './tf.js';

/** How a graph runs. */
export interface RunOptions {
  /** Training mode: BatchNorm uses batch statistics and updates its running statistics; dropout is applied. */
  readonly training: boolean;
  /** BatchNorm running-statistics momentum (PyTorch's convention). */
  readonly bnMomentum?: number;
  /** Seed of this step's dropout mask (training only). */
  readonly dropoutSeed?: number;
  /** Convolutions with gradients composed from common kernels (default: on the wasm backend). */
  readonly composedGradients?: boolean;
}

/**
 * Runs a graph on an NHWC batch with the parameters of `store` and returns the output tensor
 * (NHWC feature map or `[N, F]` logits). Call it inside `tf.tidy` (the networks do).
 */
const consumerCache = new WeakMap<Graph, Map<string, number>>();
function consumers(graph: Graph): Map<string, number> {
  let m = consumerCache.get(graph);
  if (!m) {
    m = new Map();
    for (const n of graph.nodes) for (const id of 'inputs' in n ? n.inputs : [n.input]) m.set(id, (m.get(id) ?? 0) + 1);
    consumerCache.set(graph, m);
  }
  return m;
}

export function runGraph(graph: Graph, store: ParameterStore, input: tf.Tensor4D, options: RunOptions): tf.Tensor {
  const values = new Map<string, tf.Tensor>([[graph.input.id, input]]);
  const get = (id: string) => {
    const t = values.get(id);
    if (!t) throw new Error(`graph value ${id} used before it is computed`);
    return t;
  };
  const momentum = options.bnMomentum ?? 0.1;
  // The WebAssembly backend lacks some convolution gradient kernels: use ops whose gradients are composed.
  const composed = options.composedGradients ?? tf.getBackend() === 'wasm';
  const uses = composed ? consumers(graph) : null;
  const fastInference = !options.training && useWasmKernels();
  const fused = new Set<string>();
  for (const [index, n] of graph.nodes.entries()) {
    if ((n.op === 'relu' || n.op === 'relu6') && fused.has(n.output)) continue;
    switch (n.op) {
      case 'conv': {
        const x = get(n.input) as tf.Tensor4D;
        const w = store.get(`${n.param}.weight`) as tf.Tensor4D;
        const pad = Math.floor(n.k / 2);
        let y = composed
          ? n.groups === 1
            ? conv2dComposed(x, w, n.stride, pad)
            : depthwiseComposed(x, w, n.stride, pad)
          : n.groups === 1
            ? tf.conv2d(x, w, n.stride, pad)
            : tf.depthwiseConv2d(x, w, n.stride, pad);
        if (n.bias) y = tf.add(y, store.get(`${n.param}.bias`));
        values.set(n.output, y);
        break;
      }
      case 'bn': {
        const x = get(n.input);
        const gamma = store.get(`${n.param}.gamma`);
        const beta = store.get(`${n.param}.beta`);
        const runMean = store.get(`${n.param}.mean`);
        const runVar = store.get(`${n.param}.var`);
        const updateRunning = (mean: tf.Tensor, variance: tf.Tensor, count: number) => {
          const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
          runMean.assign(tf.add(tf.mul(runMean, 1 - momentum), tf.mul(tf.reshape(mean, runMean.shape), momentum)));
          runVar.assign(tf.add(tf.mul(runVar, 1 - momentum), tf.mul(tf.reshape(unbiased, runVar.shape), momentum)));
        };
        // The own ops fuse the ReLU / ReLU6 that alone consumes this BatchNorm's output.
        const next = graph.nodes[index + 1];
        const fuse =
          (options.training ? composed : fastInference) &&
          next &&
          (next.op === 'relu' || next.op === 'relu6') &&
          next.input === n.output &&
          uses?.get(n.output) === 1
            ? next
            : null;
        const act = fuse ? (fuse.op as 'relu' | 'relu6') : null;
        if (fuse) fused.add(fuse.output);
        const out = fuse ? fuse.output : n.output;
        if (options.training && composed) {
          values.set(out, batchNormTrain(x as tf.Tensor4D, gamma, beta, BN_EPSILON, updateRunning, act));
        } else if (options.training) {
          const { mean, variance } = tf.moments(x, [0, 1, 2]);
          values.set(out, tf.batchNorm(x, mean, variance, beta, gamma, BN_EPSILON));
          updateRunning(mean, variance, x.shape[0] * (x.shape[1] ?? 1) * (x.shape[2] ?? 1));
        } else if (fastInference) {
          // Folded into a scale and shift (the wasm backend's FusedBatchNorm kernel is several times slower).
          const scale = tf.mul(gamma, tf.rsqrt(tf.add(runVar, BN_EPSILON)));
          const shift = tf.sub(beta, tf.mul(runMean, scale));
          values.set(out, runWasmKernel<tf.Tensor>('HurricaneScaleShift', { x, scale, shift }, { activation: act ?? 'none' }));
        } else {
          values.set(out, tf.batchNorm(x, runMean, runVar, beta, gamma, BN_EPSILON));
        }
        break;
      }
      case 'relu':
        values.set(n.output, tf.relu(get(n.input)));
        break;
      case 'relu6':
        values.set(n.output, tf.relu6(get(n.input)));
        break;
      case 'hsigmoid':
        values.set(n.output, tf.div(tf.relu6(tf.add(get(n.input), 3)), 6));
        break;
      case 'add':
        values.set(n.output, tf.add(get(n.inputs[0]), get(n.inputs[1])));
        break;
      case 'scale':
        values.set(n.output, tf.mul(get(n.inputs[0]), get(n.inputs[1])));
        break;
      case 'concat':
        values.set(n.output, concatChannels(n.inputs.map(get)));
        break;
      case 'shuffle_split': {
        const [even, odd] = shuffleSplit(get(n.input) as tf.Tensor4D);
        values.set(n.outputs[0], even);
        values.set(n.outputs[1], odd);
        break;
      }
      case 'gap':
        values.set(n.output, tf.mean(get(n.input), [1, 2], true));
        break;
      case 'flatten': {
        const x = get(n.input);
        values.set(n.output, tf.reshape(x, [x.shape[0], -1]));
        break;
      }
      case 'dropout': {
        const x = get(n.input);
        values.set(n.output, options.training && n.rate > 0 ? tf.dropout(x, n.rate, undefined, options.dropoutSeed ?? 0) : x);
        break;
      }
      case 'fc': {
        const x = get(n.input) as tf.Tensor2D;
        values.set(n.output, tf.add(tf.matMul(x, store.get(`${n.param}.weight`) as tf.Tensor2D), store.get(`${n.param}.bias`)));
        break;
      }
    }
  }
  return get(graph.output.id);
}
