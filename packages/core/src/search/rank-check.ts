// The rank check: does the supernet's fitness order architectures the way training them on their
// own does? Which paths to train, and how well the two orders agree, with bootstrap intervals.
// Pure: the workflow trains the paths.
import { kendallTau, spearmanRho } from '../predict/metrics.js';
import { Rng, hash32 } from '../random.js';
import type { Architecture } from '../space/architecture.js';
import { type EvaluatedCandidate, better } from './evolution.js';

/**
 * The `k` paths of a rank check among one step's evaluated candidates: the winner (the best), then
 * one seeded pick from each of `k − 1` equal slices of the others in fitness order, so the paths
 * spread over the whole fitness range. Fewer when fewer were evaluated.
 */
export function rankCheckPaths(evaluated: readonly EvaluatedCandidate[], k: number, seed: number): EvaluatedCandidate[] {
  const sorted = [...evaluated].sort(better);
  const [winner, ...rest] = sorted;
  if (!winner || k < 1) return [];
  const slices = Math.min(k - 1, rest.length);
  const rng = new Rng(hash32(`${seed}:rank-check`));
  const picked = Array.from({ length: slices }, (_, s) => {
    const from = Math.floor((s * rest.length) / slices);
    const to = Math.floor(((s + 1) * rest.length) / slices);
    return rest[rng.int(from, to - 1)] as EvaluatedCandidate;
  });
  return [winner, ...picked];
}

/** How well supernet fitness agrees with standalone accuracy over the rank check's paths. */
export interface RankAgreement {
  readonly paths: number;
  /** Kendall τ-b and Spearman ρ between fitness and standalone accuracy (NaN when either is constant). */
  readonly kendallTau: number;
  readonly spearmanRho: number;
  /** 95 % percentile-bootstrap intervals over the paths (resamples where either side is constant are left out). */
  readonly kendallInterval: readonly [number, number];
  readonly spearmanInterval: readonly [number, number];
  readonly bootstrap: number;
  /** The winner's place by standalone accuracy among the paths (1 = the best; ties counted in its favour). */
  readonly winnerRank: number;
}

const percentile = (sorted: readonly number[], q: number) =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] as number);

/** {@link RankAgreement} of paired `fitness` and `standalone` accuracies; the winner is at index `winner`. */
export function rankAgreement(
  fitness: readonly number[],
  standalone: readonly number[],
  winner: number,
  o: { bootstrap: number; seed: number },
): RankAgreement {
  const rng = new Rng(hash32(`${o.seed}:rank-bootstrap`));
  const taus: number[] = [];
  const rhos: number[] = [];
  const n = fitness.length;
  for (let b = 0; b < o.bootstrap; b++) {
    const idx = Array.from({ length: n }, () => rng.int(0, n - 1));
    const f = idx.map((i) => fitness[i] as number);
    const s = idx.map((i) => standalone[i] as number);
    const t = kendallTau(f, s);
    const r = spearmanRho(f, s);
    if (Number.isFinite(t)) taus.push(t);
    if (Number.isFinite(r)) rhos.push(r);
  }
  taus.sort((a, b) => a - b);
  rhos.sort((a, b) => a - b);
  const w = standalone[winner] as number;
  return {
    ...{ paths: n, kendallTau: kendallTau(fitness, standalone), spearmanRho: spearmanRho(fitness, standalone) },
    kendallInterval: [percentile(taus, 0.025), percentile(taus, 0.975)],
    spearmanInterval: [percentile(rhos, 0.025), percentile(rhos, 0.975)],
    bootstrap: o.bootstrap,
    winnerRank: 1 + standalone.filter((s) => s > w).length,
  };
}

/** A rank-check path with both accuracies. */
export interface CheckedPath {
  readonly arch: Architecture;
  readonly fitness: number;
  readonly standalone: number;
}
