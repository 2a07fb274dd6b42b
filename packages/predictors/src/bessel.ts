import gammaln from '@stdlib/math-base-special-gammaln';

const EPS = 1e-16;
const MAX_ITERATIONS = 10_000;
const EULER_GAMMA = 0.5772156649015329;

/**
 * Temme's auxiliary gamma functions of |μ| ≤ 1/2: `gam1 = (1/Γ(1−μ) − 1/Γ(1+μ)) / (2μ)`,
 * `gam2 = (1/Γ(1−μ) + 1/Γ(1+μ)) / 2`, `gampl = 1/Γ(1+μ)`, `gammi = 1/Γ(1−μ)`. For |μ| < 0.01 the
 * difference would cancel, so `gam1` comes from the odd part of the series 1/Γ(1+z) = Σ c_{k+1} z^k
 * (Abramowitz & Stegun 6.1.34): gam1 = −(c2 + c4 μ² + c6 μ⁴ + c8 μ⁶).
 */
function temmeGammas(mu: number): { gam1: number; gam2: number; gampl: number; gammi: number } {
  const gampl = Math.exp(-gammaln(1 + mu));
  const gammi = Math.exp(-gammaln(1 - mu));
  const m2 = mu * mu;
  const gam1 =
    Math.abs(mu) < 0.01
      ? -(EULER_GAMMA + m2 * (-0.0420026350340952 + m2 * (-0.0421977345555443 + m2 * 0.007218943246663)))
      : (gammi - gampl) / (2 * mu);
  return { gam1, gam2: (gammi + gampl) / 2, gampl, gammi };
}

/** K_μ(x) and K_{μ+1}(x) for |μ| ≤ 1/2 and 0 < x ≤ 2 by Temme's series. */
function temmeSeries(mu: number, x: number): [number, number] {
  const { gam1, gam2, gampl, gammi } = temmeGammas(mu);
  const x2 = 0.5 * x;
  const pimu = Math.PI * mu;
  const fact = Math.abs(pimu) < EPS ? 1 : pimu / Math.sin(pimu);
  let d = -Math.log(x2);
  let e = mu * d;
  const fact2 = Math.abs(e) < EPS ? 1 : Math.sinh(e) / e;
  let ff = fact * (gam1 * Math.cosh(e) + gam2 * fact2 * d);
  let sum = ff;
  e = Math.exp(e);
  let p = (0.5 * e) / gampl;
  let q = 0.5 / (e * gammi);
  let c = 1;
  d = x2 * x2;
  let sum1 = p;
  for (let i = 1; i <= MAX_ITERATIONS; i++) {
    ff = (i * ff + p + q) / (i * i - mu * mu);
    c *= d / i;
    p /= i - mu;
    q /= i + mu;
    const del = c * ff;
    sum += del;
    sum1 += c * (p - i * ff);
    if (Math.abs(del) < Math.abs(sum) * EPS) return [sum, (sum1 * 2) / x];
  }
  throw new Error(`besselK: Temme's series did not converge for order ${mu}, x = ${x}`);
}

/** K_μ(x) and K_{μ+1}(x) for |μ| ≤ 1/2 and x > 2 by Steed's continued fraction CF2 (Temme's normalisation). */
function steedFraction(mu: number, x: number): [number, number] {
  let b = 2 * (1 + x);
  let d = 1 / b;
  let h = d;
  let delh = d;
  let q1 = 0;
  let q2 = 1;
  const a1 = 0.25 - mu * mu;
  let q = a1;
  let c = a1;
  let a = -a1;
  let s = 1 + q * delh;
  for (let i = 1; i <= MAX_ITERATIONS; i++) {
    a -= 2 * i;
    c = (-a * c) / (i + 1);
    const qnew = (q1 - b * q2) / a;
    q1 = q2;
    q2 = qnew;
    q += c * qnew;
    b += 2;
    d = 1 / (b + a * d);
    delh = (b * d - 1) * delh;
    h += delh;
    const dels = q * delh;
    s += dels;
    if (Math.abs(dels / s) < EPS) {
      const kmu = (Math.sqrt(Math.PI / (2 * x)) * Math.exp(-x)) / s;
      return [kmu, (kmu * (mu + x + 0.5 - a1 * h)) / x];
    }
  }
  throw new Error(`besselK: the continued fraction did not converge for order ${mu}, x = ${x}`);
}

/**
 * The modified Bessel function of the second kind K_ν(x) for any real order ν and x > 0
 * (K_{−ν} = K_ν): Temme's method — the series for x ≤ 2, Steed's continued fraction above —
 * at the fractional order μ = ν − round(ν), then the upward recurrence
 * K_{μ+k+1} = K_{μ+k−1} + (2(μ+k)/x)·K_{μ+k}, which is stable for K. Relative accuracy ≈ 1e-14.
 * Returns +∞ at x = 0 and 0 once K underflows (x > 705).
 */
export function besselK(nu: number, x: number): number {
  if (!Number.isFinite(nu) || Number.isNaN(x) || x < 0) throw new RangeError(`besselK needs a finite order and x ≥ 0, got K_${nu}(${x})`);
  if (x === 0) return Number.POSITIVE_INFINITY;
  if (x > 705) return 0;
  const order = Math.abs(nu);
  const nl = Math.floor(order + 0.5);
  const mu = order - nl;
  let [kmu, k1] = x <= 2 ? temmeSeries(mu, x) : steedFraction(mu, x);
  for (let i = 1; i <= nl; i++) {
    const next = ((mu + i) * 2 * k1) / x + kmu;
    kmu = k1;
    k1 = next;
  }
  return kmu;
}
