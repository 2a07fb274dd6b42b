import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';
import { BN_EPSILON, graphParams, type Graph } from '../space/ir.js';

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
}

type Attr = { name: string; i?: number; f?: number; ints?: number[]; type: number };
const A = onnx.AttributeProto.AttributeType;
const int = (name: string, i: number): Attr => ({ name, i, type: A.INT });
const ints = (name: string, v: number[]): Attr => ({ name, ints: v, type: A.INTS });
const float = (name: string, f: number): Attr => ({ name, f, type: A.FLOAT });

/**
 * Writes a graph as an ONNX model (opset 13) with its weights: input `input` (NCHW float32) and
 * output `output`, static shapes, only Conv (with `group` for depthwise), BatchNormalization,
 * Relu, Clip, HardSigmoid, Add, Mul, Concat, Reshape, Split, GlobalAveragePool, Flatten and Gemm.
 * Dropout is left out (inference graph).
 */
export function exportOnnx(graph: Graph, weights: OnnxWeights, options: ExportOptions = {}): Uint8Array {
  const batch = options.batch ?? 1;
  const nodes: OnnxTypes.INodeProto[] = [];
  const initializers: OnnxTypes.ITensorProto[] = [];
  const alias = new Map<string, string>();
  const name = (id: string): string => {
    const a = alias.get(id) ?? id;
    if (a === graph.input.id) return 'input';
    if (a === graph.output.id) return 'output';
    return a;
  };
  const constants = new Set<string>();
  const int64 = (cname: string, values: number[]) => {
    if (!constants.has(cname)) {
      constants.add(cname);
      initializers.push({ name: cname, dataType: onnx.TensorProto.DataType.INT64, dims: [values.length], int64Data: values });
    }
    return cname;
  };
  const scalar = (cname: string, value: number) => {
    if (!constants.has(cname)) {
      constants.add(cname);
      initializers.push({ name: cname, dataType: onnx.TensorProto.DataType.FLOAT, dims: [], floatData: [value] });
    }
    return cname;
  };
  for (const p of graphParams(graph)) {
    const values = weights.onnxValues(p.name);
    const expected = p.shape.reduce((a, b) => a * b, 1);
    if (values.length !== expected) throw new Error(`weights for ${p.name}: expected ${expected} values, got ${values.length}`);
    initializers.push({
      name: p.name,
      dataType: onnx.TensorProto.DataType.FLOAT,
      dims: [...p.shape],
      rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice(),
    });
  }
  let k = 0;
  const node = (opType: string, input: string[], output: string[], attribute: Attr[] = []) => {
    nodes.push({ opType, input, output, attribute, name: `${opType}_${k++}` });
  };
  for (const n of graph.nodes) {
    switch (n.op) {
      case 'conv': {
        const pad = Math.floor(n.k / 2);
        const inputs = [name(n.input), `${n.param}.weight`];
        if (n.bias) inputs.push(`${n.param}.bias`);
        node(
          'Conv',
          inputs,
          [name(n.output)],
          [
            ints('kernel_shape', [n.k, n.k]),
            ints('strides', [n.stride, n.stride]),
            ints('pads', [pad, pad, pad, pad]),
            int('group', n.groups),
          ],
        );
        break;
      }
      case 'bn':
        node(
          'BatchNormalization',
          [name(n.input), `${n.param}.gamma`, `${n.param}.beta`, `${n.param}.mean`, `${n.param}.var`],
          [name(n.output)],
          [float('epsilon', BN_EPSILON)],
        );
        break;
      case 'relu':
        node('Relu', [name(n.input)], [name(n.output)]);
        break;
      case 'relu6':
        node('Clip', [name(n.input), scalar('const.zero', 0), scalar('const.six', 6)], [name(n.output)]);
        break;
      case 'hsigmoid':
        node('HardSigmoid', [name(n.input)], [name(n.output)], [float('alpha', 1 / 6), float('beta', 0.5)]);
        break;
      case 'add':
        node('Add', n.inputs.map(name), [name(n.output)]);
        break;
      case 'scale':
        node('Mul', n.inputs.map(name), [name(n.output)]);
        break;
      case 'concat':
        node('Concat', n.inputs.map(name), [name(n.output)], [int('axis', 1)]);
        break;
      case 'shuffle_split': {
        const source = graph.values.get(n.input);
        if (!source) throw new Error(`graph has no value ${n.input}`);
        const [c, h, w] = source.shape as [number, number, number];
        const grouped = `${name(n.input)}.pairs`;
        node('Reshape', [name(n.input), int64(`const.shape.${c / 2}x2x${h * w}`, [batch, c / 2, 2, h * w])], [grouped]);
        const halves = [`${grouped}.even`, `${grouped}.odd`];
        node('Split', [grouped, int64('const.split.1x1', [1, 1])], halves, [int('axis', 2)]);
        const back = int64(`const.shape.${c / 2}x${h}x${w}`, [batch, c / 2, h, w]);
        node('Reshape', [halves[0] as string, back], [name(n.outputs[0])]);
        node('Reshape', [halves[1] as string, back], [name(n.outputs[1])]);
        break;
      }
      case 'gap':
        node('GlobalAveragePool', [name(n.input)], [name(n.output)]);
        break;
      case 'flatten':
        node('Flatten', [name(n.input)], [name(n.output)], [int('axis', 1)]);
        break;
      case 'dropout':
        alias.set(n.output, alias.get(n.input) ?? n.input);
        break;
      case 'fc':
        node('Gemm', [name(n.input), `${n.param}.weight`, `${n.param}.bias`], [name(n.output)], [int('transB', 1)]);
        break;
    }
  }
  const valueInfo = (vname: string, shape: readonly number[]): OnnxTypes.IValueInfoProto => ({
    name: vname,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [batch, ...shape].map((d) => ({ dimValue: d })) } } },
  });
  const model: OnnxTypes.IModelProto = {
    irVersion: IR_VERSION,
    producerName: 'hurricane',
    producerVersion: '0.1.0',
    docString: options.docString ?? '',
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    graph: {
      name: options.name ?? 'hurricane',
      node: nodes,
      initializer: initializers,
      input: [valueInfo('input', graph.input.shape)],
      output: [valueInfo('output', graph.output.shape)],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
