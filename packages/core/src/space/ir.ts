/**
 * The graph intermediate representation every operator is written in, once. Three interpreters
 * read it: TF.js execution (`tf/executor.ts`), ONNX export (`onnx-export.ts`) and analytics
 * (`analytics.ts`). Shapes are per example (batch excluded), channels first: `[C, H, W]` for
 * feature maps, `[F]` for vectors.
 */

/** BatchNorm epsilon (PyTorch's default), used by TF.js execution and the ONNX export alike. */
export const BN_EPSILON = 1e-5;

/** Shape of a value without the batch dimension. */
export type Shape = readonly number[];

/** A value (tensor) of the graph. */
export interface Value {
  readonly id: string;
  readonly shape: Shape;
}

/** Parameters of a convolution; the weight is `[cout, cin/groups, k, k]` in ONNX layout. */
export interface ConvNode {
  readonly op: 'conv';
  /** Parameter prefix: the weight is `${param}.weight`, the bias `${param}.bias`. */
  readonly param: string;
  readonly input: string;
  readonly output: string;
  readonly cin: number;
  readonly cout: number;
  readonly k: number;
  readonly stride: number;
  /** 1 (dense) or `cin` (depthwise). */
  readonly groups: number;
  readonly bias: boolean;
  /** Input spatial size (for analytics). */
  readonly inH: number;
  readonly inW: number;
  readonly outH: number;
  readonly outW: number;
}

/** BatchNorm over channels; parameters `${param}.gamma/.beta` (trained) and `.mean/.var` (running statistics). */
export interface BatchNormNode {
  readonly op: 'bn';
  readonly param: string;
  readonly input: string;
  readonly output: string;
  readonly channels: number;
}

/** Elementwise activation: ReLU, ReLU6 (`min(max(x,0),6)`), hard sigmoid (`ReLU6(x+3)/6`). */
export interface ActivationNode {
  readonly op: 'relu' | 'relu6' | 'hsigmoid';
  readonly input: string;
  readonly output: string;
}

/** `a + b` (same shape). */
export interface AddNode {
  readonly op: 'add';
  readonly inputs: readonly [string, string];
  readonly output: string;
}

/** `x * s` where `s` is `[C, 1, 1]` (per-channel scale, broadcast over space). */
export interface ScaleNode {
  readonly op: 'scale';
  readonly inputs: readonly [string, string];
  readonly output: string;
}

/** Concatenation on the channel axis. */
export interface ConcatNode {
  readonly op: 'concat';
  readonly inputs: readonly string[];
  readonly output: string;
}

/** Channel-shuffle split (SPOS): even channels to `outputs[0]`, odd channels to `outputs[1]`. */
export interface ShuffleSplitNode {
  readonly op: 'shuffle_split';
  readonly input: string;
  readonly outputs: readonly [string, string];
}

/** Global average pooling to `[C, 1, 1]`. */
export interface PoolNode {
  readonly op: 'gap';
  readonly input: string;
  readonly output: string;
}

/** `[C, 1, 1]` → `[C]`. */
export interface FlattenNode {
  readonly op: 'flatten';
  readonly input: string;
  readonly output: string;
}

/** Dropout (identity at inference; only the TF.js executor applies it in training). */
export interface DropoutNode {
  readonly op: 'dropout';
  readonly input: string;
  readonly output: string;
  readonly rate: number;
}

/** The identity (the skip operator): ONNX `Identity`, a pass-through in TF.js, no FLOPs. */
export interface IdentityNode {
  readonly op: 'identity';
  readonly input: string;
  readonly output: string;
}

/** Fully connected layer; weight `[cout, cin]` in ONNX layout, bias `[cout]`. */
export interface FcNode {
  readonly op: 'fc';
  readonly param: string;
  readonly input: string;
  readonly output: string;
  readonly cin: number;
  readonly cout: number;
}

export type Node =
  | ConvNode
  | BatchNormNode
  | ActivationNode
  | AddNode
  | ScaleNode
  | ConcatNode
  | ShuffleSplitNode
  | PoolNode
  | FlattenNode
  | DropoutNode
  | IdentityNode
  | FcNode;

/** A parameter tensor of the graph (ONNX layout shape). */
export interface ParamSpec {
  readonly name: string;
  readonly shape: readonly number[];
  /** How it is initialised and whether the optimiser updates it. */
  readonly kind: 'conv_weight' | 'conv_bias' | 'fc_weight' | 'fc_bias' | 'bn_gamma' | 'bn_beta' | 'bn_mean' | 'bn_var';
  /** Fan-in for initialisation (conv: `cin/groups·k·k`; fc: `cin`). */
  readonly fanIn: number;
  /** Fan-out for initialisation (conv: `cout·k·k`, depthwise too, as PyTorch's Kaiming `fan_out`). */
  readonly fanOut: number;
  readonly trainable: boolean;
  /** Conv weights only: a depthwise convolution (groups = channels). */
  readonly depthwise: boolean;
}

/** A finished graph: nodes in execution order, its input and output values. */
export interface Graph {
  readonly input: Value;
  readonly output: Value;
  readonly nodes: readonly Node[];
  readonly values: ReadonlyMap<string, Value>;
}

/** The parameters a graph reads, in node order, without duplicates. */
export function graphParams(graph: Graph): ParamSpec[] {
  const out: ParamSpec[] = [];
  const seen = new Set<string>();
  const add = (p: ParamSpec) => {
    if (!seen.has(p.name)) {
      seen.add(p.name);
      out.push(p);
    }
  };
  for (const n of graph.nodes) {
    if (n.op === 'conv') {
      const fanIn = (n.cin / n.groups) * n.k * n.k;
      add({
        name: `${n.param}.weight`,
        shape: [n.cout, n.cin / n.groups, n.k, n.k],
        kind: 'conv_weight',
        fanIn,
        // PyTorch counts fan-out as size(0)·k·k for every conv, grouped or not (torch.nn.init._calculate_fan_in_and_fan_out).
        fanOut: n.cout * n.k * n.k,
        trainable: true,
        depthwise: n.groups !== 1,
      });
      if (n.bias)
        add({ name: `${n.param}.bias`, shape: [n.cout], kind: 'conv_bias', fanIn, fanOut: n.cout, trainable: true, depthwise: false });
    } else if (n.op === 'bn') {
      const c = n.channels;
      add({ name: `${n.param}.gamma`, shape: [c], kind: 'bn_gamma', fanIn: c, fanOut: c, trainable: true, depthwise: false });
      add({ name: `${n.param}.beta`, shape: [c], kind: 'bn_beta', fanIn: c, fanOut: c, trainable: true, depthwise: false });
      add({ name: `${n.param}.mean`, shape: [c], kind: 'bn_mean', fanIn: c, fanOut: c, trainable: false, depthwise: false });
      add({ name: `${n.param}.var`, shape: [c], kind: 'bn_var', fanIn: c, fanOut: c, trainable: false, depthwise: false });
    } else if (n.op === 'fc') {
      add({
        name: `${n.param}.weight`,
        shape: [n.cout, n.cin],
        kind: 'fc_weight',
        fanIn: n.cin,
        fanOut: n.cout,
        trainable: true,
        depthwise: false,
      });
      add({ name: `${n.param}.bias`, shape: [n.cout], kind: 'fc_bias', fanIn: n.cin, fanOut: n.cout, trainable: true, depthwise: false });
    }
  }
  return out;
}

/** Builds a {@link Graph} node by node, computing every value's shape. */
export class GraphBuilder {
  private readonly nodes: Node[] = [];
  private readonly values = new Map<string, Value>();
  private counter = 0;
  readonly input: Value;

  constructor(inputShape: Shape) {
    this.input = this.value(inputShape, 'input');
  }

  private value(shape: Shape, id?: string): Value {
    const v: Value = { id: id ?? `v${this.counter++}`, shape: [...shape] };
    this.values.set(v.id, v);
    return v;
  }

  private chw(v: Value): [number, number, number] {
    if (v.shape.length !== 3) throw new Error(`value ${v.id} is not a feature map (shape ${JSON.stringify(v.shape)})`);
    return v.shape as [number, number, number];
  }

  /** Convolution with padding `k//2` on each side. */
  conv(param: string, x: Value, o: { cout: number; k: number; stride?: number; depthwise?: boolean; bias?: boolean }): Value {
    const [cin, h, w] = this.chw(x);
    const stride = o.stride ?? 1;
    const groups = o.depthwise ? cin : 1;
    if (o.depthwise && o.cout !== cin) throw new Error(`${param}: a depthwise conv keeps its ${cin} channels, asked for ${o.cout}`);
    if (!Number.isInteger(o.cout) || o.cout < 1) throw new Error(`${param}: invalid output channels ${o.cout}`);
    const pad = Math.floor(o.k / 2);
    const outH = Math.floor((h + 2 * pad - o.k) / stride) + 1;
    const outW = Math.floor((w + 2 * pad - o.k) / stride) + 1;
    const y = this.value([o.cout, outH, outW]);
    this.nodes.push({
      op: 'conv',
      param,
      input: x.id,
      output: y.id,
      cin,
      cout: o.cout,
      k: o.k,
      stride,
      groups,
      bias: o.bias ?? false,
      inH: h,
      inW: w,
      outH,
      outW,
    });
    return y;
  }

  bn(param: string, x: Value): Value {
    const [c] = this.chw(x);
    const y = this.value(x.shape);
    this.nodes.push({ op: 'bn', param, input: x.id, output: y.id, channels: c });
    return y;
  }

  act(op: 'relu' | 'relu6' | 'hsigmoid', x: Value): Value {
    const y = this.value(x.shape);
    this.nodes.push({ op, input: x.id, output: y.id });
    return y;
  }

  add(a: Value, b: Value): Value {
    if (a.shape.join() !== b.shape.join()) throw new Error(`add: shapes ${a.shape} and ${b.shape} differ`);
    const y = this.value(a.shape);
    this.nodes.push({ op: 'add', inputs: [a.id, b.id], output: y.id });
    return y;
  }

  scale(x: Value, s: Value): Value {
    const [c] = this.chw(x);
    if (s.shape.join() !== [c, 1, 1].join()) throw new Error(`scale: expected a [${c},1,1] scale, got ${s.shape}`);
    const y = this.value(x.shape);
    this.nodes.push({ op: 'scale', inputs: [x.id, s.id], output: y.id });
    return y;
  }

  concat(xs: readonly Value[]): Value {
    const shapes = xs.map((x) => this.chw(x));
    const [, h, w] = shapes[0] ?? [0, 0, 0];
    for (const [, hh, ww] of shapes)
      if (hh !== h || ww !== w) throw new Error(`concat: spatial sizes differ (${shapes.map((s) => s.join('x')).join(', ')})`);
    const y = this.value([shapes.reduce((a, s) => a + s[0], 0), h, w]);
    this.nodes.push({ op: 'concat', inputs: xs.map((x) => x.id), output: y.id });
    return y;
  }

  shuffleSplit(x: Value): [Value, Value] {
    const [c, h, w] = this.chw(x);
    if (c % 2 !== 0) throw new Error(`channel shuffle needs an even channel count, got ${c}`);
    const even = this.value([c / 2, h, w]);
    const odd = this.value([c / 2, h, w]);
    this.nodes.push({ op: 'shuffle_split', input: x.id, outputs: [even.id, odd.id] });
    return [even, odd];
  }

  gap(x: Value): Value {
    const [c] = this.chw(x);
    const y = this.value([c, 1, 1]);
    this.nodes.push({ op: 'gap', input: x.id, output: y.id });
    return y;
  }

  flatten(x: Value): Value {
    const y = this.value([x.shape.reduce((a, b) => a * b, 1)]);
    this.nodes.push({ op: 'flatten', input: x.id, output: y.id });
    return y;
  }

  dropout(x: Value, rate: number): Value {
    const y = this.value(x.shape);
    this.nodes.push({ op: 'dropout', input: x.id, output: y.id, rate });
    return y;
  }

  identity(x: Value): Value {
    const y = this.value(x.shape);
    this.nodes.push({ op: 'identity', input: x.id, output: y.id });
    return y;
  }

  fc(param: string, x: Value, cout: number): Value {
    if (x.shape.length !== 1) throw new Error(`fc: expected a vector, got shape ${x.shape}`);
    const cin = x.shape[0] as number;
    const y = this.value([cout]);
    this.nodes.push({ op: 'fc', param, input: x.id, output: y.id, cin, cout });
    return y;
  }

  finish(output: Value): Graph {
    return { input: this.input, output, nodes: [...this.nodes], values: new Map(this.values) };
  }
}

/**
 * The BatchNorm parameters (`<param>` of each `bn` node) whose output feeds an `add` directly: the
 * last BatchNorm of each residual branch (MB at stride 1 with C_in = C_out). Zeroing their γ makes
 * each residual block start as the identity (Goyal et al. 2017, "zero-γ").
 */
export function residualBranchNorms(graph: Graph): string[] {
  // the branch is the input computed last: the skip input exists before the branch's first node
  const producer = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    for (const id of 'outputs' in n ? n.outputs : [n.output]) producer.set(id, i);
  });
  const out = new Set<string>();
  for (const n of graph.nodes) {
    if (n.op !== 'add') continue;
    const branch = [...n.inputs].sort((a, b) => (producer.get(b) ?? -1) - (producer.get(a) ?? -1))[0];
    const last = branch === undefined ? undefined : graph.nodes[producer.get(branch) ?? -1];
    if (last?.op === 'bn') out.add(last.param);
  }
  return [...out];
}
