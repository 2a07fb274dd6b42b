import { HurricaneError } from '../errors.js';

/** How well predictions match measured latencies (docs/method.md §6 and the list). Percentages are 0–100. */
export interface PredictionMetrics {
  /** Number of compared rows. */
  readonly n: number;
  readonly rmseMs: number;
  readonly maeMs: number;
  /** Mean absolute percentage error, `100 · mean(|ŷ − y| / y)`. */
  readonly mapePct: number;
  /** Share of rows with `|ŷ − y| ≤ 5 % · y`. */
  readonly within5Pct: number;
  /** Share of rows with `|ŷ − y| ≤ 10 % · y` (nn-Meter's and LitePred's headline figure). */
  readonly within10Pct: number;
  /** Kendall's τ-b between predictions and measurements (rank agreement; what the search's comparisons need). */
  readonly kendallTau: number;
  /** Share of rows with `|ŷ − y| ≤ σ` (≈ 68.3 % when calibrated); only for models with a std. */
  readonly within1SigmaPct?: number;
  /** Share of rows with `|ŷ − y| ≤ 2σ` (≈ 95.4 % when calibrated); only for models with a std. */
  readonly within2SigmaPct?: number;
}

/**
 * Kendall's τ-b of two paired samples (ties in either counted as scipy.stats.kendalltau does);
 * O(n²), fine for the thousands of rows a latency data set has. NaN when either sample is constant.
 */
export function kendallTau(a: readonly number[], b: readonly number[]): number {
  let concordant = 0;
  let discordant = 0;
  let tiesA = 0;
  let tiesB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const da = Math.sign((a[j] as number) - (a[i] as number));
      const db = Math.sign((b[j] as number) - (b[i] as number));
      if (da === 0 && db === 0) continue;
      if (da === 0) tiesA++;
      else if (db === 0) tiesB++;
      else if (da === db) concordant++;
      else discordant++;
    }
  }
  return (concordant - discordant) / Math.sqrt((concordant + discordant + tiesA) * (concordant + discordant + tiesB));
}

/** Ranks 1..n of `v`, ties given the mean of the ranks they span (scipy.stats.rankdata's `average`). */
function averageRanks(v: readonly number[]): number[] {
  const order = v.map((x, i) => [x, i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(v.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && (order[j + 1] as readonly [number, number])[0] === (order[i] as readonly [number, number])[0]) j++;
    for (let k = i; k <= j; k++) ranks[(order[k] as readonly [number, number])[1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

/** Spearman's ρ of two paired samples: Pearson's r of their average ranks (as scipy.stats.spearmanr). NaN when either is constant. */
export function spearmanRho(a: readonly number[], b: readonly number[]): number {
  const ra = averageRanks(a);
  const rb = averageRanks(b);
  const mean = (ra.length + 1) / 2;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < ra.length; i++) {
    const da = (ra[i] as number) - mean;
    const db = (rb[i] as number) - mean;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** The metrics of predictions `mean` (and `std`, when the model has one) against measured `truth`. */
export function predictionMetrics(truth: readonly number[], mean: readonly number[], std?: readonly number[]): PredictionMetrics {
  const n = truth.length;
  if (n === 0 || mean.length !== n || (std && std.length !== n)) {
    throw new HurricaneError(`metrics need as many predictions as measurements (got ${mean.length} and ${n})`);
  }
  let se = 0;
  let ae = 0;
  let ape = 0;
  let w5 = 0;
  let w10 = 0;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const y = truth[i] as number;
    const e = Math.abs((mean[i] as number) - y);
    se += e * e;
    ae += e;
    ape += e / y;
    if (e <= 0.05 * y) w5++;
    if (e <= 0.1 * y) w10++;
    if (std) {
      const s = std[i] as number;
      if (e <= s) s1++;
      if (e <= 2 * s) s2++;
    }
  }
  const pct = (k: number): number => (100 * k) / n;
  return {
    n,
    rmseMs: Math.sqrt(se / n),
    maeMs: ae / n,
    mapePct: (100 * ape) / n,
    within5Pct: pct(w5),
    within10Pct: pct(w10),
    kendallTau: kendallTau(mean, truth),
    ...(std ? { within1SigmaPct: pct(s1), within2SigmaPct: pct(s2) } : {}),
  };
}
