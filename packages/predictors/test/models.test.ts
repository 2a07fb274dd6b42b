import { Rng } from '@hurricane/core/adapter-kit';
import { createPluginHarness } from '@hurricane/core/testing';
import { PredictorFactory } from '@hurricane/core/plugin';
import { describe, expect, it } from 'vitest';
import plugin, {
  BayesianRidgePredictor,
  GaussianProcessPredictor,
  LassoPredictor,
  bayesianRidgeFactory,
  besselK,
  gaussianProcessFactory,
  lassoFactory,
  lookupTableFactory,
} from '../src/index.js';

/** One-hot rows of `layers` layers × `cands` candidates from a seeded LCG, and y = 0.5 + Σ w. */
function synthetic(n: number, layers: number, cands: number, w: (j: number) => number, seed = 1) {
  const rng = new Rng(seed);
  const next = () => rng.int(0, cands - 1);
  const x = Array.from({ length: n }, () => {
    const row = new Array<number>(layers * cands).fill(0);
    for (let l = 0; l < layers; l++) row[l * cands + next()] = 1;
    return row;
  });
  const y = x.map((row) => row.reduce((a, v, j) => a + v * w(j), 0.5));
  return { x, y };
}
const features = (p: number, table?: number[]) => ({
  columns: Array.from({ length: p }, (_, j) => `c${j}`),
  ...(table ? { operatorLatencyMs: table } : {}),
});

describe('Bessel K and the Matérn kernel: known values', () => {
  it('K_0.5(x) = sqrt(π/(2x))·e^(−x) and K_1.5(x) = K_0.5(x)·(1 + 1/x) (closed forms, hand-computable)', () => {
    for (const x of [0.01, 0.7, 2, 3.5, 40]) {
      const k05 = Math.sqrt(Math.PI / (2 * x)) * Math.exp(-x);
      expect(besselK(0.5, x) / k05).toBeCloseTo(1, 13);
      expect(besselK(1.5, x) / (k05 * (1 + 1 / x))).toBeCloseTo(1, 13);
    }
  });
  it('K is even in its order and K_0.35(1) lies between the tabulated K_0(1) = 0.42102 and K_1(1) = 0.60191 (A&S Table 9.8)', () => {
    expect(besselK(-0.35, 1)).toBe(besselK(0.35, 1));
    expect(besselK(0.35, 1)).toBeGreaterThan(0.42102443824070834); // K_0(1)
    expect(besselK(0.35, 1)).toBeLessThan(0.6019072301972346); // K_1(1): K_ν(x) grows with ν
  });
  it('rejects x < 0 and returns +∞ at 0', () => {
    expect(() => besselK(0.35, -1)).toThrow(/x ≥ 0/);
    expect(besselK(0.35, 0)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('fits on synthetic data with known coefficients', () => {
  const truth = (j: number) => 0.1 + 0.05 * (j % 7);
  const { x, y } = synthetic(300, 6, 4, truth);
  it('Lasso with α = 0 recovers every within-layer coefficient difference of a noiseless additive latency to 1e-6', async () => {
    const p = new LassoPredictor({ alpha: 0, tol: 1e-12, maxIter: 100_000 });
    await p.fit(x, y);
    const { coef } = p.coefficients();
    // One-hot layers are collinear with the intercept: only differences within a layer are identified.
    for (let l = 0; l < 6; l++)
      for (let c = 1; c < 4; c++)
        expect((coef[l * 4 + c] as number) - (coef[l * 4] as number)).toBeCloseTo(truth(l * 4 + c) - truth(l * 4), 6);
    expect(p.predict(x).mean.every((m, i) => Math.abs(m - (y[i] as number)) < 1e-6)).toBe(true);
  });
  it("Bayesian ridge predicts a noiseless additive latency to 1e-3; its centred std is small but positive, scikit-learn's carries the prior variance of the undetermined one-hot directions", async () => {
    const wide = new BayesianRidgePredictor();
    await wide.fit(x, y);
    expect(Math.min(...(wide.predict(x).std ?? [0]))).toBeGreaterThan(0.05);
    const p = new BayesianRidgePredictor({ std: 'centred' });
    await p.fit(x, y);
    const r = p.predict(x);
    for (const [i, m] of r.mean.entries()) expect(Math.abs(m - (y[i] as number))).toBeLessThan(1e-3);
    expect(Math.max(...(r.std ?? [1]))).toBeLessThan(1e-2);
    expect(Math.min(...(r.std ?? [0]))).toBeGreaterThan(0);
  });
  it('the lookup table fits scale 2 and offset 0.3 exactly when y = 2·Σ table + 0.3', async () => {
    const table = Array.from({ length: 24 }, (_, j) => truth(j));
    const p = lookupTableFactory.create({}, features(24, table));
    await p.fit(
      x,
      x.map((row) => 2 * row.reduce((a, v, j) => a + v * (table[j] as number), 0) + 0.3),
    );
    expect(p.serialize().hyperparameters).toMatchObject({ scale: expect.closeTo(2, 10), offset: expect.closeTo(0.3, 10) });
  });
  it("the GP's std grows away from the training data and its 2σ band covers noisy held-out points", async () => {
    const noisy = synthetic(200, 6, 4, truth, 7);
    const rng = new Rng(3);
    const noise = () => rng.normal(0, 0.01);
    const yn = noisy.y.map((v) => v + noise());
    const gp = new GaussianProcessPredictor({ nu: 1.5 });
    await gp.fit(noisy.x.slice(0, 150), yn.slice(0, 150));
    const p = gp.predict(noisy.x.slice(150));
    const covered = p.mean.filter((m, i) => Math.abs(m - (yn[150 + i] as number)) <= 2 * ((p.std ?? [])[i] as number)).length;
    expect(covered / 50).toBeGreaterThan(0.85);
    const far = gp.predict([new Array<number>(24).fill(0)]); // no operator at all: far from every row
    expect((far.std ?? [])[0]).toBeGreaterThan(Math.max(...(p.std ?? [])));
  });
});

describe('serialization, options and bad input', () => {
  const { x, y } = synthetic(60, 3, 4, (j) => 0.2 + 0.01 * j);
  for (const factory of [gaussianProcessFactory, lassoFactory, bayesianRidgeFactory, lookupTableFactory]) {
    it(`${factory.kind}: a JSON round trip predicts the same, and a newer format version is refused saying to upgrade`, async () => {
      const p = factory.create(
        {},
        features(
          12,
          Array.from({ length: 12 }, (_, j) => 0.01 * j),
        ),
      );
      await p.fit(x, y);
      const saved = JSON.parse(JSON.stringify(p.serialize()));
      expect(factory.deserialize(saved).predict(x.slice(0, 5))).toEqual(p.predict(x.slice(0, 5)));
      expect(() => factory.deserialize({ ...saved, version: 99 })).toThrow(/newer than this @hurricane\/predictors reads.*upgrade/);
      expect(() => p.predict([[1, 0, 0]])).toThrow(/row 1 has 3 features, the model expects 12/);
      expect(() => p.predict([[...(x[0] as number[]).slice(0, 11), Number.NaN]])).toThrow(/row 1, feature 12 is NaN/);
    });
  }
  it('unknown or out-of-range options name the option', () => {
    expect(() => lassoFactory.create({ nu: 0.5 }, features(3))).toThrow(
      /lasso: unknown option 'nu' \(lasso takes alpha, cvFolds, nAlphas, eps, maxIter, tol\)/,
    );
    expect(() => gaussianProcessFactory.create({ nu: -1 }, features(3))).toThrow(/gp: option 'nu'/);
    expect(() => lookupTableFactory.create({}, features(3))).toThrow(/no profiled operator latencies/);
  });
  it('fitting needs at least two rows, as many latencies as rows, and finite latencies', async () => {
    await expect(new LassoPredictor().fit([[1, 0]], [1])).rejects.toThrow(/at least 2 rows/);
    await expect(
      new LassoPredictor().fit(
        [
          [1, 0],
          [0, 1],
        ],
        [1],
      ),
    ).rejects.toThrow(/2 rows but 1 latencies/);
    await expect(
      new BayesianRidgePredictor().fit(
        [
          [1, 0],
          [0, 1],
        ],
        [1, Number.NaN],
      ),
    ).rejects.toThrow(/latency 2 is NaN/);
  });
  it('the plugin registers gp, lasso, bayesian-ridge and lut under PredictorFactory', async () => {
    const h = await createPluginHarness(plugin);
    expect(h.container.resolveAll(PredictorFactory).map((f) => f.kind)).toEqual(['gp', 'lasso', 'bayesian-ridge', 'lut']);
  });
});
