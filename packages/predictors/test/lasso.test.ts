import { readFileSync } from 'node:fs';
import { createPluginHarness } from '@hurricane/core/testing';
import { PredictorFactory } from '@hurricane/core/plugin';
import { describe, expect, it } from 'vitest';
import plugin, { LassoPredictor, lassoFactory } from '../src/index.js';

interface Reference {
  X: number[][];
  y: number[];
  X_test: number[][];
  cases: { alpha: number; coef: number[]; intercept: number; predict: number[] }[];
}
const ref = JSON.parse(readFileSync(new URL('./fixtures/lasso-reference.json', import.meta.url), 'utf8')) as Reference;

describe('LassoPredictor', () => {
  for (const c of ref.cases) {
    it(`matches scikit-learn's Lasso at alpha = ${c.alpha}`, async () => {
      const p = new LassoPredictor({ alpha: c.alpha, tol: 1e-12, maxIter: 100_000 });
      await p.fit(ref.X, ref.y);
      const { coef, intercept } = p.coefficients();
      for (const [j, w] of coef.entries()) expect(w).toBeCloseTo(c.coef[j] ?? Number.NaN, 5);
      expect(intercept).toBeCloseTo(c.intercept, 5);
      const { mean, variance } = p.predict(ref.X_test);
      for (const [i, m] of mean.entries()) expect(m).toBeCloseTo(c.predict[i] ?? Number.NaN, 5);
      expect(variance.every((v) => v === 0)).toBe(true);
    });
  }

  it('soft-thresholds an orthogonal design exactly', async () => {
    // Centred orthogonal columns with ‖x_j‖²/n = 1: w_j = sign(z_j)·max(|z_j| − α, 0), z_j = x_jᵀy/n.
    const x = [
      [1, 1],
      [1, -1],
      [-1, 1],
      [-1, -1],
    ];
    const y = [3 + 0.5, 3 - 0.5, -3 + 0.5, -3 - 0.5].map((v) => v + 10);
    const p = new LassoPredictor({ alpha: 1 });
    await p.fit(x, y);
    expect(p.coefficients().coef[0]).toBeCloseTo(2, 12);
    expect(p.coefficients().coef[1]).toBeCloseTo(0, 12);
    expect(p.coefficients().intercept).toBeCloseTo(10, 12);
  });

  it('round-trips through serialize/deserialize', async () => {
    const p = lassoFactory.create({ alpha: 0.01 });
    await p.fit(ref.X, ref.y);
    const copy = lassoFactory.deserialize(JSON.parse(JSON.stringify(p.serialize())));
    expect(copy.predict(ref.X_test)).toEqual(p.predict(ref.X_test));
  });

  it('rejects bad input with a message naming the problem', async () => {
    const p = new LassoPredictor();
    expect(() => p.predict([[1]])).toThrow('lasso: predict() called before fit()');
    await expect(p.fit([[1, 2], [1]], [1, 2])).rejects.toThrow('lasso: row 1 has 1 features, expected 2');
    await expect(p.fit([[1]], [1, 2])).rejects.toThrow('lasso: 1 rows but 2 targets');
    await p.fit([[1], [2]], [1, 2]);
    expect(() => p.predict([[1, 2]])).toThrow('lasso: row 0 has 2 features, expected 1');
    expect(() => new LassoPredictor({ alpha: -1 })).toThrow('alpha must be ≥ 0');
    expect(() => LassoPredictor.deserialize({ kind: 'gp', version: 1, state: {} })).toThrow("cannot read a 'gp' predictor");
  });

  it('is registered by the plugin under PredictorFactory', async () => {
    const h = await createPluginHarness(plugin);
    expect(h.container.resolveAll(PredictorFactory).map((f) => f.kind)).toEqual(['lasso']);
  });
});
