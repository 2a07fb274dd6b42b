import { describe, expect, it } from 'vitest';
import { HurricaneError } from '../src/errors.js';
import { Rng } from '../src/random.js';
import {
  type EvolutionState,
  type IterationResult,
  LatencyConstraint,
  type LatencyModel,
  SearchSpace,
  type SupernetTrainer,
  type FitnessNoise,
  activeLayersOf,
  coordinateAscent,
  evolve,
  summariseFitnessNoise,
} from '../src/search/index.js';
import { kendallTau } from '../src/predict/metrics.js';

// A synthetic problem small enough to brute-force: 8 layers × 4 operators (65,536 architectures).
// Accuracy and latency are additive over layers with fixed, seeded per-(layer, op) tables, so the
// constrained optimum is known exactly by enumeration.
/** SPOS's evolution settings, written out: population 50, 20 generations, top 10, 25 mutations (p = 0.1), 25 crossovers. */
const SPOS_EVOLUTION_SETTINGS = { population: 50, generations: 20, topK: 10, mutations: 25, crossovers: 25, mutationProb: 0.1 };
const L = 8;
const OPS = ['a', 'b', 'c', 'd'];
const candidates = Array.from({ length: L }, () => OPS);
const tableRng = new Rng(42);
const cost = candidates.map(() => OPS.map(() => 1 + tableRng.next()));
// slower operators tend to be more accurate, as in a real space
const gain = cost.map((row) => row.map((c) => 0.7 * (c - 1) + 0.3 * tableRng.next()));
const score = (a: readonly string[]) => a.reduce((s, op, l) => s + (gain[l]?.[OPS.indexOf(op)] as number), 0);
const latency = (a: readonly string[]) => a.reduce((s, op, l) => s + (cost[l]?.[OPS.indexOf(op)] as number), 0);
const model: LatencyModel = { predict: (archs) => ({ mean: archs.map(latency) }) };
const fitness = (a: readonly string[]) => score(a) / L; // an "accuracy" in [0, 1]

function* everyArch(): Generator<string[]> {
  for (let code = 0; code < OPS.length ** L; code++)
    yield Array.from({ length: L }, (_, l) => OPS[Math.floor(code / OPS.length ** l) % OPS.length] as string);
}
function bruteForce(budget: number): { arch: string[]; fitness: number; minLatency: number } {
  let best: string[] = [];
  let bestF = Number.NEGATIVE_INFINITY;
  let minLatency = Number.POSITIVE_INFINITY;
  for (const a of everyArch()) {
    minLatency = Math.min(minLatency, latency(a));
    if (latency(a) <= budget && fitness(a) > bestF) {
      bestF = fitness(a);
      best = a;
    }
  }
  return { arch: best, fitness: bestF, minLatency };
}

/** An evaluator of the synthetic fitness that counts its calls per architecture. */
function countingEvaluator() {
  const calls = new Map<string, number>();
  return {
    calls,
    evaluate: async (a: readonly string[]) => {
      calls.set(a.join(','), (calls.get(a.join(',')) ?? 0) + 1);
      return { accuracy: fitness(a), loss: 1 - fitness(a) };
    },
  };
}

describe('SearchSpace (sample, mutate, crossover, encode, active/fixed layers)', () => {
  const fixed = candidates.map(() => 'a');
  const space = new SearchSpace(candidates, [5, 6, 7], fixed);

  it('samples only the active layers; inactive layers keep the fixed operator', () => {
    const rng = new Rng(1);
    const seen = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const a = space.sample(rng);
      expect(a.slice(0, 5)).toEqual(['a', 'a', 'a', 'a', 'a']);
      seen.add(a.slice(5).join(','));
      expect(space.contains(a)).toBe(true);
    }
    expect(seen.size).toBe(64); // 4³ combinations of the active layers, all reached
    expect(space.size).toBe(64);
  });

  it('mutation with p = 0 changes nothing, with p = 1 redraws only active layers uniformly', () => {
    const rng = new Rng(2);
    const a = ['b', 'b', 'b', 'b', 'b', 'b', 'b', 'b'];
    expect(space.mutate(a, 0, rng)).toEqual(a);
    const counts = new Map<string, number>();
    for (let i = 0; i < 4000; i++) {
      const m = space.mutate(a, 1, rng);
      expect(m.slice(0, 5)).toEqual(a.slice(0, 5));
      counts.set(m[6] as string, (counts.get(m[6] as string) ?? 0) + 1);
    }
    for (const op of OPS) expect(Math.abs((counts.get(op) ?? 0) - 1000)).toBeLessThan(5 * Math.sqrt(4000 * 0.25 * 0.75));
  });

  it('crossover takes every layer from one of the two parents, about half from each', () => {
    const rng = new Rng(3);
    const p = Array(8).fill('a');
    const q = Array(8).fill('d');
    let fromP = 0;
    for (let i = 0; i < 1000; i++) {
      const c = space.crossover(p, q, rng);
      for (const op of c) {
        expect(['a', 'd']).toContain(op);
        if (op === 'a') fromP++;
      }
    }
    expect(Math.abs(fromP / 8000 - 0.5)).toBeLessThan(0.03);
  });

  it('samples within a constraint by rejection, and says so in one line when nothing passes', () => {
    const rng = new Rng(4);
    for (let i = 0; i < 200; i++) expect(space.sampleWithin(rng, (a) => a[7] !== 'd')[7]).not.toBe('d');
    expect(() => space.sampleWithin(rng, () => false, undefined, { draws: 50 })).toThrow(
      "no path of this space met the search's limits in 50 draws: raise search.budgetMs (or the limits of search.constraints) or allow faster, smaller operators (the paper's Appendix B)",
    );
  });

  it('when rejection fails, walks from a feasible start and still samples the admitted set uniformly', () => {
    const rng = new Rng(5);
    // 4 of the 64 architectures of the active layers 5–7 are admitted: 'a' in layer 5, 'a' or 'b' in layers 6 and 7
    const admitted = (a: readonly string[]) => a[5] === 'a' && (a[6] === 'a' || a[6] === 'b') && a[7] !== 'c' && a[7] !== 'd';
    const start = ['a', 'a', 'a', 'a', 'a', 'a', 'a', 'a'];
    const counts = new Map<string, number>();
    const N = 6000;
    for (let i = 0; i < N; i++) {
      const a = space.sampleWithin(rng, admitted, start, { draws: 0 });
      expect(admitted(a)).toBe(true);
      counts.set(a.join(','), (counts.get(a.join(',')) ?? 0) + 1);
    }
    expect(counts.size).toBe(4); // a a {a,b} × {a,b}
    const expected = N / 4;
    for (const c of counts.values()) expect(Math.abs(c - expected)).toBeLessThan(5 * Math.sqrt(expected * 0.75));
  });

  it('encodes one-hot over every (layer, candidate) slot', () => {
    const e = space.encode(['a', 'b', 'c', 'd', 'a', 'b', 'c', 'd']);
    expect(e).toHaveLength(32);
    expect(e.slice(0, 8)).toEqual([1, 0, 0, 0, 0, 1, 0, 0]);
    expect(e.reduce((s, v) => s + v, 0)).toBe(8);
  });

  it('coordinate ascent alternates the layer groups: odd iterations layers t..n−1, even 0..t−1 (t = 8, n = 20)', () => {
    expect(activeLayersOf(1, 8, 20)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
    expect(activeLayersOf(2, 8, 20)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(activeLayersOf(3, 8, 20)).toEqual(activeLayersOf(1, 8, 20));
    expect(() => activeLayersOf(1, 20, 20)).toThrow(/t must split/);
  });
});

describe('evolve (SPOS evolution under a latency constraint)', () => {
  const options = { ...SPOS_EVOLUTION_SETTINGS, seed: 7 };

  it('finds the brute-force optimum of a known function when the budget does not bind', async () => {
    const truth = bruteForce(Number.POSITIVE_INFINITY);
    const ev = countingEvaluator();
    const r = await evolve({
      space: SearchSpace.whole(candidates),
      evaluator: ev,
      constraint: new LatencyConstraint(model, { budgetMs: 1e9 }),
      options,
    });
    expect(r.best.arch).toEqual(truth.arch);
    expect(r.evaluated.length).toBeLessThanOrEqual(1000);
    expect(r.evaluated.length).toBeGreaterThan(900);
  });

  it('finds the constrained optimum, evaluates only candidates within the budget, and none twice', async () => {
    const free = bruteForce(Number.POSITIVE_INFINITY);
    const sorted = [...everyArch()].map(latency).sort((x, y) => x - y);
    const budget = sorted[Math.floor(sorted.length * 0.1)] as number; // 10 % of the space meets it
    const truth = bruteForce(budget);
    const ev = countingEvaluator();
    const r = await evolve({
      space: SearchSpace.whole(candidates),
      evaluator: ev,
      constraint: new LatencyConstraint(model, { budgetMs: budget }),
      options,
    });
    expect(latency(free.arch)).toBeGreaterThan(budget);
    expect(r.best.arch).toEqual(truth.arch);
    for (const c of r.evaluated) expect(latency(c.arch)).toBeLessThanOrEqual(budget);
    expect([...ev.calls.values()].every((n) => n === 1)).toBe(true);
    expect(ev.calls.size).toBe(r.evaluated.length);
    expect(r.rejected).toBeGreaterThan(0);
    // every candidate is recorded with its predicted latency, generation and origin
    const c = r.evaluated[r.evaluated.length - 1];
    expect(c?.latencyMs).toBeCloseTo(latency(c?.arch ?? []), 12);
    expect(r.evaluated.filter((e) => e.generation === 0)).toHaveLength(50); // the first population is all random
    expect(r.evaluated.every((e) => e.generation >= 0 && e.generation < 20)).toBe(true);
    expect(new Set(r.evaluated.map((e) => e.origin))).toEqual(new Set(['random', 'mutation', 'crossover']));
  });

  it('fills its populations under a budget that only one architecture in 10⁹ meets (the walk, not rejection)', async () => {
    const wide = Array.from({ length: 20 }, () => OPS);
    const slow = (a: readonly string[]) => a.filter((op) => op !== 'a').length; // 1,771 of 4²⁰ ≈ 1.1·10¹² meet 2
    const r = await evolve({
      space: SearchSpace.whole(wide),
      evaluator: { evaluate: async (a) => ({ accuracy: a.filter((op) => op === 'd').length / 20, loss: 0 }) },
      constraint: new LatencyConstraint({ predict: (archs) => ({ mean: archs.map(slow) }) }, { budgetMs: 2 }),
      options: { ...options, generations: 3 },
    });
    expect(r.evaluated.filter((c) => c.generation === 0)).toHaveLength(50);
    for (const c of r.evaluated) expect(slow(c.arch)).toBeLessThanOrEqual(2);
    expect(r.best.accuracy).toBe(2 / 20);
  });

  it('with a confidence, accepts only candidates with P(latency ≤ budget) ≥ confidence under the std', async () => {
    const std = 0.3;
    const noisy: LatencyModel = { predict: (archs) => ({ mean: archs.map(latency), std: archs.map(() => std) }) };
    const budget = 11;
    const r = await evolve({
      space: SearchSpace.whole(candidates),
      evaluator: countingEvaluator(),
      constraint: new LatencyConstraint(noisy, { budgetMs: budget, confidence: 0.9 }),
      options: { ...options, generations: 4 },
    });
    // P ≥ 0.9 ⇔ mean ≤ budget − 1.2816·std (Φ⁻¹(0.9) = 1.28155)
    for (const c of r.evaluated) {
      expect(c.latencyMs).toBeLessThanOrEqual(budget - 1.28155 * std + 1e-9);
      expect(c.pWithinBudget).toBeGreaterThanOrEqual(0.9);
    }
  });

  it('an unreachable budget is a one-line error (exit 2) naming the smallest reachable latency and the Appendix B remedies', async () => {
    const { minLatency } = bruteForce(Number.POSITIVE_INFINITY);
    const err = await evolve({
      space: SearchSpace.whole(candidates),
      evaluator: countingEvaluator(),
      constraint: new LatencyConstraint(model, { budgetMs: minLatency * 0.9 }),
      options,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HurricaneError);
    const e = err as HurricaneError;
    expect(e.exitCode).toBe(2);
    expect(e.message).not.toContain('\n');
    expect(e.message).toContain(`the smallest latency it can reach is ${minLatency.toFixed(4)} ms`);
    expect(e.message).toMatch(/Appendix B/);
    expect(e.message).toMatch(/scoring\.alpha: 0/);
  });

  it('resumes after an interruption at any evaluation and ends exactly as an uninterrupted run', async () => {
    const constraint = new LatencyConstraint(model, { budgetMs: 12 });
    const short = { ...options, generations: 6 };
    const whole = await evolve({ space: SearchSpace.whole(candidates), evaluator: countingEvaluator(), constraint, options: short });
    let last: EvolutionState | null = null;
    let n = 0;
    const dying = {
      evaluate: async (a: readonly string[]) =>
        ++n > 137 ? Promise.reject(new Error('killed')) : { accuracy: fitness(a), loss: 1 - fitness(a) },
    };
    await expect(
      evolve({
        space: SearchSpace.whole(candidates),
        evaluator: dying,
        constraint,
        options: short,
        onState: (s) => (last = JSON.parse(JSON.stringify(s))),
      }),
    ).rejects.toThrow('killed');
    const saved = last as unknown as EvolutionState;
    expect(saved.evaluated).toHaveLength(137);
    const ev = countingEvaluator();
    const resumed = await evolve({ space: SearchSpace.whole(candidates), evaluator: ev, constraint, options: short, resume: saved });
    expect(resumed.evaluated.map((c) => c.arch.join(','))).toEqual(whole.evaluated.map((c) => c.arch.join(',')));
    expect(resumed.best.arch).toEqual(whole.best.arch);
    expect(resumed.rejected).toBe(whole.rejected);
    expect(ev.calls.size).toBe(whole.evaluated.length - 137); // nothing evaluated twice across the restart
  });
});

describe('coordinateAscent', () => {
  const n = 20;
  const wide = Array.from({ length: n }, () => OPS);
  const lat = (a: readonly string[]) => a.reduce((s, op) => s + OPS.indexOf(op), 0);
  const wideModel: LatencyModel = { predict: (archs) => ({ mean: archs.map(lat) }) };
  const acc = (a: readonly string[]) => a.reduce((s, op, l) => s + (l % 2 === 0 ? OPS.indexOf(op) : 3 - OPS.indexOf(op)), 0) / (3 * n);

  function recordingTrainer() {
    const calls: { iteration: number; active: readonly number[]; fixed: readonly string[]; paths: string[][] }[] = [];
    const trainer: SupernetTrainer = {
      async train(iteration, space, samplePath) {
        calls.push({
          iteration,
          active: space.active,
          fixed: space.fixed,
          paths: Array.from({ length: 20 }, (_, k) => samplePath(new Rng(k))),
        });
        return {
          training: { steps: 100 * iteration, lossEma: 1, stoppedBy: 'steps' },
          evaluator: { evaluate: async (a) => ({ accuracy: acc(a), loss: 0 }) },
        };
      },
    };
    return { calls, trainer };
  }
  const memoryJournal = () => {
    const its = new Map<number, IterationResult>();
    const evo = new Map<number, EvolutionState>();
    return {
      its,
      iteration: (i: number) => its.get(i) ?? null,
      saveIteration: (r: IterationResult) => void its.set(r.iteration, r),
      evolution: (i: number) => evo.get(i) ?? null,
      saveEvolution: (i: number, s: EvolutionState) => void evo.set(i, s),
    };
  };
  const evolution = { ...SPOS_EVOLUTION_SETTINGS, population: 20, generations: 5, topK: 5, mutations: 8, crossovers: 8, seed: 1 };

  it('trains and searches the alternating layer groups, each step starting from the previous a_win', async () => {
    const { calls, trainer } = recordingTrainer();
    const initial = Array(n).fill('a');
    const r = await coordinateAscent({
      candidates: wide,
      initial,
      constraint: new LatencyConstraint(wideModel, { budgetMs: 30 }),
      trainer,
      options: { iterations: 3, t: 8, evolution },
      journal: memoryJournal(),
    });
    expect(calls.map((c) => c.active)).toEqual([activeLayersOf(1, 8, n), activeLayersOf(2, 8, n), activeLayersOf(3, 8, n)]);
    expect(calls[0]?.fixed).toEqual(initial);
    expect(calls[1]?.fixed).toEqual(r.iterations[0]?.winner);
    expect(calls[2]?.fixed).toEqual(r.iterations[1]?.winner);
    // iteration 1 changes only layers 8..19 of a_win, iteration 2 only layers 0..7
    expect(r.iterations[0]?.winner.slice(0, 8)).toEqual(initial.slice(0, 8));
    expect(r.iterations[1]?.winner.slice(8)).toEqual(r.iterations[0]?.winner.slice(8));
    expect(r.supernetSteps).toBe(100 + 200 + 300);
    for (const it of r.iterations) for (const c of it.evaluated) expect(lat(c.arch)).toBeLessThanOrEqual(30);
    // the trainer's path sampler draws from the iteration's sub-space, within the budget
    for (const c of calls)
      for (const p of c.paths) {
        expect(lat(p)).toBeLessThanOrEqual(30);
        for (let l = 0; l < n; l++) if (!c.active.includes(l)) expect(p[l]).toBe(c.fixed[l]);
      }
  });

  it("records the share of each step's sub-space the budget admits, within 4 binomial σ of the exact share counted by convolution", async () => {
    const r = await coordinateAscent({
      candidates: wide,
      initial: Array(n).fill('a'),
      constraint: new LatencyConstraint(wideModel, { budgetMs: 30 }),
      trainer: recordingTrainer().trainer,
      options: { iterations: 2, t: 8, evolution },
      journal: memoryJournal(),
    });
    // P(the fixed layers' latency + the sum of k independent uniform draws from {0, 1, 2, 3} ≤ 30)
    const exact = (fixedMs: number, k: number) => {
      let dist = [1];
      for (let j = 0; j < k; j++) {
        const next = Array(dist.length + 3).fill(0);
        dist.forEach((p, s) => {
          for (let v = 0; v < 4; v++) next[s + v] += p / 4;
        });
        dist = next;
      }
      return dist.reduce((a, p, s) => (fixedMs + s <= 30 ? a + p : a), 0);
    };
    const win1 = r.iterations[0]?.winner as string[];
    const expected = [exact(0, 12), exact(lat(win1.slice(8)), 8)];
    r.iterations.forEach((it, k) => {
      const p = expected[k] as number;
      expect(Math.abs((it.admitted as number) - p)).toBeLessThanOrEqual(4 * Math.sqrt((p * (1 - p)) / 1000) + 1e-9);
    });
    // iteration 1 (layers 0–7 at the fastest operator) admits nearly all of its sub-space; iteration 2, with
    // layers 8–19 at iteration 1's winner (chosen up against the budget), a small share
    expect(expected[0]).toBeGreaterThan(0.99);
    expect(expected[1]).toBeLessThan(0.5);
  });

  it('the SPOS baseline is one step with every layer active', async () => {
    const { calls, trainer } = recordingTrainer();
    const r = await coordinateAscent({
      candidates: wide,
      initial: Array(n).fill('a'),
      constraint: new LatencyConstraint(wideModel, { budgetMs: 30 }),
      trainer,
      options: { iterations: 2, t: 8, baseline: true, evolution },
      journal: memoryJournal(),
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.active).toEqual(Array.from({ length: n }, (_, l) => l));
    expect(r.iterations).toHaveLength(1);
  });

  it('skips iterations its journal finished and names the sub-space when the budget cannot be met there', async () => {
    const journal = memoryJournal();
    const first = recordingTrainer();
    const options = { iterations: 2, t: 8, evolution };
    const constraint = new LatencyConstraint(wideModel, { budgetMs: 30 });
    const search = (trainer: SupernetTrainer) =>
      coordinateAscent({ candidates: wide, initial: Array(n).fill('a'), constraint, trainer, options, journal });
    const whole = await search(first.trainer);
    const again = recordingTrainer();
    const resumed = await search(again.trainer);
    expect(again.calls).toHaveLength(0);
    expect(resumed.winner).toEqual(whole.winner);
    // with layers 0..7 fixed at the slowest operator, iteration 1's sub-space cannot reach 20 ms
    const err = await coordinateAscent({
      candidates: wide,
      initial: Array(n).fill('d'),
      constraint: new LatencyConstraint(wideModel, { budgetMs: 20 }),
      trainer: recordingTrainer().trainer,
      options,
      journal: memoryJournal(),
    }).catch((e: unknown) => e as Error);
    expect(err.message).toMatch(/iteration 1's sub-space \(layers 8–19 active/);
    expect(err.message).toContain('the smallest latency it can reach is 24.0000 ms');
  });

  it("the fitness-noise check scores each step's own top candidates again and compares the two scores", async () => {
    // a second score that differs from the first by a fixed, architecture-dependent wobble of ±2 points
    const wobble = (a: readonly string[]) => 0.02 * Math.sin(a.reduce((h, op, l) => h + (l + 1) * OPS.indexOf(op), 0));
    const rescored: string[] = [];
    const trainer: SupernetTrainer = {
      async train(iteration) {
        const evaluator = {
          evaluate: async (a: readonly string[]) => ({ accuracy: acc(a), loss: 0 }),
          evaluateAgain: async (a: readonly string[]) => {
            rescored.push(a.join(','));
            return { accuracy: acc(a) + wobble(a), loss: 0 };
          },
          validationImages: 400,
        };
        return { training: { steps: 100 * iteration, lossEma: 1, stoppedBy: 'steps' as const }, evaluator };
      },
    };
    const r = await coordinateAscent({
      candidates: wide,
      initial: Array(n).fill('a'),
      constraint: new LatencyConstraint(wideModel, { budgetMs: 30 }),
      trainer,
      options: { iterations: 2, t: 8, evolution, noiseCheck: 10 },
      journal: memoryJournal(),
    });
    expect(rescored).toHaveLength(20);
    for (const it of r.iterations) {
      const noise = it.noise as FitnessNoise;
      // the ten best of this step's own evaluated candidates, best first, each with its recorded first score
      const top = [...it.evaluated].sort((a, b) => b.accuracy - a.accuracy || a.loss - b.loss || a.latencyMs - b.latencyMs).slice(0, 10);
      expect(noise.candidates.map((c) => c.arch)).toEqual(top.map((c) => c.arch));
      expect(noise.candidates.map((c) => c.first)).toEqual(top.map((c) => c.accuracy));
      expect(noise.candidates.map((c) => c.second)).toEqual(top.map((c) => acc(c.arch) + wobble(c.arch)));
      expect(noise.candidates[0]?.arch).toEqual(it.winner);
      expect(noise.kendallTau).toBeCloseTo(
        kendallTau(
          noise.candidates.map((c) => c.first),
          noise.candidates.map((c) => c.second),
        ),
        12,
      );
      expect(noise.validationImages).toBe(400);
    }
  });

  it('the fitness-noise figures of three candidates scored twice equal a hand computation', () => {
    const noise = summariseFitnessNoise(
      [
        { arch: ['a'], first: 0.5, second: 0.47 },
        { arch: ['b'], first: 0.48, second: 0.49 },
        { arch: ['c'], first: 0.4, second: 0.41 },
      ],
      100,
    );
    // τ: pair (a, b) discordant, (a, c) and (b, c) concordant → (2 − 1)/3
    expect(noise.kendallTau).toBeCloseTo(1 / 3, 12);
    expect(noise.binomialStd).toBeCloseTo(Math.sqrt((0.5 * 0.5) / 100), 12); // 0.05
    // differences −0.03, 0.01, 0.01: sample variance 0.000533…, over √2 → √0.000266… = 0.016330
    expect(noise.recalibrationStd).toBeCloseTo(0.0163299, 6);
    expect(noise.margin).toBeCloseTo(0.02, 12);
    expect(noise.noiseOfMargin).toBeCloseTo(2 * Math.SQRT2 * Math.sqrt(0.05 ** 2 + 0.0163299 ** 2), 6);
    expect(noise.withinNoise).toBe(true);
    expect(noise.winnerRankAgain).toBe(2); // b scores 0.49 > a's 0.47 the second time
  });
});
