import type { FeatureContext, PredictionBatch, Predictor, PredictorFactory, SerializedPredictor } from '@hurricane/core/plugin';
import { Matrix, SVD } from 'ml-matrix';
import { z } from 'zod';
import { checkModelFormat, checkRows, checkTargets, means, parseOptions } from './rows.js';

const optionsSchema = z
  .object({
    /** Evidence-maximisation iterations at most (scikit-learn's max_iter/n_iter: 300). */
    maxIter: z.number().int().min(1).default(300),
    /** Stop when the coefficients move less than this in L1 norm (scikit-learn: 1e-3). */
    tol: z.number().positive().default(1e-3),
    /** Gamma-prior shape and rate of the noise precision α and the weight precision λ (scikit-learn: 1e-6 each). */
    alpha1: z.number().min(0).default(1e-6),
    alpha2: z.number().min(0).default(1e-6),
    lambda1: z.number().min(0).default(1e-6),
    lambda2: z.number().min(0).default(1e-6),
    /**
     * How the predictive std treats the row: `scikit-learn` (its formula, `xᵀΣx + 1/α` on the raw row)
     * or `centred` (`(x − x̄)ᵀΣ(x − x̄) + 1/α`). They differ when the centred data are rank deficient,
     * as one-hot layer encodings always are: the raw row then picks up the prior variance 1/λ of
     * directions the data never determine, and scikit-learn's std is too wide.
     */
    std: z.enum(['scikit-learn', 'centred']).default('scikit-learn'),
  })
  .strict();

export type BayesianRidgeOptions = z.infer<typeof optionsSchema>;

interface RidgeState {
  readonly coef: number[];
  /** Column means of the training rows (the centring of `std: 'centred'`). */
  readonly xMean: number[];
  readonly intercept: number;
  /** Posterior covariance of the coefficients (row-major p × p). */
  readonly sigma: number[][];
  /** Noise precision α and weight precision λ at convergence. */
  readonly alpha: number;
  readonly lambda: number;
  readonly iterations: number;
}

/**
 * Bayesian ridge regression by evidence maximisation (MacKay 1992), as scikit-learn's
 * `BayesianRidge()`: the paper's VPU predictor. The data are centred, X is decomposed once by SVD
 * (ml-matrix), and α, λ are re-estimated until the coefficients settle. The predictive standard
 * deviation is scikit-learn's, `sqrt(xᵀΣx + 1/α)` on the uncentred row, or with `std: 'centred'`
 * the posterior's own on the centred row.
 */
export class BayesianRidgePredictor implements Predictor {
  readonly kind = 'bayesian-ridge';
  readonly options: BayesianRidgeOptions;
  private state: RidgeState | null = null;

  constructor(options: Readonly<Record<string, unknown>> = {}) {
    this.options = parseOptions('bayesian-ridge', optionsSchema, options);
  }

  async fit(x: readonly (readonly number[])[], y: readonly number[]): Promise<void> {
    const p = checkRows('bayesian-ridge', x);
    checkTargets('bayesian-ridge', y, x.length, 2);
    const n = x.length;
    const { xMean, yMean } = means(x, y, p);
    const xc = new Matrix(x.map((row) => row.map((v, j) => v - (xMean[j] as number))));
    const yc = Matrix.columnVector(y.map((v) => v - yMean));
    const svd = new SVD(xc, { autoTranspose: true });
    const s2 = svd.diagonal.map((v) => v * v);
    const v = svd.rightSingularVectors; // p × k
    const u = svd.leftSingularVectors; // n × k
    const xty = xc.transpose().mmul(yc);
    const o = this.options;
    const coefOf = (alpha: number, lambda: number): { coef: Matrix; rss: number } => {
      const scale = Matrix.rowVector(s2.map((e) => 1 / (e + lambda / alpha)));
      const coef =
        n > p
          ? v.clone().mulRowVector(scale).mmul(v.transpose()).mmul(xty)
          : xc.transpose().mmul(u.clone().mulRowVector(scale)).mmul(u.transpose()).mmul(yc);
      const r = yc.clone().sub(xc.mmul(coef));
      return { coef, rss: r.getColumn(0).reduce((a, e) => a + e * e, 0) };
    };
    let alpha = 1 / (yc.getColumn(0).reduce((a, e) => a + e * e, 0) / n + Number.EPSILON);
    let lambda = 1;
    let old: number[] | null = null;
    let iterations = 0;
    for (let iter = 0; iter < o.maxIter; iter++) {
      iterations = iter + 1;
      const { coef, rss } = coefOf(alpha, lambda);
      const w = coef.getColumn(0);
      const gamma = s2.reduce((a, e) => a + (alpha * e) / (lambda + alpha * e), 0);
      lambda = (gamma + 2 * o.lambda1) / (w.reduce((a, e) => a + e * e, 0) + 2 * o.lambda2);
      alpha = (n - gamma + 2 * o.alpha1) / (rss + 2 * o.alpha2);
      if (old && w.reduce((a, e, j) => a + Math.abs(((old as number[])[j] as number) - e), 0) < o.tol) break;
      old = w;
    }
    const coef = coefOf(alpha, lambda).coef.getColumn(0);
    const scale = Matrix.rowVector(s2.map((e) => 1 / (alpha * (e + lambda / alpha))));
    const sigma = v.clone().mulRowVector(scale).mmul(v.transpose()).to2DArray();
    const intercept = yMean - coef.reduce((a, c, j) => a + c * (xMean[j] as number), 0);
    this.state = { coef, xMean, intercept, sigma, alpha, lambda, iterations };
  }

  /** Fitted coefficients, intercept and precisions (for inspection and tests). */
  fitted(): Readonly<RidgeState> {
    if (!this.state) throw new Error('bayesian-ridge: not fitted');
    return this.state;
  }

  predict(x: readonly (readonly number[])[]): PredictionBatch {
    const s = this.state;
    if (!s) throw new Error('bayesian-ridge: predict() called before fit()');
    checkRows('bayesian-ridge', x, s.coef.length);
    const centre = this.options.std === 'centred';
    const rows = x.map((r) => (centre ? r.map((v, j) => v - (s.xMean[j] as number)) : [...r]));
    const xm = new Matrix(rows);
    const xs = xm.mmul(new Matrix(s.sigma));
    const mean: number[] = [];
    const std: number[] = [];
    x.forEach((row, i) => {
      let q = 0;
      let m = s.intercept;
      for (let j = 0; j < row.length; j++) {
        q += xs.get(i, j) * ((rows[i] as number[])[j] as number);
        m += (s.coef[j] as number) * (row[j] as number);
      }
      mean.push(m);
      std.push(Math.sqrt(q + 1 / s.alpha));
    });
    return { mean, std };
  }

  serialize(): SerializedPredictor {
    if (!this.state) throw new Error('bayesian-ridge: serialize() called before fit()');
    return {
      kind: this.kind,
      version: 1,
      hyperparameters: { ...this.options, alpha: this.state.alpha, lambda: this.state.lambda },
      state: this.state,
    };
  }

  static deserialize(data: SerializedPredictor): BayesianRidgePredictor {
    checkModelFormat('bayesian-ridge', data, 1);
    const { alpha: _a, lambda: _l, ...options } = data.hyperparameters as Record<string, unknown>;
    const p = new BayesianRidgePredictor(options);
    const s = data.state as RidgeState;
    if (!s || !Array.isArray(s.coef) || !Array.isArray(s.sigma) || s.sigma.length !== s.coef.length || typeof s.alpha !== 'number') {
      throw new Error('bayesian-ridge: the saved model is incomplete (needs coef, sigma of matching size, alpha)');
    }
    p.state = s;
    return p;
  }
}

export const bayesianRidgeFactory: PredictorFactory = {
  kind: 'bayesian-ridge',
  description: "Bayesian ridge regression by evidence maximisation (the paper's VPU predictor), with predictive std",
  hasUncertainty: true,
  create: (options: Readonly<Record<string, unknown>>, _features: FeatureContext) => new BayesianRidgePredictor(options),
  deserialize: (data) => BayesianRidgePredictor.deserialize(data),
};
