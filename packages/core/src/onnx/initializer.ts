import { Rng, hash32 } from '../random.js';
import type { ParamSpec } from '../space/ir.js';
import type { OnnxWeights } from './export-onnx.js';

/**
 * The initial value of one parameter, in ONNX layout, from the run seed and the parameter's name
 * alone (so the same parameter starts the same in a supernet, a standalone network and an
 * exported operator): convolutions Kaiming-normal (fan-out, ReLU gain: std √(2 / fan_out)),
 * convolution biases 0, fully connected weights N(0, 0.01²) and biases 0, BatchNorm scale 1,
 * shift 0, running mean 0 and variance 1. Plain JavaScript: no TF.js, so profiling and export
 * never load an engine. The TF.js engine's `ParameterStore` starts from these same values.
 */
export function initialValues(spec: ParamSpec, seed: number): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  switch (spec.kind) {
    case 'conv_weight':
    case 'fc_weight': {
      const std = spec.kind === 'conv_weight' ? Math.sqrt(2 / spec.fanOut) : 0.01;
      const rng = new Rng(hash32(`${seed}:${spec.name}`));
      for (let i = 0; i < n; i++) out[i] = rng.normal(0, std);
      return out;
    }
    case 'bn_gamma':
    case 'bn_var':
      return out.fill(1);
    default:
      return out;
  }
}

/** Seeded initial weights for every parameter of `specs`, as the ONNX exporter reads them. */
export class SeededWeights implements OnnxWeights {
  private readonly specs: Map<string, ParamSpec>;

  constructor(
    specs: Iterable<ParamSpec>,
    readonly seed: number,
  ) {
    this.specs = new Map([...specs].map((s) => [s.name, s]));
  }

  onnxValues(name: string): Float32Array {
    const spec = this.specs.get(name);
    if (!spec) throw new Error(`no parameter named ${name}`);
    return initialValues(spec, this.seed);
  }
}
