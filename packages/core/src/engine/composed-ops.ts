import { tf } from './tf.js';
import { runWasmKernel, useWasmKernels } from './wasm-kernels.js';

/**
 * Convolutions whose gradients are composed from kernels every TF.js backend has. The WebAssembly
 * backend lacks `Conv2DBackpropFilter`, `DepthwiseConv2dNativeBackpropInput` and
 * `DepthwiseConv2dNativeBackpropFilter`; these ops give the same values and gradients as
 * `tf.conv2d` / `tf.depthwiseConv2d` (padding `pad` on every side) using only Conv2D,
 * Conv2DBackpropInput, Conv3DBackpropFilterV2, DepthwiseConv2dNative, BatchMatMul, PadV2, Slice,
 * Reshape, Reverse, Mul and Sum. 1x1 stride-1 convolutions run as matrix products.
 */

/**
 * `x · w` for a 1x1 stride-1 convolution: `[N·H·W, Ci] × [Ci, Co]`. Its gradients transpose the
 * operands explicitly (a fast native Transpose) and then run plain matrix products, because the
 * wasm backend's transposed BatchMatMul falls back to a slow loop.
 */
function pointwise(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const [n, h, wd, ci] = x.shape;
  const co = w.shape[3];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x2, w2, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    save([x2, w2]);
    return {
      value: tf.matMul(x2, w2),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
          const d = dy as tf.Tensor2D;
          const dw = useWasmKernels() ? runWasmKernel<tf.Tensor2D>('HurricaneMatMulTN', { a: sx, b: d }) : tf.matMul(tf.transpose(sx), d);
          return [tf.matMul(d, tf.transpose(sw)), dw];
        }),
    };
  });
  const y = f(tf.reshape(x, [n * h * wd, ci]), tf.reshape(w, [ci, co])) as unknown as tf.Tensor2D;
  return tf.reshape(y, [n, h, wd, co]);
}

/** Dense convolution (filter `[k, k, ci, co]`) with composed gradients. */
export function conv2dComposed(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  const [k] = w.shape;
  if (k === 1 && stride === 1 && pad === 0) return pointwise(x, w);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, ws, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xs, ws]);
    return {
      value: tf.conv2d(xs, ws, stride, pad),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
          const d = dy as tf.Tensor4D;
          const [n, h, wd, ci] = sx.shape;
          const [kh, kw, , co] = sw.shape;
          // dx: the transposed convolution, with explicit padding through Conv2DBackpropInput
          const dx = tf
            .engine()
            .runKernel(
              'Conv2DBackpropInput',
              { dy: d, filter: sw },
              { strides: [stride, stride], pad, dataFormat: 'NHWC', inputShape: [n, h, wd, ci] },
            ) as tf.Tensor4D;
          // dw: Conv3DBackpropFilterV2 over a depth-1 volume of the explicitly padded input, at stride 1
          // with a dilated dy (the wasm kernel's strided variant gives wrong filter gradients)
          const [, oh, ow] = d.shape;
          const xp = coveredInput(sx, pad, stride, oh, ow, kh, kw);
          const [, hp, wp] = xp.shape;
          const dd = dilate(d, stride);
          const dw = tf
            .engine()
            .runKernel(
              'Conv3DBackpropFilterV2',
              { x: tf.reshape(xp, [n, 1, hp, wp, ci]), dy: tf.reshape(dd, [n, 1, dd.shape[1], dd.shape[2], co]) },
              { strides: [1, 1, 1], pad: 'valid', filterShape: [1, kh, kw, ci, co] },
            ) as tf.Tensor;
          return [dx, tf.reshape(dw, [kh, kw, ci, co])];
        }),
    };
  });
  return f(x, w) as unknown as tf.Tensor4D;
}

/**
 * The input zero-padded by `pad` and cropped to the rows and columns a `kh`×`kw` filter at
 * `stride` reads to produce an `oh`×`ow` output (extra padding at the end keeps the crop in range).
 */
function coveredInput(x: tf.Tensor4D, pad: number, stride: number, oh: number, ow: number, kh: number, kw: number): tf.Tensor4D {
  const [n, , , c] = x.shape;
  const padded = tf.pad(x, [
    [0, 0],
    [pad, pad + stride],
    [pad, pad + stride],
    [0, 0],
  ]);
  return tf.slice(padded, [0, 0, 0, 0], [n, (oh - 1) * stride + kh, (ow - 1) * stride + kw, c]);
}

/** Inserts `stride − 1` zeros between the rows and columns of `t` (NHWC). */
function dilate(t: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (stride === 1) return t;
  const [n, h, w, c] = t.shape;
  const spread = tf.pad(tf.reshape(t, [n, h, 1, w, 1, c]), [
    [0, 0],
    [0, 0],
    [0, stride - 1],
    [0, 0],
    [0, stride - 1],
    [0, 0],
  ]);
  return tf.slice(
    tf.reshape(spread, [n, h * stride, w * stride, c]) as tf.Tensor4D,
    [0, 0, 0, 0],
    [n, (h - 1) * stride + 1, (w - 1) * stride + 1, c],
  );
}

/** Depthwise convolution (filter `[k, k, c, 1]`) with composed gradients. */
export function depthwiseComposed(x: tf.Tensor4D, w: tf.Tensor4D, stride: number, pad: number): tf.Tensor4D {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, ws, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xs, ws]);
    return {
      value: tf.depthwiseConv2d(xs, ws, stride, pad),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
          const d = dy as tf.Tensor4D;
          // Hurricane's SIMD kernel: both gradients in one sweep over dy.
          if (useWasmKernels()) return runWasmKernel<tf.Tensor[]>('HurricaneDepthwiseGrad', { x: sx, filter: sw, dy: d }, { stride, pad });
          const [n, h, wd, c] = sx.shape;
          const [k] = sw.shape;
          const [, oh, ow] = d.shape;
          // dx: correlate the dilated dy with the flipped filter ("full" padding), then crop to x
          const dd = dilate(d, stride);
          const flipped = tf.reverse(sw, [0, 1]);
          const full = tf.depthwiseConv2d(
            tf.pad(dd, [
              [0, 0],
              [k - 1, k - 1 + stride],
              [k - 1, k - 1 + stride],
              [0, 0],
            ]),
            flipped,
            1,
            'valid',
          );
          const dx = tf.slice(full, [0, pad, pad, 0], [n, h, wd, c]);
          // dw[i, j, c] = Σ x_pad[n, oh·s + i, ow·s + j, c] · dy[n, oh, ow, c]: one depthwise
          // correlation of x_pad (channels = (n, c) pairs) with dy as the filter, dilated by the stride
          const xp = coveredInput(sx, pad, stride, oh, ow, k, k);
          const [, hp, wp] = xp.shape;
          const xin = tf.reshape(tf.transpose(xp, [1, 2, 0, 3]), [1, hp, wp, n * c]);
          const filt = tf.reshape(tf.transpose(d, [1, 2, 0, 3]), [oh, ow, n * c, 1]);
          const corr = tf.depthwiseConv2d(xin as tf.Tensor4D, filt as tf.Tensor4D, 1, 'valid', 'NHWC', stride);
          const dwSum = tf.sum(tf.reshape(corr, [k, k, n, c]), 2);
          const dw = tf.reshape(dwSum, [k, k, c, 1]);
          return [dx, dw];
        }),
    };
  });
  return f(x, w) as unknown as tf.Tensor4D;
}

/**
 * Training-mode BatchNorm over the channels of an NHWC tensor, optionally fused with the ReLU or
 * ReLU6 that follows it, with a closed-form gradient (`dx = γ/σ · (dz − mean(dz) − x̂ · mean(dz · x̂))`,
 * `dz` = dy masked by the activation). Channel sums are matrix products with a ones vector, which
 * the wasm backend runs natively, and the forward pass keeps only the output alive (x̂ is recomputed
 * in the backward pass), which cuts the memory a training step holds.
 * `onStats` receives the batch mean and (biased) variance, `[1, C]` each.
 */
export function batchNormTrain(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  onStats: (mean: tf.Tensor2D, variance: tf.Tensor2D, count: number) => void,
  activation: 'relu' | 'relu6' | null = null,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const m = n * h * w;
  if (useWasmKernels()) return batchNormTrainWasm(x, gamma, beta, epsilon, onStats, activation);
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x2, g, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const [mean, invStd, y] = tf.tidy(() => {
      const ones = tf.ones([1, m]) as tf.Tensor2D;
      const mu = tf.div(tf.matMul(ones, x2), m) as tf.Tensor2D;
      const xc = tf.sub(x2, mu);
      const variance = tf.div(tf.matMul(ones, tf.square(xc) as tf.Tensor2D), m) as tf.Tensor2D;
      onStats(mu, variance, m);
      const inv = tf.rsqrt(tf.add(variance, epsilon));
      const xh = tf.mul(xc, inv);
      const z = tf.add(tf.mul(xh, g), b);
      const out = activation === 'relu' ? tf.relu(z) : activation === 'relu6' ? tf.relu6(z) : z;
      return [mu, inv, out];
    }) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    // x̂ is recomputed in the backward pass from x (alive anyway) rather than kept: one full-size
    // tensor less per BatchNorm while a step's intermediates wait for the backward pass.
    save([x2, mean, invStd, g, y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [sx, smean, sinv, sg, sy] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
          const sxhat = tf.mul(tf.sub(sx, smean), sinv) as tf.Tensor2D;
          let d = dy as tf.Tensor2D;
          if (activation === 'relu') d = tf.mul(d, tf.step(sy)) as tf.Tensor2D;
          else if (activation === 'relu6') d = tf.mul(d, tf.mul(tf.step(sy), tf.step(tf.sub(6, sy)))) as tf.Tensor2D;
          const o = tf.ones([1, m]) as tf.Tensor2D;
          const dbeta = tf.matMul(o, d);
          const dgamma = tf.matMul(o, tf.mul(d, sxhat) as tf.Tensor2D);
          const dx = tf.mul(tf.div(tf.mul(sg, sinv), m), tf.sub(tf.sub(tf.mul(d, m), dbeta), tf.mul(sxhat, dgamma)));
          return [dx, dgamma, dbeta];
        }),
    };
  });
  const y = f(tf.reshape(x, [m, c]), tf.reshape(gamma, [1, c]), tf.reshape(beta, [1, c])) as unknown as tf.Tensor;
  return tf.reshape(y, [n, h, w, c]);
}

/** {@link batchNormTrain} on Hurricane's wasm kernels: one kernel forward, one backward. */
function batchNormTrainWasm(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  epsilon: number,
  onStats: (mean: tf.Tensor2D, variance: tf.Tensor2D, count: number) => void,
  activation: 'relu' | 'relu6' | null,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const m = n * h * w;
  const act = activation ?? 'none';
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x2, g, b, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc];
    const [y, mean, variance, invStd] = runWasmKernel<tf.Tensor2D[]>(
      'HurricaneBatchNormTrain',
      { x: x2, gamma: g, beta: b },
      { epsilon, activation: act },
    ) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    onStats(mean, variance, m);
    save([x2, y, mean, invStd, g]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sy, smean, sinv, sg] = saved as tf.Tensor2D[];
        return runWasmKernel<tf.Tensor[]>(
          'HurricaneBatchNormGrad',
          {
            x: sx as tf.Tensor2D,
            y: sy as tf.Tensor2D,
            dy,
            mean: smean as tf.Tensor2D,
            invStd: sinv as tf.Tensor2D,
            gamma: sg as tf.Tensor2D,
          },
          { activation: act },
        );
      },
    };
  });
  const y = f(tf.reshape(x, [m, c]), tf.reshape(gamma, [1, c]), tf.reshape(beta, [1, c])) as unknown as tf.Tensor;
  return tf.reshape(y, [n, h, w, c]);
}

/**
 * Channel shuffle's split of an NHWC tensor into its even and odd channels, on Hurricane's wasm
 * kernel with the interleave as gradient (TF.js's SplitV on a strided view copies element by
 * element in JavaScript); elsewhere a reshape and split.
 */
export function shuffleSplit(x: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
  const [b, h, w, c] = x.shape;
  if (!useWasmKernels()) {
    const [even, odd] = tf.split(tf.reshape(x, [b, h, w, c / 2, 2]), 2, 4) as [tf.Tensor, tf.Tensor];
    return [tf.reshape(even, [b, h, w, c / 2]), tf.reshape(odd, [b, h, w, c / 2])];
  }
  return runWasmKernel<tf.Tensor[]>('HurricaneDeinterleave', { x }) as [tf.Tensor4D, tf.Tensor4D];
}

/** Concatenation along channels (NHWC), on Hurricane's wasm kernel for two inputs; else tf.concat. */
export function concatChannels(inputs: tf.Tensor[]): tf.Tensor {
  if (inputs.length !== 2 || !useWasmKernels()) return tf.concat(inputs, -1);
  return runWasmKernel<tf.Tensor>('HurricaneConcat2', { a: inputs[0] as tf.Tensor, b: inputs[1] as tf.Tensor });
}
