import type { FeatureContext, PredictionBatch, Predictor, PredictorFactory, SerializedPredictor } from '@hurricane/core/plugin';
import { Rng } from '@hurricane/core/adapter-kit';
import { CholeskyDecomposition, Matrix, inverse } from 'ml-matrix';
import { z } from 'zod';
import { maternCorrelation } from './matern.js';
import { minimizeInBox } from './nelder-mead.js';
import { checkModelFormat, checkRows, checkTargets, parseOptions } from './rows.js';

const BOUNDS = [1e-5, 1e5] as const;

const optionsSchema = z
  .object({
    /** Matérn smoothness ν > 0 (paper: 0.35 on the DSP); 0.5, 1.5 and 2.5 use closed forms. */
    nu: z.number().positive().default(0.35),
    /** Length scale ℓ of the Matérn kernel (paper: 1.5); the starting point when fitted. */
    lengthScale: z.number().min(BOUNDS[0]).max(BOUNDS[1]).default(1.5),
    /** Signal variance (on normalised latencies when `normalizeY`). */
    amplitude: z.number().min(BOUNDS[0]).max(BOUNDS[1]).default(1),
    /** Noise variance added to the diagonal and to predictions (scikit-learn's WhiteKernel). */
    noise: z.number().min(BOUNDS[0]).max(BOUNDS[1]).default(0.01),
    /** Keep ℓ, amplitude and noise as given instead of maximising the log marginal likelihood. */
    fixed: z.boolean().default(false),
    /** Random restarts of the optimiser besides the given starting point (seeded). */
    restarts: z.number().int().min(0).default(2),
    seed: z.number().int().min(0).default(0),
    /** Subtract the mean and divide by the standard deviation of the latencies before fitting (scikit-learn's normalize_y). */
    normalizeY: z.boolean().default(true),
    /** Jitter added to the training diagonal (scikit-learn's alpha). */
    jitter: z.number().min(0).default(1e-10),
    /** Rows (a seeded subset) the hyper-parameters are fitted on; the final model uses every row. */
    maxOptimizationRows: z.number().int().min(2).default(400),
  })
  .strict();

export type GaussianProcessOptions = z.infer<typeof optionsSchema>;

interface Hyper {
  readonly amplitude: number;
  readonly lengthScale: number;
  readonly noise: number;
}

interface GpState {
  readonly x: number[][];
  readonly yMean: number;
  readonly yStd: number;
  readonly alpha: number[];
  readonly hyper: Hyper;
  readonly logMarginalLikelihood: number;
}

function distances(a: readonly (readonly number[])[], b: readonly (readonly number[])[]): Float64Array {
  const out = new Float64Array(a.length * b.length);
  a.forEach((ra, i) => {
    b.forEach((rb, j) => {
      let s = 0;
      for (let k = 0; k < ra.length; k++) s += ((ra[k] as number) - (rb[k] as number)) ** 2;
      out[i * b.length + j] = Math.sqrt(s);
    });
  });
  return out;
}

/** amplitude · Matérn(d / ℓ) of every distance, with each distinct distance computed once (one-hot data have few). */
function kernelOf(d: Float64Array, rows: number, cols: number, h: Hyper, nu: number): Matrix {
  const memo = new Map<number, number>();
  const m = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const r = d[i * cols + j] as number;
      let v = memo.get(r);
      if (v === undefined) {
        v = h.amplitude * maternCorrelation(r / h.lengthScale, nu);
        memo.set(r, v);
      }
      m.set(i, j, v);
    }
  }
  return m;
}

/**
 * Gaussian-process regression with a Matérn kernel of any ν > 0 plus white noise, as scikit-learn's
 * `GaussianProcessRegressor(kernel=C(a)·Matern(ℓ, ν) + WhiteKernel(σ²), normalize_y=True)`: the
 * paper's DSP predictor (ℓ = 1.5, ν = 0.35). Hyper-parameters are kept fixed or fitted by maximising
 * the log marginal likelihood (Nelder–Mead in log space within scikit-learn's bounds [1e-5, 1e5],
 * seeded restarts). Predictions carry the predictive standard deviation, noise included.
 */
export class GaussianProcessPredictor implements Predictor {
  readonly kind = 'gp';
  readonly options: GaussianProcessOptions;
  private state: GpState | null = null;
  private lInverse: Matrix | null = null;

  constructor(options: Readonly<Record<string, unknown>> = {}) {
    this.options = parseOptions('gp', optionsSchema, options);
  }

  /** Log marginal likelihood of normalised targets `y` under hyper-parameters `h` (−∞ when K is not positive definite). */
  private logMarginal(
    d: Float64Array,
    y: readonly number[],
    h: Hyper,
  ): { lml: number; chol: CholeskyDecomposition | null; alpha: Matrix | null } {
    const n = y.length;
    const k = kernelOf(d, n, n, h, this.options.nu);
    for (let i = 0; i < n; i++) k.set(i, i, k.get(i, i) + h.noise + this.options.jitter);
    const chol = new CholeskyDecomposition(k);
    if (!chol.isPositiveDefinite()) return { lml: Number.NEGATIVE_INFINITY, chol: null, alpha: null };
    const alpha = chol.solve(Matrix.columnVector([...y]));
    const l = chol.lowerTriangularMatrix;
    let logDet = 0;
    let fit = 0;
    for (let i = 0; i < n; i++) {
      logDet += Math.log(l.get(i, i));
      fit += (y[i] as number) * alpha.get(i, 0);
    }
    return { lml: -0.5 * fit - logDet - 0.5 * n * Math.log(2 * Math.PI), chol, alpha };
  }

  /**
   * Maximises the log marginal likelihood over (ℓ, r = noise / amplitude) with the amplitude profiled
   * out in closed form: for K = a·(M_ℓ + rI), the best a is yᵀ(M_ℓ + rI)⁻¹y / n. Points whose
   * amplitude or noise would leave scikit-learn's bounds [1e-5, 1e5] are infeasible.
   */
  private optimise(x: readonly (readonly number[])[], y: readonly number[]): Hyper {
    const o = this.options;
    const rows =
      x.length > o.maxOptimizationRows ? new Rng(o.seed).shuffle(x.map((_, i) => i)).slice(0, o.maxOptimizationRows) : x.map((_, i) => i);
    const xs = rows.map((i) => x[i] as number[]);
    const ys = rows.map((i) => y[i] as number);
    const d = distances(xs, xs);
    const n = ys.length;
    const inBounds = (v: number) => v >= BOUNDS[0] && v <= BOUNDS[1];
    // With K = a·U (U = M_ℓ + rI): LML(a) = −q/(2a) − (n/2)·log a − log|L_U| − (n/2)·log 2π, q = yᵀU⁻¹y; best a = q/n.
    const evaluate = (t: number[]): { h: Hyper; lml: number } | null => {
      const lengthScale = Math.exp(t[0] as number);
      const ratio = Math.exp(t[1] as number);
      const unit = this.logMarginal(d, ys, { amplitude: 1, lengthScale, noise: ratio });
      if (!unit.alpha) return null;
      const q = ys.reduce((a, v, i) => a + v * (unit.alpha as Matrix).get(i, 0), 0);
      const amplitude = q / n;
      if (!inBounds(amplitude) || !inBounds(amplitude * ratio)) return null;
      const logDetHalf = unit.lml + 0.5 * q + 0.5 * n * Math.log(2 * Math.PI); // = −log|L_U|
      return {
        h: { amplitude, lengthScale, noise: amplitude * ratio },
        lml: -0.5 * n - 0.5 * n * Math.log(amplitude) + logDetHalf - 0.5 * n * Math.log(2 * Math.PI),
      };
    };
    const objective = (t: number[]) => -(evaluate(t)?.lml ?? Number.NEGATIVE_INFINITY);
    const lo = Math.log(BOUNDS[0]);
    const hi = Math.log(BOUNDS[1]);
    const box = { lower: [lo, 2 * lo], upper: [hi, 2 * hi], maxEvaluations: 300 };
    const rng = new Rng(o.seed + 1);
    const starts = [[Math.log(o.lengthScale), Math.log(o.noise / o.amplitude)]];
    for (let r = 0; r < o.restarts; r++) starts.push([lo + (hi - lo) * rng.next(), 2 * lo + 2 * (hi - lo) * rng.next()]);
    let best = { x: starts[0] as number[], value: Number.POSITIVE_INFINITY };
    for (const start of starts) {
      let run = minimizeInBox(objective, start, box);
      run = minimizeInBox(objective, run.x, { ...box, step: 0.1, maxEvaluations: 100 }); // restart at the optimum: Nelder–Mead can stall
      if (run.value < best.value) best = run;
    }
    const h = Number.isFinite(best.value) ? evaluate(best.x)?.h : null;
    if (!h) throw new RangeError('gp: no hyper-parameters within [1e-5, 1e5] give a positive-definite kernel matrix; raise the noise');
    return h;
  }

  async fit(x: readonly (readonly number[])[], y: readonly number[]): Promise<void> {
    checkRows('gp', x);
    checkTargets('gp', y, x.length, 2);
    const n = y.length;
    const mean = this.options.normalizeY ? y.reduce((a, b) => a + b, 0) / n : 0;
    const sd = this.options.normalizeY ? Math.sqrt(y.reduce((a, b) => a + (b - mean) ** 2, 0) / n) || 1 : 1;
    const yn = y.map((v) => (v - mean) / sd);
    const o = this.options;
    const hyper = o.fixed ? { amplitude: o.amplitude, lengthScale: o.lengthScale, noise: o.noise } : this.optimise(x, yn);
    const r = this.logMarginal(distances(x, x), yn, hyper);
    if (!r.alpha || !r.chol) throw new RangeError('gp: the kernel matrix is not positive definite; raise the noise');
    this.state = { x: x.map((row) => [...row]), yMean: mean, yStd: sd, alpha: r.alpha.getColumn(0), hyper, logMarginalLikelihood: r.lml };
    this.lInverse = null;
  }

  /** The fitted hyper-parameters and log marginal likelihood (of the normalised latencies, as scikit-learn reports it). */
  fitted(): Hyper & { logMarginalLikelihood: number } {
    if (!this.state) throw new Error('gp: not fitted');
    return { ...this.state.hyper, logMarginalLikelihood: this.state.logMarginalLikelihood };
  }

  private inverseFactor(s: GpState): Matrix {
    if (!this.lInverse) {
      const k = kernelOf(distances(s.x, s.x), s.x.length, s.x.length, s.hyper, this.options.nu);
      for (let i = 0; i < s.x.length; i++) k.set(i, i, k.get(i, i) + s.hyper.noise + this.options.jitter);
      this.lInverse = inverse(new CholeskyDecomposition(k).lowerTriangularMatrix);
    }
    return this.lInverse;
  }

  predict(x: readonly (readonly number[])[]): PredictionBatch {
    const s = this.state;
    if (!s) throw new Error('gp: predict() called before fit()');
    checkRows('gp', x, s.x[0]?.length);
    const mean: number[] = [];
    const std: number[] = [];
    const lInv = this.inverseFactor(s);
    for (let from = 0; from < x.length; from += 1000) {
      const part = x.slice(from, from + 1000);
      const kStar = kernelOf(distances(part, s.x), part.length, s.x.length, s.hyper, this.options.nu);
      const m = kStar.mmul(Matrix.columnVector(s.alpha));
      const v = lInv.mmul(kStar.transpose());
      for (let j = 0; j < part.length; j++) {
        let q = 0;
        for (let i = 0; i < v.rows; i++) q += v.get(i, j) ** 2;
        const variance = Math.max(s.hyper.amplitude + s.hyper.noise - q, 0);
        mean.push(m.get(j, 0) * s.yStd + s.yMean);
        std.push(Math.sqrt(variance) * s.yStd);
      }
    }
    return { mean, std };
  }

  serialize(): SerializedPredictor {
    if (!this.state) throw new Error('gp: serialize() called before fit()');
    return { kind: this.kind, version: 1, hyperparameters: { ...this.options, ...this.state.hyper }, state: this.state };
  }

  static deserialize(data: SerializedPredictor): GaussianProcessPredictor {
    checkModelFormat('gp', data, 1);
    const { amplitude, lengthScale, noise, ...options } = data.hyperparameters as Record<string, unknown>;
    const p = new GaussianProcessPredictor({ ...options, amplitude, lengthScale, noise });
    const s = data.state as GpState;
    if (!s || !Array.isArray(s.x) || !Array.isArray(s.alpha) || s.alpha.length !== s.x.length || !s.hyper) {
      throw new Error('gp: the saved model is incomplete (needs x, alpha of the same length and hyper)');
    }
    p.state = s;
    return p;
  }
}

export const gaussianProcessFactory: PredictorFactory = {
  kind: 'gp',
  description: "Gaussian process, Matérn kernel of any ν (the paper's DSP predictor: ℓ = 1.5, ν = 0.35), with predictive std",
  hasUncertainty: true,
  create: (options: Readonly<Record<string, unknown>>, _features: FeatureContext) => new GaussianProcessPredictor(options),
  deserialize: (data) => GaussianProcessPredictor.deserialize(data),
};
