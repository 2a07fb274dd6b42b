// One reduced space for several targets (issue 23, item 3). The paper reduces the space per chip:
// each layer keeps the operators that score best on that chip. A network for a fleet is searched in
// one supernet, so the targets must share one space. Two rules, compared in docs/search.md on two
// real targets (`npm run bench:shared-space`):
// - `worst`: each operator's score on each target, divided by the best score of its layer there
//   (with the default Eq. 4, the fastest latency over its own: 1 for the fastest); an operator
//   counts with its worst target, and each layer keeps the `keep` best by that;
// - `union`: each target's own kept set, merged, ordered by the best rank any target gives an
//   operator, and cut at `cap`.
import type { ReducedLayer, ReducedSpace } from './reduction.js';

/** How several targets' reduced spaces become one. */
export type SharedSpaceRule = 'worst' | 'union';

/** Options of {@link shareSpace}. */
export interface SharedSpaceOptions {
  readonly rule: SharedSpaceRule;
  /** Operators each layer keeps (`worst`), as `reduction.keep`. */
  readonly keep: number;
  /** Most operators a layer keeps under `union` (default: every one a target keeps). */
  readonly cap?: number;
}

/** The shared space: per layer its candidates, best first, and the initial architecture (each layer's first). */
export interface SharedSpace {
  readonly rule: SharedSpaceRule;
  readonly candidates: readonly (readonly string[])[];
  readonly initialArch: readonly string[];
}

/** Each operator's worst score over the targets, relative to the best score of the layer on each target. */
function worstRelativeScores(layers: readonly ReducedLayer[]): Map<string, number> {
  const worst = new Map<string, number>();
  for (const layer of layers) {
    const best = Math.max(...layer.ranking.map((r) => r.score));
    for (const r of layer.ranking) worst.set(r.operator, Math.min(worst.get(r.operator) ?? 1, r.score / best));
  }
  // an operator some target did not rank cannot be judged on it: left out
  for (const op of [...worst.keys()]) if (!layers.every((l) => l.ranking.some((r) => r.operator === op))) worst.delete(op);
  return worst;
}

/** The union of the targets' kept sets in one layer, by the best rank a target gives each operator (then by the first target's rank). */
function unionOfKept(layers: readonly ReducedLayer[], cap: number): string[] {
  const rank = (op: string) => Math.min(...layers.map((l) => (l.kept.includes(op) ? l.kept.indexOf(op) : Number.POSITIVE_INFINITY)));
  const first = (op: string) => (layers[0] as ReducedLayer).ranking.findIndex((r) => r.operator === op);
  const all = [...new Set(layers.flatMap((l) => l.kept))];
  return all.sort((a, b) => rank(a) - rank(b) || first(a) - first(b)).slice(0, cap);
}

/**
 * One space for every target of `spaces` (each target's reduced space of the same preset and
 * layers), by `o.rule`. Throws a RangeError when the spaces do not describe the same layers.
 */
export function shareSpace(spaces: readonly ReducedSpace[], o: SharedSpaceOptions): SharedSpace {
  const [first] = spaces;
  if (first === undefined) throw new RangeError('shareSpace needs at least one reduced space');
  for (const s of spaces)
    if (s.preset !== first.preset || s.layers.length !== first.layers.length)
      throw new RangeError(
        `the reduced spaces differ in preset or layers (${first.preset}: ${first.layers.length}, ${s.preset}: ${s.layers.length})`,
      );
  const candidates = first.layers.map((_, l) => {
    const layers = spaces.map((s) => s.layers[l] as ReducedLayer);
    if (o.rule === 'union') return unionOfKept(layers, o.cap ?? Number.POSITIVE_INFINITY);
    const worst = worstRelativeScores(layers);
    return [...worst.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .slice(0, o.keep)
      .map(([op]) => op);
  });
  return { rule: o.rule, candidates, initialArch: candidates.map((c) => c[0] as string) };
}
