/** Options of {@link minimizeInBox}. */
export interface NelderMeadOptions {
  /** Lower and upper bound of each coordinate; points are clamped into the box. */
  readonly lower: readonly number[];
  readonly upper: readonly number[];
  /** Function evaluations at most (default 600). */
  readonly maxEvaluations?: number;
  /** Stop when the simplex's values differ by less than this (default 1e-10). */
  readonly fTolerance?: number;
  /** Initial simplex edge (default 0.5). */
  readonly step?: number;
}

/**
 * Minimises `f` from `start` by the Nelder–Mead simplex method (standard coefficients: reflection 1,
 * expansion 2, contraction ½, shrink ½) with every point clamped into a box. Used for the few
 * (log-)hyper-parameters of a Gaussian process, where each evaluation is one Cholesky
 * factorisation and gradients would need the kernel matrix's inverse.
 */
export function minimizeInBox(
  f: (x: number[]) => number,
  start: readonly number[],
  o: NelderMeadOptions,
): { x: number[]; value: number; evaluations: number } {
  const clamp = (x: number[]) => x.map((v, i) => Math.min(o.upper[i] as number, Math.max(o.lower[i] as number, v)));
  const maxEval = o.maxEvaluations ?? 600;
  const fTol = o.fTolerance ?? 1e-10;
  const step = o.step ?? 0.5;
  let evaluations = 0;
  const value = (x: number[]) => {
    evaluations++;
    const v = f(x);
    return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
  };
  const n = start.length;
  let simplex = [clamp([...start])];
  for (let i = 0; i < n; i++) {
    const p = [...start];
    p[i] = (p[i] as number) + ((p[i] as number) + step > (o.upper[i] as number) ? -step : step);
    simplex.push(clamp(p));
  }
  let values = simplex.map(value);
  while (evaluations < maxEval) {
    const order = values.map((_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
    simplex = order.map((i) => simplex[i] as number[]);
    values = order.map((i) => values[i] as number);
    const best = values[0] as number;
    const worst = values[n] as number;
    if (Number.isFinite(worst) && Math.abs(worst - best) <= fTol * (1 + Math.abs(best))) break;
    const centroid = Array.from({ length: n }, (_, j) => simplex.slice(0, n).reduce((a, p) => a + (p[j] as number), 0) / n);
    const along = (t: number) => clamp(centroid.map((c, j) => c + t * (c - ((simplex[n] as number[])[j] as number))));
    const xr = along(1);
    const fr = value(xr);
    if (fr < best) {
      const xe = along(2);
      const fe = value(xe);
      [simplex[n], values[n]] = fe < fr ? [xe, fe] : [xr, fr];
    } else if (fr < (values[n - 1] as number)) {
      [simplex[n], values[n]] = [xr, fr];
    } else {
      const xc = fr < worst ? along(0.5) : along(-0.5);
      const fc = value(xc);
      if (fc < Math.min(fr, worst)) {
        [simplex[n], values[n]] = [xc, fc];
      } else {
        const b = simplex[0] as number[];
        for (let i = 1; i <= n; i++) {
          simplex[i] = clamp((simplex[i] as number[]).map((v, j) => (b[j] as number) + 0.5 * (v - (b[j] as number))));
          values[i] = value(simplex[i] as number[]);
        }
      }
    }
  }
  const i = values.indexOf(Math.min(...values));
  return { x: simplex[i] as number[], value: values[i] as number, evaluations };
}
