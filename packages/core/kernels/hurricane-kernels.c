// Hurricane's training kernels for the TF.js WebAssembly backend.
//
// Built by kernels/build.mjs (Debian's clang and lld: wasm32, -O3, -msimd128) into
// hurricane-kernels.wasm, which ships in the npm package. The module imports the wasm backend's
// own memory: every pointer below is a byte offset into that heap (tensors stay where TF.js put
// them, nothing is copied). It has no data segment and no libc; its few stack bytes live in a
// region the loader allocates with the backend's malloc.
//
// Layout: NHWC activations seen as [m, c] rows (m = N·H·W), channels contiguous. Sums over the m
// rows accumulate in float32 over blocks of BLOCK rows and then in float64, so long reductions
// (m = 65,536 at batch 64) keep float32 precision.

#include <stdint.h>
#include <wasm_simd128.h>

#define EXPORT(name) __attribute__((export_name(#name)))
#define BLOCK 256

typedef float f32;
typedef double f64;

// Activation fused into BatchNorm: 0 none, 1 ReLU, 2 ReLU6.
static inline v128_t act_v(v128_t z, int act) {
  if (act == 0) return z;
  z = wasm_f32x4_pmax(z, wasm_f32x4_splat(0.f));
  if (act == 2) z = wasm_f32x4_pmin(z, wasm_f32x4_splat(6.f));
  return z;
}
static inline f32 act_s(f32 z, int act) {
  if (act == 0) return z;
  if (z < 0.f) z = 0.f;
  if (act == 2 && z > 6.f) z = 6.f;
  return z;
}
// dy masked by the activation's derivative at its output y (y in (0, 6) passes for ReLU6).
static inline v128_t mask_v(v128_t dy, v128_t y, int act) {
  if (act == 0) return dy;
  v128_t keep = wasm_f32x4_gt(y, wasm_f32x4_splat(0.f));
  if (act == 2) keep = wasm_v128_and(keep, wasm_f32x4_lt(y, wasm_f32x4_splat(6.f)));
  return wasm_v128_and(dy, keep);
}
static inline f32 mask_s(f32 dy, f32 y, int act) {
  if (act == 0) return dy;
  if (!(y > 0.f)) return 0.f;
  if (act == 2 && !(y < 6.f)) return 0.f;
  return dy;
}

static void zero64(f64 *a, int n) {
  for (int i = 0; i < n; i++) a[i] = 0.0;
}
static void zero32(f32 *a, int n) {
  for (int i = 0; i < n; i++) a[i] = 0.f;
}
static void flush(f64 *sum, f32 *acc, int c) {
  for (int j = 0; j < c; j++) {
    sum[j] += acc[j];
    acc[j] = 0.f;
  }
}

/**
 * Inference-mode BatchNorm folded into a per-channel scale and shift, with the activation that
 * follows it: y = act(x · scale + shift) for x [m, c].
 */
EXPORT(scale_shift)
void scale_shift(const f32 *x, int m, int c, const f32 *scale, const f32 *shift, int act, f32 *y) {
  const int c4 = c & ~3;
  for (int r = 0; r < m; r++) {
    const f32 *row = x + (intptr_t)r * c;
    f32 *out = y + (intptr_t)r * c;
    int j = 0;
    for (; j < c4; j += 4) {
      v128_t z = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(row + j), wasm_v128_load(scale + j)), wasm_v128_load(shift + j));
      wasm_v128_store(out + j, act_v(z, act));
    }
    for (; j < c; j++) out[j] = act_s(row[j] * scale[j] + shift[j], act);
  }
}

/**
 * Training-mode BatchNorm forward over x [m, c]: batch mean and biased variance per channel in one
 * pass (sums of x − k and (x − k)² with k = the first row, which keeps the variance exact when the
 * mean is large), then y = act((x − mean) · γ / sqrt(var + eps) + β). Writes y [m, c] and mean,
 * var, invstd [c]. scratch: 32·c bytes.
 */
EXPORT(bn_forward)
void bn_forward(const f32 *x, int m, int c, const f32 *gamma, const f32 *beta, f32 eps, int act, f32 *y, f32 *mean,
                f32 *var, f32 *invstd, void *scratch) {
  f64 *s1 = (f64 *)scratch;
  f64 *s2 = s1 + c;
  f32 *a1 = (f32 *)(s2 + c);
  f32 *a2 = a1 + c;
  const f32 *k = x;  // the shift: row 0
  const int c4 = c & ~3;
  zero64(s1, 2 * c);
  zero32(a1, 2 * c);
  for (int r0 = 0; r0 < m; r0 += BLOCK) {
    const int r1 = r0 + BLOCK < m ? r0 + BLOCK : m;
    int j = 0;
    for (; j < c4; j += 4) {
      const v128_t kv = wasm_v128_load(k + j);
      v128_t u = wasm_f32x4_splat(0.f), v = u;
      for (int r = r0; r < r1; r++) {
        const v128_t d = wasm_f32x4_sub(wasm_v128_load(x + (intptr_t)r * c + j), kv);
        u = wasm_f32x4_add(u, d);
        v = wasm_f32x4_add(v, wasm_f32x4_mul(d, d));
      }
      wasm_v128_store(a1 + j, u);
      wasm_v128_store(a2 + j, v);
    }
    for (; j < c; j++) {
      f32 u = 0.f, v = 0.f;
      for (int r = r0; r < r1; r++) {
        const f32 d = x[(intptr_t)r * c + j] - k[j];
        u += d;
        v += d * d;
      }
      a1[j] = u;
      a2[j] = v;
    }
    flush(s1, a1, 2 * c);
  }
  // scale and shift: y = x · s + t, s = γ·invstd, t = β − mean·s (in the float32 accumulators' place)
  f32 *s = a1;
  f32 *t = a2;
  for (int j = 0; j < c; j++) {
    const f64 d = s1[j] / m;
    f64 v = s2[j] / m - d * d;
    if (v < 0) v = 0;
    mean[j] = (f32)(k[j] + d);
    var[j] = (f32)v;
    const f32 inv = 1.f / __builtin_sqrtf((f32)v + eps);
    invstd[j] = inv;
    s[j] = gamma[j] * inv;
    t[j] = beta[j] - mean[j] * s[j];
  }
  scale_shift(x, m, c, s, t, act, y);
}

/**
 * Training-mode BatchNorm backward (with the fused activation): d = dy masked at y;
 * dβ = Σ d, dγ = Σ d·x̂, dx = γ·invstd/m · (m·d − dβ − x̂·dγ), x̂ = (x − mean)·invstd.
 * scratch: 28·c bytes.
 */
EXPORT(bn_backward)
void bn_backward(const f32 *x, const f32 *y, const f32 *dy, int m, int c, const f32 *mean, const f32 *invstd,
                 const f32 *gamma, int act, f32 *dx, f32 *dgamma, f32 *dbeta, void *scratch) {
  f64 *sb = (f64 *)scratch;
  f64 *sg = sb + c;
  f32 *ab = (f32 *)(sg + c);
  f32 *ag = ab + c;
  const int c4 = c & ~3;
  zero64(sb, 2 * c);
  zero32(ab, 2 * c);
  for (int r0 = 0; r0 < m; r0 += BLOCK) {
    const int r1 = r0 + BLOCK < m ? r0 + BLOCK : m;
    int j = 0;
    for (; j < c4; j += 4) {
      const v128_t mv = wasm_v128_load(mean + j), iv = wasm_v128_load(invstd + j);
      v128_t u = wasm_f32x4_splat(0.f), v = u;
      for (int r = r0; r < r1; r++) {
        const intptr_t o = (intptr_t)r * c + j;
        const v128_t d = mask_v(wasm_v128_load(dy + o), wasm_v128_load(y + o), act);
        const v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + o), mv), iv);
        u = wasm_f32x4_add(u, d);
        v = wasm_f32x4_add(v, wasm_f32x4_mul(d, xh));
      }
      wasm_v128_store(ab + j, u);
      wasm_v128_store(ag + j, v);
    }
    for (; j < c; j++) {
      f32 u = 0.f, v = 0.f;
      for (int r = r0; r < r1; r++) {
        const intptr_t o = (intptr_t)r * c + j;
        const f32 d = mask_s(dy[o], y[o], act);
        u += d;
        v += d * (x[o] - mean[j]) * invstd[j];
      }
      ab[j] = u;
      ag[j] = v;
    }
    flush(sb, ab, 2 * c);
  }
  // dx = k1·d − k2 − x̂·k3 with k1 = γ·invstd, k2 = k1·dβ/m, k3 = k1·dγ/m (reusing ab/ag/… as floats)
  f32 *k1 = ab, *k2 = ag, *k3 = ag + c;
  for (int j = 0; j < c; j++) {
    dbeta[j] = (f32)sb[j];
    dgamma[j] = (f32)sg[j];
    f32 g = gamma[j] * invstd[j];
    k1[j] = g;
    k2[j] = (f32)(g * sb[j] / m);
    k3[j] = (f32)(g * sg[j] / m);
  }
  for (int r = 0; r < m; r++) {
    const intptr_t o = (intptr_t)r * c;
    int j = 0;
    for (; j < c4; j += 4) {
      v128_t d = mask_v(wasm_v128_load(dy + o + j), wasm_v128_load(y + o + j), act);
      v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + o + j), wasm_v128_load(mean + j)), wasm_v128_load(invstd + j));
      v128_t v = wasm_f32x4_sub(wasm_f32x4_mul(d, wasm_v128_load(k1 + j)), wasm_v128_load(k2 + j));
      wasm_v128_store(dx + o + j, wasm_f32x4_sub(v, wasm_f32x4_mul(xh, wasm_v128_load(k3 + j))));
    }
    for (; j < c; j++) {
      f32 d = mask_s(dy[o + j], y[o + j], act);
      f32 xh = (x[o + j] - mean[j]) * invstd[j];
      dx[o + j] = d * k1[j] - k2[j] - xh * k3[j];
    }
  }
}

/**
 * Depthwise convolution backward, both gradients in one pass over dy: x [n, h, w, c],
 * filter [k, k, c] (TF.js's [k, k, c, 1]), dy [n, oh, ow, c], stride s, padding p on every side.
 * dx[n, y·s+i−p, x·s+j−p] += f[i, j] · dy[n, y, x]; df[i, j] += x[n, y·s+i−p, x·s+j−p] · dy[n, y, x].
 * scratch: 8·k·k·c + 4·k·k·c bytes.
 */
EXPORT(depthwise_backward)
void depthwise_backward(const f32 *x, const f32 *f, const f32 *dy, int n, int h, int w, int c, int k, int s, int p, int oh,
                        int ow, f32 *dx, f32 *df, void *scratch) {
  const int kkc = k * k * c;
  f64 *sum = (f64 *)scratch;
  f32 *acc = (f32 *)(sum + kkc);
  const int c4 = c & ~3;
  zero64(sum, kkc);
  zero32(acc, kkc);
  const intptr_t total = (intptr_t)n * h * w * c;
  for (intptr_t q = 0; q < total; q++) dx[q] = 0.f;
  for (int b = 0; b < n; b++) {
    for (int oy = 0; oy < oh; oy++) {
      for (int i = 0; i < k; i++) {
        const int iy = oy * s + i - p;
        if (iy < 0 || iy >= h) continue;
        for (int ox = 0; ox < ow; ox++) {
          const f32 *g = dy + (((intptr_t)b * oh + oy) * ow + ox) * c;
          for (int jj = 0; jj < k; jj++) {
            const int ix = ox * s + jj - p;
            if (ix < 0 || ix >= w) continue;
            const intptr_t xo = (((intptr_t)b * h + iy) * w + ix) * c;
            const f32 *xr = x + xo;
            f32 *dxr = dx + xo;
            const f32 *fr = f + (i * k + jj) * c;
            f32 *ar = acc + (i * k + jj) * c;
            int j = 0;
            for (; j < c4; j += 4) {
              v128_t gv = wasm_v128_load(g + j);
              wasm_v128_store(dxr + j, wasm_f32x4_add(wasm_v128_load(dxr + j), wasm_f32x4_mul(wasm_v128_load(fr + j), gv)));
              wasm_v128_store(ar + j, wasm_f32x4_add(wasm_v128_load(ar + j), wasm_f32x4_mul(wasm_v128_load(xr + j), gv)));
            }
            for (; j < c; j++) {
              dxr[j] += fr[j] * g[j];
              ar[j] += xr[j] * g[j];
            }
          }
        }
      }
    }
    flush(sum, acc, kkc);
  }
  for (int q = 0; q < kkc; q++) df[q] = (f32)sum[q];
}

/**
 * out [p, q] = aᵀ · b for a [m, p] and b [m, q] (the filter gradient of a 1x1 convolution,
 * xᵀ · dy, without transposing x): register tiles of 4 rows × 8 columns of out, accumulated over
 * blocks of BLOCK rows of a and b and then in float64. scratch: 8·p·q bytes.
 */
EXPORT(matmul_tn)
void matmul_tn(const f32 *a, const f32 *b, int m, int p, int q, f32 *out, void *scratch) {
  f64 *sum = (f64 *)scratch;
  zero64(sum, p * q);
  const int p4 = p & ~3, q8 = q & ~7, q4 = q & ~3;
  for (int r0 = 0; r0 < m; r0 += BLOCK) {
    const int r1 = r0 + BLOCK < m ? r0 + BLOCK : m;
    int i = 0;
    for (; i < p4; i += 4) {
      int j = 0;
      for (; j < q8; j += 8) {
        v128_t c00 = wasm_f32x4_splat(0.f), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        for (int r = r0; r < r1; r++) {
          const f32 *ar = a + (intptr_t)r * p + i;
          const f32 *br = b + (intptr_t)r * q + j;
          v128_t b0 = wasm_v128_load(br), b1 = wasm_v128_load(br + 4);
          v128_t a0 = wasm_f32x4_splat(ar[0]), a1 = wasm_f32x4_splat(ar[1]), a2 = wasm_f32x4_splat(ar[2]),
                 a3 = wasm_f32x4_splat(ar[3]);
          c00 = wasm_f32x4_add(c00, wasm_f32x4_mul(a0, b0));
          c01 = wasm_f32x4_add(c01, wasm_f32x4_mul(a0, b1));
          c10 = wasm_f32x4_add(c10, wasm_f32x4_mul(a1, b0));
          c11 = wasm_f32x4_add(c11, wasm_f32x4_mul(a1, b1));
          c20 = wasm_f32x4_add(c20, wasm_f32x4_mul(a2, b0));
          c21 = wasm_f32x4_add(c21, wasm_f32x4_mul(a2, b1));
          c30 = wasm_f32x4_add(c30, wasm_f32x4_mul(a3, b0));
          c31 = wasm_f32x4_add(c31, wasm_f32x4_mul(a3, b1));
        }
        f32 t[32];
        wasm_v128_store(t, c00);
        wasm_v128_store(t + 4, c01);
        wasm_v128_store(t + 8, c10);
        wasm_v128_store(t + 12, c11);
        wasm_v128_store(t + 16, c20);
        wasm_v128_store(t + 20, c21);
        wasm_v128_store(t + 24, c30);
        wasm_v128_store(t + 28, c31);
        for (int ii = 0; ii < 4; ii++)
          for (int jj = 0; jj < 8; jj++) sum[(i + ii) * q + j + jj] += t[ii * 8 + jj];
      }
      for (; j < q4; j += 4) {
        v128_t c0 = wasm_f32x4_splat(0.f), c1 = c0, c2 = c0, c3 = c0;
        for (int r = r0; r < r1; r++) {
          const f32 *ar = a + (intptr_t)r * p + i;
          v128_t bv = wasm_v128_load(b + (intptr_t)r * q + j);
          c0 = wasm_f32x4_add(c0, wasm_f32x4_mul(wasm_f32x4_splat(ar[0]), bv));
          c1 = wasm_f32x4_add(c1, wasm_f32x4_mul(wasm_f32x4_splat(ar[1]), bv));
          c2 = wasm_f32x4_add(c2, wasm_f32x4_mul(wasm_f32x4_splat(ar[2]), bv));
          c3 = wasm_f32x4_add(c3, wasm_f32x4_mul(wasm_f32x4_splat(ar[3]), bv));
        }
        f32 t[16];
        wasm_v128_store(t, c0);
        wasm_v128_store(t + 4, c1);
        wasm_v128_store(t + 8, c2);
        wasm_v128_store(t + 12, c3);
        for (int ii = 0; ii < 4; ii++)
          for (int jj = 0; jj < 4; jj++) sum[(i + ii) * q + j + jj] += t[ii * 4 + jj];
      }
      for (; j < q; j++)
        for (int ii = 0; ii < 4; ii++) {
          f32 acc = 0.f;
          for (int r = r0; r < r1; r++) acc += a[(intptr_t)r * p + i + ii] * b[(intptr_t)r * q + j];
          sum[(i + ii) * q + j] += acc;
        }
    }
    for (; i < p; i++)
      for (int j = 0; j < q; j++) {
        f32 acc = 0.f;
        for (int r = r0; r < r1; r++) acc += a[(intptr_t)r * p + i] * b[(intptr_t)r * q + j];
        sum[i * q + j] += acc;
      }
  }
  for (int e = 0; e < p * q; e++) out[e] = (f32)sum[e];
}

/**
 * Channel shuffle's split (ShuffleNetV2): x [m, 2·h] → even channels [m, h] and odd channels
 * [m, h]; with `inverse` the two halves are interleaved back into x (the gradient).
 */
EXPORT(deinterleave2)
void deinterleave2(f32 *x, f32 *even, f32 *odd, int m, int h, int inverse) {
  const intptr_t total = (intptr_t)m * h;
  if (!inverse)
    for (intptr_t i = 0; i < total; i++) {
      even[i] = x[2 * i];
      odd[i] = x[2 * i + 1];
    }
  else
    for (intptr_t i = 0; i < total; i++) {
      x[2 * i] = even[i];
      x[2 * i + 1] = odd[i];
    }
}

/**
 * Concatenation along channels: a [m, ca] and b [m, cb] → out [m, ca + cb]; with `inverse` out is
 * split back into a and b (the gradient).
 */
EXPORT(concat2)
void concat2(f32 *a, f32 *b, f32 *out, int m, int ca, int cb, int inverse) {
  const int c = ca + cb;
  for (int r = 0; r < m; r++) {
    f32 *o = out + (intptr_t)r * c;
    f32 *pa = a + (intptr_t)r * ca;
    f32 *pb = b + (intptr_t)r * cb;
    if (!inverse) {
      for (int j = 0; j < ca; j++) o[j] = pa[j];
      for (int j = 0; j < cb; j++) o[ca + j] = pb[j];
    } else {
      for (int j = 0; j < ca; j++) pa[j] = o[j];
      for (int j = 0; j < cb; j++) pb[j] = o[ca + j];
    }
  }
}
