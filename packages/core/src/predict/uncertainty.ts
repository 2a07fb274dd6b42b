import erfc from '@stdlib/math-base-special-erfc';

/**
 * `P(latency ≤ budget)` for a prediction with mean `mean` and standard deviation `std` (ms), taking
 * the predictive distribution as normal (exact for a Gaussian process and Bayesian ridge). A point
 * prediction (no std, or 0) gives 1 when the mean meets the budget, else 0.
 */
export function probabilityWithinBudget(mean: number, std: number | undefined, budgetMs: number): number {
  if (std === undefined || std <= 0) return mean <= budgetMs ? 1 : 0;
  return 0.5 * erfc((mean - budgetMs) / (std * Math.SQRT2));
}

/** Whether a prediction meets a budget: by its mean, or with `confidence` (0–1) by `P(latency ≤ budget) ≥ confidence`. */
export function meetsBudget(mean: number, std: number | undefined, budgetMs: number, confidence?: number): boolean {
  return confidence === undefined ? mean <= budgetMs : probabilityWithinBudget(mean, std, budgetMs) >= confidence;
}
