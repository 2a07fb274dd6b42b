import { BN_EPSILON, type Graph, type Node } from '../space/ir.js';
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

const consumerCache = new WeakMap<Graph, Map<string, number>>();
/** How many nodes read each value of a graph (cached per graph). */
function consumers(graph: Graph): Map<string, number> {
  let m = consumerCache.get(graph);
  if (!m) {
    m = new Map();
    for (const n of graph.nodes) for (const id of 'inputs' in n ? n.inputs : [n.input]) m.set(id, (m.get(id) ?? 0) + 1);
    consumerCache.set(graph, m);
  }
  return m;
}

type NodeOf<K extends Node['op']> = Extract<Node, { op: K }>;

/** One execution of a graph: its computed values and the choices that hold for every node. */
class GraphRun {
  readonly values: Map<string, tf.Tensor>;
  /** Convolutions whose gradients are composed from common kernels (the wasm backend lacks some). */
  readonly composed: boolean;
  readonly uses: Map<string, number> | null;
  /** Inference on wasm: BatchNorm folded into Hurricane's scale-shift kernel. */
  readonly fastInference: boolean;
  /** Activation nodes already fused into the BatchNorm before them. */
  readonly fused = new Set<string>();
  readonly momentum: number;

  constructor(
    readonly graph: Graph,
    readonly store: ParameterStore,
    input: tf.Tensor4D,
    readonly options: RunOptions,
  ) {
    this.values = new Map([[graph.input.id, input]]);
    this.momentum = options.bnMomentum ?? 0.1;
    this.composed = options.composedGradients ?? tf.getBackend() === 'wasm';
    this.uses = this.composed ? consumers(graph) : null;
    this.fastInference = !options.training && useWasmKernels();
  }

  get(id: string): tf.Tensor {
    const t = this.values.get(id);
    if (!t) throw new Error(`graph value ${id} used before it is computed`);
    return t;
  }
}

function runConv(r: GraphRun, n: NodeOf<'conv'>): tf.Tensor {
  const x = r.get(n.input) as tf.Tensor4D;
  const w = r.store.get(`${n.param}.weight`) as tf.Tensor4D;
  const pad = Math.floor(n.k / 2);
  let y: tf.Tensor4D;
  if (r.composed) y = n.groups === 1 ? conv2dComposed(x, w, n.stride, pad) : depthwiseComposed(x, w, n.stride, pad);
  else y = n.groups === 1 ? tf.conv2d(x, w, n.stride, pad) : tf.depthwiseConv2d(x, w, n.stride, pad);
  return n.bias ? tf.add(y, r.store.get(`${n.param}.bias`)) : y;
}

/** The ReLU / ReLU6 node that alone consumes this BatchNorm's output, when the run's BatchNorm can fuse it. */
function fusableActivation(r: GraphRun, n: NodeOf<'bn'>, index: number): { op: 'relu' | 'relu6'; output: string } | null {
  const next = r.graph.nodes[index + 1];
  const canFuse = r.options.training ? r.composed : r.fastInference;
  if (!canFuse || !next || (next.op !== 'relu' && next.op !== 'relu6')) return null;
  return next.input === n.output && r.uses?.get(n.output) === 1 ? { op: next.op, output: next.output } : null;
}

/** BatchNorm (with a fused activation where it can), updating the running statistics in training. */
function runBatchNorm(r: GraphRun, n: NodeOf<'bn'>, index: number): void {
  const x = r.get(n.input);
  const [g, b, rm, rv] = ['gamma', 'beta', 'mean', 'var'].map((k) => r.store.get(`${n.param}.${k}`)) as [
    tf.Variable,
    tf.Variable,
    tf.Variable,
    tf.Variable,
  ];
  const m = r.momentum;
  const updateRunning = (mean: tf.Tensor, variance: tf.Tensor, count: number) => {
    const unbiased = count > 1 ? tf.mul(variance, count / (count - 1)) : variance;
    rm.assign(tf.add(tf.mul(rm, 1 - m), tf.mul(tf.reshape(mean, rm.shape), m)));
    rv.assign(tf.add(tf.mul(rv, 1 - m), tf.mul(tf.reshape(unbiased, rv.shape), m)));
  };
  const fuse = fusableActivation(r, n, index);
  const act = fuse ? fuse.op : null;
  if (fuse) r.fused.add(fuse.output);
  const out = fuse ? fuse.output : n.output;
  if (r.options.training && r.composed) {
    r.values.set(out, batchNormTrain(x as tf.Tensor4D, g, b, BN_EPSILON, updateRunning, act));
  } else if (r.options.training) {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    r.values.set(out, tf.batchNorm(x, mean, variance, b, g, BN_EPSILON));
    updateRunning(mean, variance, x.shape[0] * (x.shape[1] ?? 1) * (x.shape[2] ?? 1));
  } else if (r.fastInference) {
    // Folded into a scale and shift (the wasm backend's FusedBatchNorm kernel is several times slower).
    const scale = tf.mul(g, tf.rsqrt(tf.add(rv, BN_EPSILON)));
    const shift = tf.sub(b, tf.mul(rm, scale));
    r.values.set(out, runWasmKernel<tf.Tensor>('HurricaneScaleShift', { x, scale, shift }, { activation: act ?? 'none' }));
  } else {
    r.values.set(out, tf.batchNorm(x, rm, rv, b, g, BN_EPSILON));
  }
}

/** Every node but convolutions and BatchNorm: one TF.js op (or a composed one) each. */
function runElementary(r: GraphRun, n: Exclude<Node, NodeOf<'conv' | 'bn'>>): void {
  switch (n.op) {
    case 'relu':
      r.values.set(n.output, tf.relu(r.get(n.input)));
      break;
    case 'relu6':
      r.values.set(n.output, tf.relu6(r.get(n.input)));
      break;
    case 'hsigmoid':
      r.values.set(n.output, tf.div(tf.relu6(tf.add(r.get(n.input), 3)), 6));
      break;
    case 'add':
      r.values.set(n.output, tf.add(r.get(n.inputs[0]), r.get(n.inputs[1])));
      break;
    case 'scale':
      r.values.set(n.output, tf.mul(r.get(n.inputs[0]), r.get(n.inputs[1])));
      break;
    case 'concat':
      r.values.set(n.output, concatChannels(n.inputs.map((id) => r.get(id))));
      break;
    case 'shuffle_split': {
      const [even, odd] = shuffleSplit(r.get(n.input) as tf.Tensor4D);
      r.values.set(n.outputs[0], even);
      r.values.set(n.outputs[1], odd);
      break;
    }
    case 'gap':
      r.values.set(n.output, tf.mean(r.get(n.input), [1, 2], true));
      break;
    case 'flatten': {
      const x = r.get(n.input);
      r.values.set(n.output, tf.reshape(x, [x.shape[0], -1]));
      break;
    }
    case 'identity':
      r.values.set(n.output, r.get(n.input));
      break;
    case 'dropout': {
      const x = r.get(n.input);
      const drop = r.options.training && n.rate > 0;
      r.values.set(n.output, drop ? tf.dropout(x, n.rate, undefined, r.options.dropoutSeed ?? 0) : x);
      break;
    }
    case 'fc': {
      const x = r.get(n.input) as tf.Tensor2D;
      const y = tf.matMul(x, r.store.get(`${n.param}.weight`) as tf.Tensor2D);
      r.values.set(n.output, tf.add(y, r.store.get(`${n.param}.bias`)));
      break;
    }
  }
}

/**
 * Runs a graph on an NHWC batch with the parameters of `store` and returns the output tensor
 * (NHWC feature map or `[N, F]` logits). Call it inside `tf.tidy` (the networks do).
 */
export function runGraph(graph: Graph, store: ParameterStore, input: tf.Tensor4D, options: RunOptions): tf.Tensor {
  const r = new GraphRun(graph, store, input, options);
  for (const [index, n] of graph.nodes.entries()) {
    if ((n.op === 'relu' || n.op === 'relu6') && r.fused.has(n.output)) continue;
    if (n.op === 'conv') r.values.set(n.output, runConv(r, n));
    else if (n.op === 'bn') runBatchNorm(r, n, index);
    else runElementary(r, n);
  }
  return r.get(graph.output.id);
}
