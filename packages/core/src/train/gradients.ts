import type { Architecture } from '../space/architecture.js';
import type { SpaceNetwork } from '../engine/network.js';
import { tf } from '../engine/tf.js';

/** One mini-batch's contribution to a training step. */
export interface PathGradients {
  /** Mean loss over the batch. */
  readonly loss: tf.Scalar;
  /** Gradient of the mean loss for each trainable parameter of the path, by parameter name. */
  readonly grads: Map<string, tf.Tensor>;
}

/**
 * Loss (softmax cross-entropy with label smoothing) and gradients of one NHWC mini-batch along
 * `arch`, in training mode (BatchNorm on batch statistics, updating the running ones; dropout on).
 * The same code runs in-process and in every data-parallel worker. Call it inside `tf.tidy`.
 */
export function pathGradients(
  net: SpaceNetwork,
  arch: Architecture,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  numClasses: number,
  labelSmoothing: number,
  dropoutSeed: number,
): PathGradients {
  const y = tf.oneHot(labels, numClasses);
  const names = net.parameterNames(arch).trainable;
  const vars = names.map((n) => net.store.get(n));
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(y, net.forward(x, arch, { training: true, dropoutSeed }), undefined, labelSmoothing) as tf.Scalar,
    vars,
  );
  const out = new Map<string, tf.Tensor>();
  names.forEach((name, i) => {
    const g = grads[(vars[i] as tf.Variable).name];
    if (g) out.set(name, g);
  });
  return { loss: value, grads: out };
}

/** SGD settings. */
export interface SgdSettings {
  readonly momentum: number;
  /** L2 weight decay on parameters of rank > 1 (not BatchNorm, not biases). */
  readonly weightDecay: number;
}

/**
 * One SGD step with momentum for the parameters in `grads`, with PyTorch's semantics
 * (`buf = μ·buf + g + λ·w`, the first step `buf = g + λ·w`; then `w −= lr·buf`), computed on the
 * CPU in one pass per parameter (far cheaper than a dozen TF.js ops per parameter) and written back
 * to the network. Momentum buffers (`buffers`) are created on first use.
 */
export function applySgd(
  net: SpaceNetwork,
  buffers: Map<string, Float32Array>,
  grads: ReadonlyMap<string, Float32Array>,
  lr: number,
  s: SgdSettings,
): void {
  for (const [name, g] of grads) {
    const v = net.store.get(name);
    const w = (v.dataSync() as Float32Array).slice();
    const decay = v.rank > 1 ? s.weightDecay : 0;
    let buf = buffers.get(name);
    if (!buf) {
      buf = new Float32Array(w.length);
      for (let i = 0; i < w.length; i++) buf[i] = (g[i] as number) + decay * (w[i] as number);
      buffers.set(name, buf);
    } else for (let i = 0; i < w.length; i++) buf[i] = s.momentum * (buf[i] as number) + (g[i] as number) + decay * (w[i] as number);
    for (let i = 0; i < w.length; i++) w[i] = (w[i] as number) - lr * (buf[i] as number);
    tf.tidy(() => v.assign(tf.tensor(w, v.shape)));
  }
}
