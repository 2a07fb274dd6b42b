import type { PredictionBatch, Predictor, PredictorFactory, SerializedPredictor } from '@hurricane/core/plugin';

/** Options of {@link LassoPredictor}; the defaults are the paper's CPU predictor (α = 0.01). */
export interface LassoOptions {
  /** L1 penalty α of `(1/2n)·‖y − Xw − b‖² + α‖w‖₁` (scikit-learn's objective). */
  readonly alpha: number;
  /** Coordinate-descent iterations at most. */
  readonly maxIter: number;
  /** Stop when the largest coefficient update is below `tol · max|w|` (scikit-learn's rule of thumb). */
  readonly tol: number;
}

interface LassoState {
  readonly options: LassoOptions;
  readonly coef: number[];
  readonly intercept: number;
}

const DEFAULTS: LassoOptions = { alpha: 0.01, maxIter: 10_000, tol: 1e-6 };

function checkMatrix(x: readonly (readonly number[])[], width?: number): number {
  if (x.length === 0) throw new RangeError('lasso: no rows');
  const w = width ?? x[0]?.length ?? 0;
  x.forEach((row, i) => {
    if (row.length !== w) throw new RangeError(`lasso: row ${i} has ${row.length} features, expected ${w}`);
    for (const v of row) if (!Number.isFinite(v)) throw new RangeError(`lasso: row ${i} has a non-finite value`);
  });
  return w;
}

/**
 * Lasso regression by cyclic coordinate descent with an unpenalised intercept (data centred
 * first), the paper's latency predictor for CPUs (SPEC §6). Lasso gives no predictive
 * uncertainty: `variance` is 0.
 */
export class LassoPredictor implements Predictor {
  readonly kind = 'lasso';
  private state: LassoState | null = null;
  readonly options: LassoOptions;

  constructor(options: Partial<LassoOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
    if (!(this.options.alpha >= 0)) throw new RangeError(`lasso: alpha must be ≥ 0, got ${this.options.alpha}`);
    if (!(this.options.maxIter >= 1)) throw new RangeError(`lasso: maxIter must be ≥ 1, got ${this.options.maxIter}`);
    if (!(this.options.tol > 0)) throw new RangeError(`lasso: tol must be > 0, got ${this.options.tol}`);
  }

  async fit(x: readonly (readonly number[])[], y: readonly number[]): Promise<void> {
    const p = checkMatrix(x);
    const n = x.length;
    if (y.length !== n) throw new RangeError(`lasso: ${n} rows but ${y.length} targets`);
    const xMean = new Array<number>(p).fill(0);
    for (const row of x) for (let j = 0; j < p; j++) xMean[j] = (xMean[j] ?? 0) + (row[j] ?? 0) / n;
    const yMean = y.reduce((a, b) => a + b, 0) / n;
    // Column-major centred copy for fast column sweeps.
    const cols = Array.from({ length: p }, (_, j) => Float64Array.from(x, (row) => (row[j] ?? 0) - (xMean[j] ?? 0)));
    const sq = cols.map((c) => c.reduce((a, v) => a + v * v, 0));
    const r = Float64Array.from(y, (v) => v - yMean);
    const w = new Float64Array(p);
    const { alpha, maxIter, tol } = this.options;
    const nAlpha = n * alpha;
    for (let iter = 0; iter < maxIter; iter++) {
      let maxDelta = 0;
      let maxW = 0;
      for (let j = 0; j < p; j++) {
        const col = cols[j] as Float64Array;
        const sj = sq[j] as number;
        if (sj === 0) continue;
        const old = w[j] as number;
        let rho = 0;
        for (let i = 0; i < n; i++) rho += (col[i] as number) * ((r[i] as number) + (col[i] as number) * old);
        const next = (Math.sign(rho) * Math.max(Math.abs(rho) - nAlpha, 0)) / sj;
        if (next !== old) {
          const d = next - old;
          for (let i = 0; i < n; i++) r[i] = (r[i] as number) - d * (col[i] as number);
          w[j] = next;
          maxDelta = Math.max(maxDelta, Math.abs(d));
        }
        maxW = Math.max(maxW, Math.abs(next));
      }
      if (maxW === 0 || maxDelta <= tol * maxW) break;
    }
    const coef = Array.from(w);
    const intercept = yMean - coef.reduce((a, c, j) => a + c * (xMean[j] ?? 0), 0);
    this.state = { options: this.options, coef, intercept };
  }

  predict(x: readonly (readonly number[])[]): PredictionBatch {
    if (!this.state) throw new Error('lasso: predict() called before fit()');
    const { coef, intercept } = this.state;
    checkMatrix(x, coef.length);
    const mean = x.map((row) => row.reduce((a, v, j) => a + v * (coef[j] ?? 0), intercept));
    return { mean, variance: mean.map(() => 0) };
  }

  /** Fitted coefficients and intercept (for inspection). */
  coefficients(): { coef: readonly number[]; intercept: number } {
    if (!this.state) throw new Error('lasso: not fitted');
    return { coef: this.state.coef, intercept: this.state.intercept };
  }

  serialize(): SerializedPredictor {
    if (!this.state) throw new Error('lasso: serialize() called before fit()');
    return { kind: this.kind, version: 1, state: this.state };
  }

  /** Restores a fitted predictor from {@link serialize}'s output. */
  static deserialize(data: SerializedPredictor): LassoPredictor {
    if (data.kind !== 'lasso' || data.version !== 1) {
      throw new Error(`lasso: cannot read a '${data.kind}' predictor of format version ${data.version}`);
    }
    const s = data.state as Partial<LassoState> | null;
    if (!s || !Array.isArray(s.coef) || typeof s.intercept !== 'number' || !s.options) {
      throw new Error('lasso: serialized state is incomplete (needs options, coef, intercept)');
    }
    const p = new LassoPredictor(s.options);
    p.state = { options: p.options, coef: s.coef.map(Number), intercept: s.intercept };
    return p;
  }
}

/** Factory registered under `PredictorFactory` by the predictors plugin. */
export const lassoFactory: PredictorFactory = {
  kind: 'lasso',
  description: "Lasso regression (coordinate descent), the paper's CPU latency predictor",
  create: (options = {}) => new LassoPredictor(options as Partial<LassoOptions>),
  deserialize: (data) => LassoPredictor.deserialize(data),
};
