import type { FeatureContext, PredictionBatch, Predictor, PredictorFactory, SerializedPredictor } from '@hurricane/core/plugin';
import { z } from 'zod';
import { lassoCvAlpha } from './lasso-path.js';
import { checkModelFormat, checkRows, checkTargets, means, parseOptions } from './rows.js';

const optionsSchema = z
  .object({
    /**
     * L1 penalty α of `(1/2n)·‖y − Xw − b‖² + α‖w‖₁` (scikit-learn's objective). Unset: chosen by
     * cross-validation as scikit-learn's `LassoCV` does. The paper's CPU predictor used 0.01, which
     * suits its units only: at sub-millisecond latencies it zeroes every coefficient.
     */
    alpha: z.number().min(0).optional(),
    /** Folds of the α search when `alpha` is unset (scikit-learn's `LassoCV`: 5). */
    cvFolds: z.number().int().min(2).default(5),
    /** α values the search tries, log-spaced (`LassoCV`: 100). */
    nAlphas: z.number().int().min(1).max(1000).default(100),
    /** The smallest α tried ÷ the largest (`LassoCV`: 1e-3). */
    eps: z.number().positive().max(1).default(1e-3),
    /** Coordinate-descent sweeps at most (scikit-learn: 1000). */
    maxIter: z.number().int().min(1).default(1000),
    /** Duality-gap tolerance, relative to ‖y − ȳ‖² (scikit-learn: 1e-4). */
    tol: z.number().positive().default(1e-4),
  })
  .strict();

export type LassoOptions = z.infer<typeof optionsSchema>;

interface LassoState {
  /** The α fitted with: the option, or the one cross-validation chose. */
  readonly alpha: number;
  /** How α was set. */
  readonly alphaFrom: 'option' | 'cross-validation';
  readonly coef: number[];
  readonly intercept: number;
  readonly iterations: number;
  readonly dualityGap: number;
}

/** One cyclic sweep over the columns; returns the largest coefficient change and the largest |coefficient|. */
function sweep(cols: Float64Array[], sq: readonly number[], r: Float64Array, w: Float64Array, l1: number): { dMax: number; wMax: number } {
  let dMax = 0;
  let wMax = 0;
  cols.forEach((col, j) => {
    if (sq[j] === 0) return;
    const old = w[j] as number;
    if (old !== 0) for (let i = 0; i < r.length; i++) r[i] = (r[i] as number) + old * (col[i] as number);
    let tmp = 0;
    for (let i = 0; i < r.length; i++) tmp += (col[i] as number) * (r[i] as number);
    const next = (Math.sign(tmp) * Math.max(Math.abs(tmp) - l1, 0)) / (sq[j] as number);
    w[j] = next;
    if (next !== 0) for (let i = 0; i < r.length; i++) r[i] = (r[i] as number) - next * (col[i] as number);
    dMax = Math.max(dMax, Math.abs(next - old));
    wMax = Math.max(wMax, Math.abs(next));
  });
  return { dMax, wMax };
}

/** The Lasso duality gap at `w` with residual `r` (scikit-learn's `enet_coordinate_descent`, no L2 term). */
function dualityGap(cols: Float64Array[], r: Float64Array, y: Float64Array, w: Float64Array, l1: number): number {
  let dual = 0;
  for (const col of cols) {
    let t = 0;
    for (let i = 0; i < r.length; i++) t += (col[i] as number) * (r[i] as number);
    dual = Math.max(dual, Math.abs(t));
  }
  const rNorm2 = r.reduce((a, v) => a + v * v, 0);
  const c = dual > l1 ? l1 / dual : 1;
  let gap = dual > l1 ? 0.5 * (rNorm2 + rNorm2 * c * c) : rNorm2;
  gap += l1 * w.reduce((a, v) => a + Math.abs(v), 0) - c * r.reduce((a, v, i) => a + v * (y[i] as number), 0);
  return gap;
}

/**
 * Lasso regression by cyclic coordinate descent with an unpenalised intercept (data centred first),
 * the paper's CPU predictor; α is the option's, or chosen by {@link lassoCvAlpha}. Sweeps and stopping follow scikit-learn's `Lasso`: after a
 * sweep whose largest update is below `tol · max|w|`, stop once the duality gap is below
 * `tol · ‖y − ȳ‖²`. A point predictor: no standard deviation.
 */
export class LassoPredictor implements Predictor {
  readonly kind = 'lasso';
  readonly options: LassoOptions;
  private state: LassoState | null = null;

  constructor(options: Readonly<Record<string, unknown>> = {}) {
    this.options = parseOptions('lasso', optionsSchema, options);
  }

  async fit(x: readonly (readonly number[])[], y: readonly number[]): Promise<void> {
    const p = checkRows('lasso', x);
    checkTargets('lasso', y, x.length, 2);
    const { maxIter, tol } = this.options;
    const chosen =
      this.options.alpha ??
      lassoCvAlpha(x, y, {
        folds: Math.min(this.options.cvFolds, x.length),
        nAlphas: this.options.nAlphas,
        eps: this.options.eps,
        maxIter,
        tol,
      }).alpha;
    const n = x.length;
    const { xMean, yMean } = means(x, y, p);
    const cols = Array.from({ length: p }, (_, j) => Float64Array.from(x, (row) => (row[j] as number) - (xMean[j] as number)));
    const sq = cols.map((c) => c.reduce((a, v) => a + v * v, 0));
    const yc = Float64Array.from(y, (v) => v - yMean);
    const r = Float64Array.from(yc);
    const w = new Float64Array(p);
    const l1 = chosen * n;
    const gapTol = tol * yc.reduce((a, v) => a + v * v, 0);
    let iterations = 0;
    let gap = Number.POSITIVE_INFINITY;
    for (let iter = 0; iter < maxIter; iter++) {
      iterations = iter + 1;
      const { dMax, wMax } = sweep(cols, sq, r, w, l1);
      if (wMax === 0 || dMax / wMax < tol || iter === maxIter - 1) {
        gap = dualityGap(cols, r, yc, w, l1);
        if (gap < gapTol) break;
      }
    }
    const coef = Array.from(w);
    const intercept = yMean - coef.reduce((a, c, j) => a + c * (xMean[j] as number), 0);
    const alphaFrom = this.options.alpha === undefined ? 'cross-validation' : 'option';
    this.state = { alpha: chosen, alphaFrom, coef, intercept, iterations, dualityGap: gap };
  }

  predict(x: readonly (readonly number[])[]): PredictionBatch {
    const s = this.state;
    if (!s) throw new Error('lasso: predict() called before fit()');
    checkRows('lasso', x, s.coef.length);
    return { mean: x.map((row) => row.reduce((a, v, j) => a + v * (s.coef[j] as number), s.intercept)) };
  }

  /** Fitted coefficients, intercept and the α they were fitted with (for inspection). */
  coefficients(): { coef: readonly number[]; intercept: number; alpha: number; alphaFrom: LassoState['alphaFrom'] } {
    if (!this.state) throw new Error('lasso: not fitted');
    const { coef, intercept, alpha, alphaFrom } = this.state;
    return { coef, intercept, alpha, alphaFrom };
  }

  serialize(): SerializedPredictor {
    if (!this.state) throw new Error('lasso: serialize() called before fit()');
    // the α fitted with is a hyper-parameter of the saved model, however it was chosen
    return { kind: this.kind, version: 2, hyperparameters: { ...this.options, alpha: this.state.alpha }, state: this.state };
  }

  /** Restores a fitted predictor from {@link serialize}'s output. */
  static deserialize(data: SerializedPredictor): LassoPredictor {
    checkModelFormat('lasso', data, 2);
    const s = data.state as Partial<LassoState> | null;
    if (!s || !Array.isArray(s.coef) || typeof s.intercept !== 'number')
      throw new Error('lasso: the saved model is incomplete (needs coef and intercept)');
    const p = new LassoPredictor(data.hyperparameters);
    p.state = {
      alpha: s.alpha ?? p.options.alpha ?? Number.NaN,
      alphaFrom: s.alphaFrom ?? 'option',
      coef: s.coef.map(Number),
      intercept: s.intercept,
      iterations: s.iterations ?? 0,
      dualityGap: s.dualityGap ?? 0,
    };
    return p;
  }
}

/** Factory registered under `PredictorFactory` by the predictors plugin. */
export const lassoFactory: PredictorFactory = {
  kind: 'lasso',
  description:
    "Lasso regression by coordinate descent, α by 5-fold cross-validation unless given (the paper's CPU predictor, with α = 0.01 in its units)",
  hasUncertainty: false,
  create: (options: Readonly<Record<string, unknown>>, _features: FeatureContext) => new LassoPredictor(options),
  deserialize: (data) => LassoPredictor.deserialize(data),
};
