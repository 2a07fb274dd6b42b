import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BayesianRidgePredictor, GaussianProcessPredictor, LassoPredictor, besselK, maternCorrelation } from '../src/index.js';
import { lassoCvAlpha } from '../src/lasso-path.js';

interface Reference {
  generator: string;
  X_train: number[][];
  y_train: number[];
  X_test: number[][];
  bessel: { nu: number; x: number; k: number }[];
  matern: { nu: number; d: number[]; k: number[] }[];
  gp_fixed: { nu: number; amplitude: number; length_scale: number; noise: number; mean: number[]; std: number[]; lml: number }[];
  gp_fitted: { nu: number; lml: number }[];
  lasso: { alpha: number; coef: number[]; intercept: number; mean: number[] }[];
  lasso_cv: {
    scale: number;
    alpha: number;
    alphas: number[];
    mse: number[];
    coef: number[];
    intercept: number;
    mean: number[];
    paper_alpha_nonzero: number;
  }[];
  bayesian_ridge: { coef: number[]; intercept: number; alpha: number; lambda: number; mean: number[]; std: number[] };
}
const ref = JSON.parse(readFileSync(new URL('./fixtures/sklearn-reference.json', import.meta.url), 'utf8')) as Reference;

/** |a − b| ≤ rel · max(|b|, floor): relative agreement, with an absolute floor for values near 0. */
function expectRelative(actual: readonly number[], expected: readonly number[], rel: number, floor = 1e-12): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    const e = expected[i] as number;
    const err = Math.abs(a - e) / Math.max(Math.abs(e), floor);
    if (!(err <= rel)) throw new Error(`element ${i}: ${a} vs reference ${e} (relative error ${err.toExponential(2)} > ${rel})`);
  });
}

describe(`agreement with SciPy and scikit-learn (${ref.generator})`, () => {
  it('besselK matches scipy.special.kv to 1e-12 relative for orders 0.0001 to 10.2 (0.35, near-integer and near-half-integer included) and x from 1e-3 to 100', () => {
    expectRelative(
      ref.bessel.map((c) => besselK(c.nu, c.x)),
      ref.bessel.map((c) => c.k),
      1e-12,
    );
  });

  it("maternCorrelation matches scikit-learn's Matern for ν = 0.35, 0.5, 1.5, 2.5 and 3.2 to 1e-10 (scikit-learn evaluates d = 0 at machine epsilon: 1 − 9e-12)", () => {
    for (const c of ref.matern)
      expectRelative(
        c.d.map((d) => maternCorrelation(d, c.nu)),
        c.k,
        1e-10,
      );
  });

  for (const c of ref.gp_fixed) {
    it(`the GP with fixed hyper-parameters (ν = ${c.nu}) matches GaussianProcessRegressor(optimizer=None) to 1e-6: mean, std and log marginal likelihood`, async () => {
      const gp = new GaussianProcessPredictor({
        nu: c.nu,
        lengthScale: c.length_scale,
        amplitude: c.amplitude,
        noise: c.noise,
        fixed: true,
      });
      await gp.fit(ref.X_train, ref.y_train);
      const p = gp.predict(ref.X_test);
      expectRelative(p.mean, c.mean, 1e-6);
      expectRelative(p.std ?? [], c.std, 1e-6);
      expectRelative([gp.fitted().logMarginalLikelihood], [c.lml], 1e-6);
    });
  }

  for (const c of ref.gp_fitted) {
    it(`the GP's fitted hyper-parameters (ν = ${c.nu}) reach a log marginal likelihood no worse than scikit-learn's minus 1e-3`, async () => {
      const gp = new GaussianProcessPredictor({ nu: c.nu, lengthScale: 1.5, amplitude: 1, noise: 0.01 });
      await gp.fit(ref.X_train, ref.y_train);
      expect(gp.fitted().logMarginalLikelihood).toBeGreaterThanOrEqual(c.lml - 1e-3);
    }, 120_000);
  }

  for (const c of ref.lasso_cv) {
    it(`Lasso without alpha chooses α as LassoCV does at latencies × ${c.scale}: the same 100-α grid (1e-12) and the same α, mean CV errors to 1e-4, coefficients and predictions to 1e-4 (Lasso(alpha=0.01) keeps ${c.paper_alpha_nonzero} of 32)`, async () => {
      const y = ref.y_train.map((v) => v * c.scale);
      const cv = lassoCvAlpha(ref.X_train, y, { folds: 5, nAlphas: 100, eps: 1e-3, maxIter: 1000, tol: 1e-4 });
      expectRelative(cv.alphas, c.alphas, 1e-12);
      expect(c.alphas.indexOf(c.alpha)).toBeGreaterThanOrEqual(0);
      expect(cv.alphas.indexOf(cv.alpha)).toBe(c.alphas.indexOf(c.alpha)); // the same grid point
      expectRelative(cv.mse, c.mse, 1e-4);
      const lasso = new LassoPredictor();
      await lasso.fit(ref.X_train, y);
      const fitted = lasso.coefficients();
      expect(fitted.alpha).toBe(cv.alpha);
      expect(fitted.alphaFrom).toBe('cross-validation');
      expectRelative(fitted.coef, c.coef, 1e-4, 1e-3 * c.scale);
      expectRelative(lasso.predict(ref.X_test).mean, c.mean, 1e-4);
    });
  }

  for (const c of ref.lasso) {
    it(`Lasso(alpha=${c.alpha}) with scikit-learn's default tol and max_iter matches its coefficients, intercept and predictions to 1e-4`, async () => {
      const lasso = new LassoPredictor({ alpha: c.alpha });
      await lasso.fit(ref.X_train, ref.y_train);
      const { coef, intercept } = lasso.coefficients();
      const scale = Math.max(...c.coef.map(Math.abs));
      expectRelative(coef, c.coef, 1e-4, scale);
      expectRelative([intercept], [c.intercept], 1e-4);
      expectRelative(lasso.predict(ref.X_test).mean, c.mean, 1e-4);
      expect(lasso.predict(ref.X_test).std).toBeUndefined();
    });
  }

  it("BayesianRidge() with scikit-learn's defaults matches its coefficients, precisions, predictive mean and std to 1e-4", async () => {
    const br = new BayesianRidgePredictor();
    await br.fit(ref.X_train, ref.y_train);
    const r = ref.bayesian_ridge;
    const f = br.fitted();
    expectRelative(f.coef, r.coef, 1e-4, Math.max(...r.coef.map(Math.abs)));
    expectRelative([f.intercept, f.alpha, f.lambda], [r.intercept, r.alpha, r.lambda], 1e-4);
    const p = br.predict(ref.X_test);
    expectRelative(p.mean, r.mean, 1e-4);
    expectRelative(p.std ?? [], r.std, 1e-4);
  });
});
