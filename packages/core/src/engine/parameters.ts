import type { ParamSpec } from '../space/ir.js';
import { initialValues } from '../onnx/initializer.js';
import { tf } from './tf.js';

/** TF.js layout of a parameter given its ONNX-layout spec: conv `[k,k,cin,cout]`, depthwise `[k,k,c,1]`, fc `[cin,cout]`. */
export function tfShape(spec: ParamSpec): number[] {
  const s = spec.shape;
  if (spec.kind === 'conv_weight') {
    const [cout, cinPerGroup, kh, kw] = s as [number, number, number, number];
    return spec.depthwise ? [kh, kw, cout, 1] : [kh, kw, cinPerGroup, cout];
  }
  if (spec.kind === 'fc_weight') return [s[1] as number, s[0] as number];
  return [...s];
}

/** Permutation from the TF.js layout to the ONNX layout (null: same layout). */
function toOnnxPerm(spec: ParamSpec): number[] | null {
  if (spec.kind === 'conv_weight') return spec.depthwise ? [2, 3, 0, 1] : [3, 2, 0, 1];
  if (spec.kind === 'fc_weight') return [1, 0];
  return null;
}

/** Permutation from the ONNX layout to the TF.js layout. */
function fromOnnxPerm(spec: ParamSpec): number[] | null {
  if (spec.kind === 'conv_weight') return spec.depthwise ? [2, 3, 0, 1] : [2, 3, 1, 0];
  if (spec.kind === 'fc_weight') return [1, 0];
  return null;
}

/**
 * Holds a network's parameters as TF.js variables (in TF.js layout), created on first use from
 * the seeded initialisation of `onnx/initializer.ts` ({@link initialValues}): it depends only on
 * the run seed and the parameter's name, and an untrained network exports the same bytes as the
 * TF.js-free exporter.
 */
export class ParameterStore {
  private readonly vars = new Map<string, tf.Variable>();
  private readonly specs = new Map<string, ParamSpec>();

  constructor(readonly seed: number) {}

  /** The variable of `spec`, created if missing; throws when an existing one has another shape. */
  ensure(spec: ParamSpec): tf.Variable {
    const existing = this.vars.get(spec.name);
    const shape = tfShape(spec);
    if (existing) {
      if (existing.shape.join() !== shape.join())
        throw new Error(`parameter ${spec.name} exists with shape [${existing.shape}], not [${shape}]`);
      return existing;
    }
    const perm = fromOnnxPerm(spec);
    const init = tf.tidy(() => {
      const onnx = tf.tensor(initialValues(spec, this.seed), [...spec.shape]);
      return perm ? tf.transpose(onnx, perm) : onnx;
    });
    const v = tf.variable(init, spec.trainable);
    init.dispose();
    this.vars.set(spec.name, v);
    this.specs.set(spec.name, spec);
    return v;
  }

  /** The variable `name`; throws when it does not exist. */
  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`no parameter named ${name}`);
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  spec(name: string): ParamSpec {
    const s = this.specs.get(name);
    if (!s) throw new Error(`no parameter named ${name}`);
    return s;
  }

  /** Every parameter name, in creation order. */
  names(): string[] {
    return [...this.vars.keys()];
  }

  /** The parameter's values in ONNX layout (what ONNX initializers and weight files hold). */
  onnxValues(name: string): Float32Array {
    const perm = toOnnxPerm(this.spec(name));
    const v = this.get(name);
    const t = perm ? tf.transpose(v, perm) : v;
    const data = (t.dataSync() as Float32Array).slice();
    if (t !== v) t.dispose();
    return data;
  }

  /** Sets a parameter from values in ONNX layout. */
  setOnnxValues(name: string, values: Float32Array): void {
    const spec = this.spec(name);
    const expected = spec.shape.reduce((a, b) => a * b, 1);
    if (values.length !== expected) throw new Error(`parameter ${name}: expected ${expected} values, got ${values.length}`);
    const v = this.get(name);
    const perm = fromOnnxPerm(spec);
    tf.tidy(() => {
      const t = tf.tensor(values, [...spec.shape]);
      v.assign(perm ? tf.transpose(t, perm) : t);
    });
  }

  /** Disposes every variable. */
  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
    this.specs.clear();
  }
}
