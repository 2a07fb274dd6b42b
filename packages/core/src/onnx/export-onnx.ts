import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { BN_EPSILON, graphParams, type Graph, type Node } from '../space/ir.js';

const { onnx } = onnxProto;

/** Opset the exporter writes: 13 (Split takes its sizes as an input, Clip its bounds as inputs). */
export const ONNX_OPSET = 13;
/** IR version matching opset 13. */
const IR_VERSION = 7;

/** Source of parameter values in ONNX layout, by name (a ParameterStore provides it). */
export interface OnnxWeights {
  onnxValues(name: string): Float32Array;
}

/** Export options. */
export interface ExportOptions {
  /** Graph name written into the model. */
  readonly name?: string;
  /** Static batch size of the input (default 1). */
  readonly batch?: number;
  /** Free text stored as the model's doc string (e.g. the architecture). */
  readonly docString?: string;
  /**
   * Write the BatchNorm *recalibration* graph instead of the inference graph: every BatchNorm
   * normalises with its batch's statistics (training mode) and the graph's outputs are each
   * BatchNorm's batch mean and biased variance, `<param>.batch_mean` / `<param>.batch_var`, shape
   * [1, C, 1, 1] (see {@link batchStatisticOutputs}). ONNX Runtime then re-estimates a path's
   * statistics as fast as it runs inference.
   */
  readonly batchStatistics?: boolean;
}

/** The recalibration graph's outputs, in order: `[mean, var]` names per BatchNorm parameter group. */
export function batchStatisticOutputs(graph: Graph): { param: string; channels: number; spatial: number; mean: string; var: string }[] {
  return graph.nodes.flatMap((n) => {
    if (n.op !== 'bn') return [];
    const [channels, h, w] = graph.values.get(n.input)?.shape ?? [];
    return [
      {
        param: n.param,
        channels: channels as number,
        spatial: (h ?? 1) * (w ?? 1),
        mean: `${n.param}.batch_mean`,
        var: `${n.param}.batch_var`,
      },
    ];
  });
}

type Attr = { name: string; i?: number; f?: number; ints?: number[]; type: number };
const A = onnx.AttributeProto.AttributeType;
const int = (name: string, i: number): Attr => ({ name, i, type: A.INT });
const ints = (name: string, v: number[]): Attr => ({ name, ints: v, type: A.INTS });
const float = (name: string, f: number): Attr => ({ name, f, type: A.FLOAT });

/** The nodes and initializers of a model being written, with the value-name mapping of the graph. */
class OnnxGraphWriter {
  readonly nodes: OnnxTypes.INodeProto[] = [];
  readonly initializers: OnnxTypes.ITensorProto[] = [];
  /** Graph values that are another value under a new id (dropout at inference). */
  readonly alias = new Map<string, string>();
  private readonly constants = new Set<string>();
  private k = 0;

  constructor(
    readonly graph: Graph,
    readonly batch: number,
  ) {}

  /** The ONNX name of a graph value: `input` and `output` for the graph's ends. */
  name(id: string): string {
    const a = this.alias.get(id) ?? id;
    if (a === this.graph.input.id) return 'input';
    if (a === this.graph.output.id) return 'output';
    return a;
  }

  node(opType: string, input: string[], output: string[], attribute: Attr[] = []): void {
    this.nodes.push({ opType, input, output, attribute, name: `${opType}_${this.k++}` });
  }

  /** A constant initializer, written once per name; returns its name. */
  private constant(tensor: OnnxTypes.ITensorProto & { name: string }): string {
    if (!this.constants.has(tensor.name)) {
      this.constants.add(tensor.name);
      this.initializers.push(tensor);
    }
    return tensor.name;
  }

  /** A constant int64 vector. */
  int64(name: string, values: number[]): string {
    return this.constant({ name, dataType: onnx.TensorProto.DataType.INT64, dims: [values.length], int64Data: values });
  }

  /** A constant float scalar. */
  scalar(name: string, value: number): string {
    return this.constant({ name, dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [value] });
  }

  /** Every parameter of the graph as a float32 initializer (raw little-endian data). */
  addWeights(weights: OnnxWeights, skip: (name: string) => boolean = () => false): void {
    for (const p of graphParams(this.graph)) {
      if (skip(p.name)) continue;
      const values = weights.onnxValues(p.name);
      const expected = p.shape.reduce((a, b) => a * b, 1);
      if (values.length !== expected) throw new Error(`weights for ${p.name}: expected ${expected} values, got ${values.length}`);
      this.initializers.push({
        name: p.name,
        dataType: onnx.TensorProto.DataType.FLOAT,
        dims: [...p.shape],
        rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice(),
      });
    }
  }
}

/**
 * BatchNorm with batch statistics from primitive ops, exposing the mean and biased variance. Four
 * passes over the activation: mean (ReduceMean), E[x²] (ReduceSumSquare), then `x·a + b` with
 * `a = γ/√(var+ε)` and `b = β − mean·a` computed per channel; var = E[x²] − mean² (clamped at 0).
 */
function writeTrainingBn(o: OnnxGraphWriter, n: Extract<Node, { op: 'bn' }>, count: number): void {
  const x = o.name(n.input);
  const axes = ints('axes', [0, 2, 3]);
  const p = n.param;
  const perChannel = o.int64('const.shape.1xCx1x1', [1, -1, 1, 1]);
  o.node('ReduceMean', [x], [`${p}.batch_mean`], [axes, int('keepdims', 1)]);
  o.node('ReduceSumSquare', [x], [`${p}.sum_sq`], [axes, int('keepdims', 1)]);
  o.node('Mul', [`${p}.sum_sq`, o.scalar(`const.inv_count.${count}`, 1 / count)], [`${p}.mean_sq`]);
  o.node('Mul', [`${p}.batch_mean`, `${p}.batch_mean`], [`${p}.mean2`]);
  o.node('Sub', [`${p}.mean_sq`, `${p}.mean2`], [`${p}.var_raw`]);
  o.node('Relu', [`${p}.var_raw`], [`${p}.batch_var`]);
  o.node('Add', [`${p}.batch_var`, o.scalar('const.bn_epsilon', BN_EPSILON)], [`${p}.var_eps`]);
  o.node('Sqrt', [`${p}.var_eps`], [`${p}.std`]);
  o.node('Reshape', [`${p}.gamma`, perChannel], [`${p}.gamma4`]);
  o.node('Reshape', [`${p}.beta`, perChannel], [`${p}.beta4`]);
  o.node('Div', [`${p}.gamma4`, `${p}.std`], [`${p}.a`]);
  o.node('Mul', [`${p}.batch_mean`, `${p}.a`], [`${p}.mean_a`]);
  o.node('Sub', [`${p}.beta4`, `${p}.mean_a`], [`${p}.b`]);
  o.node('Mul', [x, `${p}.a`], [`${p}.scaled`]);
  o.node('Add', [`${p}.scaled`, `${p}.b`], [o.name(n.output)]);
}

/** Conv with `group` for depthwise; same padding. */
function writeConv(o: OnnxGraphWriter, n: Extract<Node, { op: 'conv' }>): void {
  const pad = Math.floor(n.k / 2);
  const inputs = [o.name(n.input), `${n.param}.weight`];
  if (n.bias) inputs.push(`${n.param}.bias`);
  o.node(
    'Conv',
    inputs,
    [o.name(n.output)],
    [ints('kernel_shape', [n.k, n.k]), ints('strides', [n.stride, n.stride]), ints('pads', [pad, pad, pad, pad]), int('group', n.groups)],
  );
}

/** Channel shuffle's split: channels (2i, 2i+1) → halves as Reshape [c/2, 2, hw], Split on axis 2, Reshape back. */
function writeShuffleSplit(o: OnnxGraphWriter, n: Extract<Node, { op: 'shuffle_split' }>): void {
  const source = o.graph.values.get(n.input);
  if (!source) throw new Error(`graph has no value ${n.input}`);
  const [c, h, w] = source.shape as [number, number, number];
  const grouped = `${o.name(n.input)}.pairs`;
  o.node('Reshape', [o.name(n.input), o.int64(`const.shape.${c / 2}x2x${h * w}`, [o.batch, c / 2, 2, h * w])], [grouped]);
  const halves = [`${grouped}.even`, `${grouped}.odd`];
  o.node('Split', [grouped, o.int64('const.split.1x1', [1, 1])], halves, [int('axis', 2)]);
  const back = o.int64(`const.shape.${c / 2}x${h}x${w}`, [o.batch, c / 2, h, w]);
  o.node('Reshape', [halves[0] as string, back], [o.name(n.outputs[0])]);
  o.node('Reshape', [halves[1] as string, back], [o.name(n.outputs[1])]);
}

/** One graph node as ONNX nodes. */
function writeNode(o: OnnxGraphWriter, n: Node, batchStatistics: boolean): void {
  const io = (op: string, attrs: Attr[] = []) =>
    o.node(
      op,
      ('inputs' in n ? n.inputs : [n.input]).map((id) => o.name(id)),
      [o.name((n as { output: string }).output)],
      attrs,
    );
  switch (n.op) {
    case 'conv':
      writeConv(o, n);
      break;
    case 'bn': {
      if (batchStatistics) {
        const [, h, w] = o.graph.values.get(n.input)?.shape ?? [];
        writeTrainingBn(o, n, o.batch * (h ?? 1) * (w ?? 1));
        break;
      }
      const inputs = [o.name(n.input), ...['gamma', 'beta', 'mean', 'var'].map((k) => `${n.param}.${k}`)];
      o.node('BatchNormalization', inputs, [o.name(n.output)], [float('epsilon', BN_EPSILON)]);
      break;
    }
    case 'relu':
      io('Relu');
      break;
    case 'relu6':
      o.node('Clip', [o.name(n.input), o.scalar('const.zero', 0), o.scalar('const.six', 6)], [o.name(n.output)]);
      break;
    case 'hsigmoid':
      io('HardSigmoid', [float('alpha', 1 / 6), float('beta', 0.5)]);
      break;
    case 'add':
      io('Add');
      break;
    case 'scale':
      io('Mul');
      break;
    case 'concat':
      io('Concat', [int('axis', 1)]);
      break;
    case 'shuffle_split':
      writeShuffleSplit(o, n);
      break;
    case 'gap':
      io('GlobalAveragePool');
      break;
    case 'flatten':
      io('Flatten', [int('axis', 1)]);
      break;
    case 'dropout':
      o.alias.set(n.output, o.alias.get(n.input) ?? n.input);
      break;
    case 'identity':
      o.node('Identity', [o.name(n.input)], [o.name(n.output)]);
      break;
    case 'fc':
      o.node('Gemm', [o.name(n.input), `${n.param}.weight`, `${n.param}.bias`], [o.name(n.output)], [int('transB', 1)]);
      break;
  }
}

/**
 * Writes a graph as an ONNX model (opset 13) with its weights: input `input` (NCHW float32) and
 * output `output`, static shapes, only Conv (with `group` for depthwise), BatchNormalization,
 * Relu, Clip, HardSigmoid, Add, Mul, Concat, Reshape, Split, GlobalAveragePool, Flatten and Gemm.
 * Dropout is left out (inference graph).
 */
export function exportOnnx(graph: Graph, weights: OnnxWeights, options: ExportOptions = {}): Uint8Array {
  const batch = options.batch ?? 1;
  const o = new OnnxGraphWriter(graph, batch);
  // the recalibration graph normalises with batch statistics: the running ones are not inputs
  o.addWeights(weights, options.batchStatistics ? (name) => /\.(mean|var)$/.test(name) : undefined);
  for (const n of graph.nodes) writeNode(o, n, options.batchStatistics === true);
  const valueInfo = (vname: string, shape: readonly number[], lead = batch): OnnxTypes.IValueInfoProto => ({
    name: vname,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [lead, ...shape].map((d) => ({ dimValue: d })) } } },
  });
  const model: OnnxTypes.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'hurricane',
    producerVersion: '0.1.0',
    docString: options.docString ?? '',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: options.name ?? 'hurricane',
      node: o.nodes,
      initializer: o.initializers,
      input: [valueInfo('input', graph.input.shape)],
      output: options.batchStatistics
        ? batchStatisticOutputs(graph).flatMap((b) => [valueInfo(b.mean, [b.channels, 1, 1], 1), valueInfo(b.var, [b.channels, 1, 1], 1)])
        : [valueInfo('output', graph.output.shape)],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
