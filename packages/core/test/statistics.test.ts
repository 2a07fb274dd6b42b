import { describe, expect, it } from 'vitest';
import { percentile, summarizeSamples } from '../src/adapter-kit/statistics.js';

describe('summarizeSamples', () => {
  it('matches hand-computed statistics', () => {
    // sorted: 1 2 3 4 10; mean 4; sample sd = sqrt(((9+4+1+0+36)/4)) = sqrt(12.5)
    const s = summarizeSamples([3, 1, 10, 2, 4]);
    expect(s.medianMs).toBe(3);
    expect(s.meanMs).toBe(4);
    expect(s.p10Ms).toBeCloseTo(1.4, 12); // numpy.percentile([1,2,3,4,10], 10) = 1.4
    expect(s.p90Ms).toBeCloseTo(7.6, 12); // numpy.percentile(..., 90) = 7.6
    expect(s.cov).toBeCloseTo(Math.sqrt(12.5) / 4, 12);
  });

  it('flags outliers by modified z-score without dropping them', () => {
    const samples = [1.0, 1.01, 0.99, 1.02, 0.98, 1.0, 5.0];
    const s = summarizeSamples(samples);
    expect(s.outlierIndices).toEqual([6]);
    expect(s.meanMs).toBeCloseTo(samples.reduce((a, b) => a + b) / 7, 12);
  });

  it('handles a single sample and identical samples', () => {
    expect(summarizeSamples([2])).toMatchObject({ medianMs: 2, meanMs: 2, p10Ms: 2, p90Ms: 2, cov: 0, outlierIndices: [] });
    expect(summarizeSamples([2, 2, 2]).outlierIndices).toEqual([]);
  });

  it('rejects empty, negative and non-finite samples', () => {
    expect(() => summarizeSamples([])).toThrow(/zero latency samples/);
    expect(() => summarizeSamples([1, -1])).toThrow(/finite and ≥ 0/);
    expect(() => summarizeSamples([1, Number.NaN])).toThrow(/finite and ≥ 0/);
    expect(() => percentile([1], 101)).toThrow(/\[0, 100\]/);
  });
});
