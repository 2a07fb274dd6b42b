import { tf } from './tf.js';

/**
 * Convolutions whose gradients are composed from kernels every TF.js backend has. The WebAssembly
 * backend lacks `Conv2DBackpropFilter`, `DepthwiseConv2dNativeBackpropInput` and
 * `DepthwiseConv2dNativeBackpropFilter`; these ops give the same values and gradients as
 * `tf.conv2d` / `tf.depthwiseConv2d` (padding `pad` on every side) using only Conv2D,
 * Conv2DBackpropInput, Conv3DBackpropFilterV2, DepthwiseConv2dNative, BatchMatMul, PadV2, Slice,
 * Reshape, Reverse, Mul and Sum. 1x1 stride-1 convolutions run as matrix products.
 */

/** `x · w` for a 1x1 stride-1 convolution: `[N·H·W, Ci] × [Ci, Co]`. */
function pointwise(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const [n, h, wd, ci] = x.shape;
  const co = w.shape[3];
  return tf.reshape(tf.matMul(tf.reshape(x, [n * h * wd, ci]), tf.reshape(w, [ci, co])), [n, h, wd, co]);
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
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
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
        const hp = (oh - 1) * stride + kh;
        const wp = (ow - 1) * stride + kw;
        const xp = tf.slice(
          tf.pad(sx, [
            [0, 0],
            [pad, pad + stride],
            [pad, pad + stride],
            [0, 0],
          ]),
          [0, 0, 0, 0],
          [n, hp, wp, ci],
        );
        const dd = dilate(d, stride);
        const dw = tf
          .engine()
          .runKernel(
            'Conv3DBackpropFilterV2',
            { x: tf.reshape(xp, [n, 1, hp, wp, ci]), dy: tf.reshape(dd, [n, 1, dd.shape[1], dd.shape[2], co]) },
            { strides: [1, 1, 1], pad: 'valid', filterShape: [1, kh, kw, ci, co] },
          ) as tf.Tensor;
        return [dx, tf.reshape(dw, [kh, kw, ci, co])];
      },
    };
  });
  return f(x, w) as unknown as tf.Tensor4D;
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
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [sx, sw] = saved as [tf.Tensor4D, tf.Tensor4D];
        const d = dy as tf.Tensor4D;
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
        // dw[i, j, c] = Σ x_pad[n, oh·s + i, ow·s + j, c] · dy[n, oh, ow, c]
        const xp = tf.pad(sx, [
          [0, 0],
          [pad, pad + stride],
          [pad, pad + stride],
          [0, 0],
        ]);
        const taps: tf.Tensor[] = [];
        for (let i = 0; i < k; i++) {
          for (let j = 0; j < k; j++) {
            let win: tf.Tensor = tf.slice(xp, [0, i, j, 0], [n, oh * stride, ow * stride, c]);
            if (stride > 1) win = tf.slice(tf.reshape(win, [n, oh, stride, ow, stride, c]), [0, 0, 0, 0, 0, 0], [n, oh, 1, ow, 1, c]);
            taps.push(tf.sum(tf.mul(tf.reshape(win, [n, oh, ow, c]), d), [0, 1, 2]));
          }
        }
        const dw = tf.reshape(tf.stack(taps), [k, k, c, 1]);
        return [dx, dw];
      },
    };
  });
  return f(x, w) as unknown as tf.Tensor4D;
}
