import gammaln from '@stdlib/math-base-special-gammaln';
import { besselK } from './bessel.js';

/**
 * The Matérn correlation of scaled distance `d = ‖x − x′‖ / ℓ` with smoothness ν, as scikit-learn's
 * `Matern` kernel computes it: closed forms for ν = 0.5 (exponential), 1.5, 2.5 and ∞ (squared
 * exponential); otherwise `2^{1−ν}/Γ(ν) · z^ν · K_ν(z)` with `z = √(2ν)·d`, and 1 at d = 0.
 */
export function maternCorrelation(d: number, nu: number): number {
  if (d === 0) return 1;
  if (nu === 0.5) return Math.exp(-d);
  if (nu === 1.5) {
    const z = Math.sqrt(3) * d;
    return (1 + z) * Math.exp(-z);
  }
  if (nu === 2.5) {
    const z = Math.sqrt(5) * d;
    return (1 + z + (z * z) / 3) * Math.exp(-z);
  }
  if (nu === Number.POSITIVE_INFINITY) return Math.exp(-0.5 * d * d);
  const z = Math.sqrt(2 * nu) * d;
  const k = besselK(nu, z);
  if (k === 0) return 0;
  return Math.exp((1 - nu) * Math.LN2 - gammaln(nu) + nu * Math.log(z) + Math.log(k));
}
