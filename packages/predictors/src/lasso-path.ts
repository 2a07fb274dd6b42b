import { means } from './rows.js';

/** What {@link lassoCvAlpha} chose, and the curve it chose it from. */
export interface LassoCvResult {
  /** The α of the lowest mean cross-validated squared error. */
  readonly alpha: number;
  /** The grid, largest first. */
  readonly alphas: readonly number[];
  /** Mean over folds of each α's held-out mean squared error. */
  readonly mse: readonly number[];
  readonly folds: number;
}

/** Options of the α search: scikit-learn's `LassoCV` defaults. */
export interface LassoCvOptions {
  readonly folds: number;
  readonly nAlphas: number;
  /** The grid's smallest α ÷ its largest. */
  readonly eps: number;
  readonly maxIter: number;
  readonly tol: number;
}

/** Centred Gram matrix `XcᵀXc`, `Xcᵀyc` and `ycᵀyc` of rows `rows` (the sufficient statistics of a Lasso fit). */
function gramOf(x: readonly (readonly number[])[], y: readonly number[], p: number) {
  const { xMean, yMean } = means(x, y, p);
  const g = Array.from({ length: p }, () => new Float64Array(p));
  const xy = new Float64Array(p);
  let yy = 0;
  const row = new Float64Array(p);
  x.forEach((r, i) => {
    for (let j = 0; j < p; j++) row[j] = (r[j] as number) - (xMean[j] as number);
    const yc = (y[i] as number) - yMean;
    yy += yc * yc;
    for (let j = 0; j < p; j++) {
      const rj = row[j] as number;
      if (rj === 0) continue;
      xy[j] = (xy[j] as number) + rj * yc;
      const gj = g[j] as Float64Array;
      for (let k = 0; k < p; k++) gj[k] = (gj[k] as number) + rj * (row[k] as number);
    }
  });
  return { g, xy, yy, xMean, yMean };
}

/**
 * Coordinate descent on the Gram matrix (scikit-learn's `enet_coordinate_descent_gram` without the
 * L2 term), warm-started from `w` (updated in place): minimises `(1/2)‖yc − Xc·w‖² + l1‖w‖₁`,
 * stopping like scikit-learn once the duality gap is below `tol · ycᵀyc`.
 */
function descendGram(s: ReturnType<typeof gramOf>, w: Float64Array, l1: number, maxIter: number, tol: number): void {
  const p = w.length;
  // q = Xcᵀ(yc − Xc·w), kept up to date as coefficients change
  const q = Float64Array.from(s.xy);
  for (let j = 0; j < p; j++) {
    const wj = w[j] as number;
    if (wj !== 0) for (let k = 0; k < p; k++) q[k] = (q[k] as number) - wj * ((s.g[k] as Float64Array)[j] as number);
  }
  const gapTol = tol * s.yy;
  for (let iter = 0; iter < maxIter; iter++) {
    let dMax = 0;
    let wMax = 0;
    for (let j = 0; j < p; j++) {
      const gjj = (s.g[j] as Float64Array)[j] as number;
      if (gjj === 0) continue;
      const old = w[j] as number;
      const tmp = (q[j] as number) + gjj * old;
      const next = (Math.sign(tmp) * Math.max(Math.abs(tmp) - l1, 0)) / gjj;
      if (next !== old) {
        const d = next - old;
        const gj = s.g[j] as Float64Array;
        for (let k = 0; k < p; k++) q[k] = (q[k] as number) - d * (gj[k] as number);
        w[j] = next;
      }
      dMax = Math.max(dMax, Math.abs(next - old));
      wMax = Math.max(wMax, Math.abs(next));
    }
    if (wMax === 0 || dMax / wMax < tol || iter === maxIter - 1) {
      if (gramGap(s, w, q, l1) < gapTol) return;
    }
  }
}

/** The duality gap from the Gram statistics: ‖r‖² = yᵀy − wᵀ(Xᵀy + Xᵀr), rᵀy = yᵀy − wᵀXᵀy, Xᵀr = q. */
function gramGap(s: ReturnType<typeof gramOf>, w: Float64Array, q: Float64Array, l1: number): number {
  let wXy = 0;
  let wQ = 0;
  let dual = 0;
  let l1w = 0;
  for (let j = 0; j < w.length; j++) {
    const wj = w[j] as number;
    wXy += wj * (s.xy[j] as number);
    wQ += wj * (q[j] as number);
    dual = Math.max(dual, Math.abs(q[j] as number));
    l1w += Math.abs(wj);
  }
  const rNorm2 = s.yy - wXy - wQ;
  const rY = s.yy - wXy;
  const c = dual > l1 ? l1 / dual : 1;
  const gap = dual > l1 ? 0.5 * (rNorm2 + rNorm2 * c * c) : rNorm2;
  return gap + l1 * l1w - c * rY;
}

/** scikit-learn's `_alpha_grid`: from the smallest α that zeroes every coefficient, `nAlphas` log-spaced down to `eps` times it. */
export function alphaGrid(x: readonly (readonly number[])[], y: readonly number[], nAlphas: number, eps: number): number[] {
  const p = x[0]?.length ?? 0;
  const s = gramOf(x, y, p);
  const alphaMax = Math.max(...Array.from(s.xy, Math.abs)) / x.length;
  if (!(alphaMax > 2.220446049250313e-16)) return Array.from({ length: nAlphas }, () => 2.220446049250313e-16);
  const hi = Math.log10(alphaMax);
  const lo = Math.log10(alphaMax * eps);
  return Array.from({ length: nAlphas }, (_, i) => 10 ** (nAlphas === 1 ? hi : hi - ((hi - lo) * i) / (nAlphas - 1)));
}

/**
 * Chooses Lasso's α by k-fold cross-validation as scikit-learn's `LassoCV` does: the grid of
 * {@link alphaGrid} on all rows; contiguous folds (`KFold` without shuffling); on each fold's
 * training rows the whole path, largest α first, each fit warm-started from the last; the α
 * whose held-out mean squared error, averaged over folds, is lowest (the first, i.e. the largest
 * α, on a tie). The scale of α then follows the data: a fixed α that suits latencies in
 * milliseconds zeroes every coefficient of latencies a thousand times smaller.
 */
export function lassoCvAlpha(x: readonly (readonly number[])[], y: readonly number[], o: LassoCvOptions): LassoCvResult {
  const n = x.length;
  const p = x[0]?.length ?? 0;
  const alphas = alphaGrid(x, y, o.nAlphas, o.eps);
  const folds = Math.min(o.folds, n);
  const total = alphas.map(() => 0);
  let start = 0;
  for (let f = 0; f < folds; f++) {
    // KFold: the first n % folds folds hold one row more
    const size = Math.floor(n / folds) + (f < n % folds ? 1 : 0);
    const test = new Set(Array.from({ length: size }, (_, i) => start + i));
    start += size;
    const trainX = x.filter((_, i) => !test.has(i));
    const trainY = y.filter((_, i) => !test.has(i));
    const s = gramOf(trainX, trainY, p);
    const w = new Float64Array(p);
    alphas.forEach((alpha, a) => {
      descendGram(s, w, alpha * trainX.length, o.maxIter, o.tol);
      const intercept = s.yMean - w.reduce((acc, c, j) => acc + c * (s.xMean[j] as number), 0);
      let se = 0;
      for (const i of test) {
        const row = x[i] as readonly number[];
        let pred = intercept;
        for (let j = 0; j < p; j++) pred += (w[j] as number) * (row[j] as number);
        se += (pred - (y[i] as number)) ** 2;
      }
      total[a] = (total[a] as number) + se / size;
    });
  }
  const mse = total.map((t) => t / folds);
  let best = 0;
  mse.forEach((m, a) => {
    if (m < (mse[best] as number)) best = a;
  });
  return { alpha: alphas[best] as number, alphas, mse, folds };
}
