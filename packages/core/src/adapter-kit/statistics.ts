import type { SampleSummary } from '../contracts/hardware-adapter.js';

export type { SampleSummary };

/** Percentile `q` ∈ [0, 100] of sorted values, linear interpolation between closest ranks (numpy's default). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new RangeError('percentile of no samples');
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${q}`);
  const pos = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

/**
 * Median, mean, p10, p90, coefficient of variation (sample standard deviation ÷ mean) and the
 * indices of outliers: samples whose modified z-score |0.6745·(x − median) / MAD| exceeds 3.5
 * (Iglewicz & Hoaglin). Outliers are reported; they stay in every statistic but the median is robust to them.
 */
export function summarizeSamples(samplesMs: readonly number[]): SampleSummary {
  if (samplesMs.length === 0) throw new RangeError('cannot summarise zero latency samples');
  for (const s of samplesMs) {
    if (!Number.isFinite(s) || s < 0) throw new RangeError(`latency samples must be finite and ≥ 0 ms, got ${s}`);
  }
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((acc, x) => acc + x, 0) / n;
  const variance = n > 1 ? sorted.reduce((acc, x) => acc + (x - mean) ** 2, 0) / (n - 1) : 0;
  const median = percentile(sorted, 50);
  const mad = percentile(
    samplesMs.map((x) => Math.abs(x - median)).sort((a, b) => a - b),
    50,
  );
  const outlierIndices: number[] = [];
  if (mad > 0) {
    samplesMs.forEach((x, i) => {
      if (Math.abs((0.6745 * (x - median)) / mad) > 3.5) outlierIndices.push(i);
    });
  }
  return {
    medianMs: median,
    meanMs: mean,
    p10Ms: percentile(sorted, 10),
    p90Ms: percentile(sorted, 90),
    cov: mean > 0 ? Math.sqrt(variance) / mean : 0,
    outlierIndices,
  };
}
