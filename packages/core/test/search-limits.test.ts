// Several limits at once (search.constraints): a latency limit by a predictor and exact limits on
// FLOPs, params and peak memory. The synthetic problem is small enough to enumerate: 8 layers × 4
// operators (65,536 architectures), accuracy, latency, params and FLOPs sums of seeded per-(layer,
// operator) tables, and peak memory the largest of per-(layer, operator) values with repeated rows
// (layers that tie, as layers of one stage do in a real backbone). Every expectation is checked
// against the enumeration.
import { describe, expect, it } from 'vitest';
import { HurricaneError } from '../src/errors.js';
import { Rng } from '../src/random.js';
import { type Costs, LatencyConstraint, type LatencyModel, LimitSet, SearchSpace, evolve, smallestOf } from '../src/search/index.js';

const L = 8;
const OPS = ['a', 'b', 'c', 'd'];
const candidates = Array.from({ length: L }, () => OPS);
const rng = new Rng(2024);
const table = (f: () => number) => candidates.map(() => OPS.map(f));
const latencyT = table(() => 1 + rng.next());
const paramsT = table(() => 1000 + Math.floor(9000 * rng.next()));
const flopsT = table(() => 10_000 + Math.floor(90_000 * rng.next()));
// peak memory: two rows repeated over the layers, so that the largest value is shared by several layers
const rowA = [4000, 8000, 12_000, 16_000];
const rowB = [6000, 5000, 14_000, 9000];
const peakT = candidates.map((_, l) => (l % 2 === 0 ? rowA : rowB));
const gainT = latencyT.map((row, l) => row.map((c, k) => 0.5 * (c - 1) + 0.3 * ((paramsT[l]?.[k] as number) / 10_000) + 0.2 * rng.next()));

const at = (t: number[][], a: readonly string[]) => a.map((op, l) => t[l]?.[OPS.indexOf(op)] as number);
const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
const latency = (a: readonly string[]) => sum(at(latencyT, a));
const costsOf = (a: readonly string[]): Costs => ({
  flops: sum(at(flopsT, a)),
  params: sum(at(paramsT, a)),
  peakMemory: Math.max(...at(peakT, a)),
  // the sum of the layers' own terms behind the maximum, as the activation area of a real graph
  activationArea: sum(at(peakT, a)),
});
const fitness = (a: readonly string[]) => sum(at(gainT, a)) / L;
const model: LatencyModel = { predict: (archs) => ({ mean: archs.map(latency) }) };

function* everyArch(): Generator<string[]> {
  for (let code = 0; code < OPS.length ** L; code++)
    yield Array.from({ length: L }, (_, l) => OPS[Math.floor(code / OPS.length ** l) % OPS.length] as string);
}
const ALL = [...everyArch()];
/** The k-th smallest value of `f` over the whole space (a limit that a known share of it meets). */
const quantile = (f: (a: string[]) => number, share: number) => ALL.map(f).sort((x, y) => x - y)[Math.floor(ALL.length * share)] as number;
const minimum = (f: (a: string[]) => number) => Math.min(...ALL.map(f));

/** The latency limit `budget` and the params limit `maxParams` together. */
const latencyAndParams = (budget: number, maxParams: number) =>
  new LimitSet({
    latency: new LatencyConstraint(model, { budgetMs: budget }),
    model,
    limits: [{ metric: 'params', max: maxParams }],
    costsOf,
  });

const evaluator = { evaluate: async (a: readonly string[]) => ({ accuracy: fitness(a), loss: 1 - fitness(a) }) };
const options = { population: 50, generations: 20, topK: 10, mutations: 25, crossovers: 25, mutationProb: 0.1, seed: 11 };

describe('a search under several limits (search.constraints)', () => {
  it('admits exactly the architectures that meet every limit, as the enumeration says', () => {
    const budget = quantile(latency, 0.5);
    const maxParams = quantile((a) => costsOf(a).params, 0.5);
    const maxPeak = 14_000;
    const set = new LimitSet({
      latency: new LatencyConstraint(model, { budgetMs: budget }),
      model,
      limits: [
        { metric: 'params', max: maxParams },
        { metric: 'peakMemory', max: maxPeak },
      ],
      costsOf,
    });
    const verdicts = set.check(ALL);
    const expected = ALL.map((a) => latency(a) <= budget && costsOf(a).params <= maxParams && costsOf(a).peakMemory <= maxPeak);
    expect(verdicts.map((v) => v.ok)).toEqual(expected);
    // the limits bind together: each alone admits more than all three
    const both = expected.filter(Boolean).length;
    expect(both).toBeGreaterThan(0);
    expect(both).toBeLessThan(ALL.filter((a) => latency(a) <= budget).length);
    expect(both).toBeLessThan(ALL.filter((a) => costsOf(a).params <= maxParams).length);
    expect(verdicts[0]?.meanMs).toBe(latency(ALL[0] as string[]));
  });

  it('without a latency limit, admits by the costs alone and still records each predicted latency', () => {
    const maxFlops = quantile((a) => costsOf(a).flops, 0.2);
    const set = new LimitSet({ model, limits: [{ metric: 'flops', max: maxFlops }], costsOf });
    const sample = ALL.filter((_, i) => i % 97 === 0);
    const v = set.check(sample);
    expect(v.map((x) => x.ok)).toEqual(sample.map((a) => costsOf(a).flops <= maxFlops));
    expect(v.map((x) => x.meanMs)).toEqual(sample.map(latency));
    expect(v.every((x) => x.pWithinBudget === 1)).toBe(true);
  });

  it('the evolution evaluates only candidates that meet every limit and finds one of the best 0.1 % of the architectures the enumeration admits', async () => {
    const budget = quantile(latency, 0.4);
    const maxParams = quantile((a) => costsOf(a).params, 0.4);
    const ok = (a: string[]) => latency(a) <= budget && costsOf(a).params <= maxParams;
    const truth = ALL.filter(ok).reduce((b, a) => (fitness(a) > fitness(b) ? a : b));
    const free = ALL.reduce((b, a) => (fitness(a) > fitness(b) ? a : b));
    expect(ok(free)).toBe(false);
    const r = await evolve({
      space: SearchSpace.whole(candidates),
      evaluator,
      constraint: latencyAndParams(budget, maxParams),
      options,
    });
    for (const c of r.evaluated) expect(ok(c.arch)).toBe(true);
    expect(r.rejected).toBeGreaterThan(0);
    // about 16 % of the space is admitted (11,516 architectures); the evolution evaluates at most 1,000
    const admitted = ALL.filter(ok)
      .map(fitness)
      .sort((x, y) => y - x);
    expect(admitted.length).toBeGreaterThan(10_000);
    const rank = admitted.findIndex((f) => f <= r.best.accuracy);
    expect(rank).toBeLessThan(admitted.length / 1000);
    expect(r.best.accuracy).toBeLessThanOrEqual(fitness(truth));
  });

  it('finds the smallest sum exactly, and the smallest maximum over layers even where several layers tie at it', () => {
    const space = SearchSpace.whole(candidates);
    const starts = [Array.from({ length: L }, () => 'c')]; // every layer at 12,000 or 14,000: many ties at the maximum
    const params = smallestOf(space, (archs) => archs.map((a) => [costsOf(a).params]), starts);
    expect(params.score[0]).toBe(minimum((a) => costsOf(a).params));
    // without a tie-breaker the descent stalls where several layers tie at the maximum
    const stalled = smallestOf(space, (archs) => archs.map((a) => [costsOf(a).peakMemory]), starts);
    expect(stalled.score[0]).toBe(14_000);
    const peak = smallestOf(space, (archs) => archs.map((a) => [costsOf(a).peakMemory, costsOf(a).activationArea as number]), starts);
    expect(peak.score[0]).toBe(minimum((a) => costsOf(a).peakMemory));
    // and so does LimitSet's search for the smallest peak, which the unreachable message reports
    const set = new LimitSet({ model, limits: [{ metric: 'peakMemory', max: 4999 }], costsOf });
    expect(() => set.reach(space, starts, 'the whole space')).toThrow(
      'peak activation memory (bytes) ≤ 4999 cannot be met (the smallest it can reach is 5000)',
    );
    expect(minimum((a) => costsOf(a).peakMemory)).toBe(5000);
  });

  it('a limit that cannot be met is one line (exit 2) naming it and the smallest value each limit can reach', async () => {
    const minParams = minimum((a) => costsOf(a).params);
    const budget = quantile(latency, 0.5);
    const err = await evolve({
      space: SearchSpace.whole(candidates),
      evaluator,
      constraint: latencyAndParams(budget, minParams - 1),
      options,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HurricaneError);
    const e = err as HurricaneError;
    expect(e.exitCode).toBe(2);
    expect(e.message).not.toContain('\n');
    expect(e.message).toContain(`params ≤ ${minParams - 1} cannot be met (the smallest it can reach is ${minParams})`);
    expect(e.message).toContain(
      `predicted latency (ms) ≤ ${budget.toFixed(4)} can be met alone (the smallest it can reach is ${minimum(latency).toFixed(4)})`,
    );
    expect(e.message).toContain('raise the limits that cannot be met (params)');
  });

  it('limits that can each be met alone but not together say so, and name both', async () => {
    // the fastest architecture has many params and the smallest one is slow: limits just above each minimum conflict
    const minLatency = minimum(latency);
    const minParams = minimum((a) => costsOf(a).params);
    const budget = minLatency * 1.02;
    const maxParams = minParams * 1.02;
    expect(ALL.some((a) => latency(a) <= budget && costsOf(a).params <= maxParams)).toBe(false);
    const set = latencyAndParams(budget, maxParams);
    const e = (() => {
      try {
        set.reach(SearchSpace.whole(candidates), [], 'the whole space');
      } catch (x) {
        return x as HurricaneError;
      }
      return null;
    })();
    expect(e?.exitCode).toBe(2);
    expect(e?.message).toContain('no architecture of the whole space meets every limit of search.constraints');
    expect(e?.message).toContain(`params ≤ ${Math.round(maxParams)} can be met alone (the smallest it can reach is ${minParams})`);
    expect(e?.message).toContain('each limit can be met alone, but no architecture found meets them together');
  });

  it('finds an architecture meeting every limit when only a sliver of the space does', () => {
    // about 0.1 % of the space meets both: uniform draws rarely hit it, the descent must
    const budget = quantile(latency, 0.05);
    const maxParams = quantile((a) => costsOf(a).params, 0.05);
    const ok = (a: readonly string[]) => latency(a) <= budget && costsOf(a).params <= maxParams;
    const share = ALL.filter(ok).length / ALL.length;
    expect(share).toBeGreaterThan(0);
    expect(share).toBeLessThan(0.01);
    const set = latencyAndParams(budget, maxParams);
    const found = set.reach(SearchSpace.whole(candidates), [Array.from({ length: L }, () => 'd')], 'the whole space');
    expect(ok(found)).toBe(true);
  });
});

describe('latency limits on two targets, each by its own predictor (issue 23: one network for several chips)', () => {
  // a second chip whose operator latencies are drawn independently: what is fast on one is not on the other
  const rng2 = new Rng(7);
  const latency2T = candidates.map(() => OPS.map(() => 1 + rng2.next()));
  const latency2 = (a: readonly string[]) => sum(at(latency2T, a));
  const model2: LatencyModel = { predict: (archs) => ({ mean: archs.map(latency2) }) };
  const twoTargets = (b1: number, b2: number, maxParams: number) =>
    new LimitSet({
      latency: new LatencyConstraint(model, { budgetMs: b1 }),
      targets: [{ target: 'vpu', constraint: new LatencyConstraint(model2, { budgetMs: b2 }) }],
      model,
      limits: [{ metric: 'params', max: maxParams }],
      costsOf,
    });

  it('admits exactly the architectures within both latency budgets and the params limit, and the evolution finds one of the best 0.1 % of them', async () => {
    const [b1, b2] = [quantile(latency, 0.5), quantile(latency2, 0.5)];
    const maxParams = quantile((a) => costsOf(a).params, 0.6);
    const ok = (a: readonly string[]) => latency(a) <= b1 && latency2(a) <= b2 && costsOf(a).params <= maxParams;
    const set = twoTargets(b1, b2, maxParams);
    expect(set.check(ALL).map((v) => v.ok)).toEqual(ALL.map(ok));
    // the second target's limit binds: without it more architectures pass
    expect(ALL.filter(ok).length).toBeLessThan(ALL.filter((a) => latency(a) <= b1 && costsOf(a).params <= maxParams).length);
    const r = await evolve({ space: SearchSpace.whole(candidates), evaluator, constraint: set, options });
    for (const c of r.evaluated) expect(ok(c.arch)).toBe(true);
    const admitted = ALL.filter(ok)
      .map(fitness)
      .sort((x, y) => y - x);
    expect(admitted.findIndex((f) => f <= r.best.accuracy)).toBeLessThan(admitted.length / 1000);
  });

  it("a budget the second target cannot meet is one line naming that target's limit and the smallest latency it can reach", () => {
    const min2 = minimum(latency2);
    const set = twoTargets(
      quantile(latency, 0.9),
      min2 * 0.99,
      quantile((a) => costsOf(a).params, 0.9),
    );
    expect(() => set.reach(SearchSpace.whole(candidates), [], 'the whole space')).toThrow(
      `predicted latency on vpu (ms) ≤ ${(min2 * 0.99).toFixed(4)} cannot be met (the smallest it can reach is ${min2.toFixed(4)})`,
    );
  });
});
