import { describe, expect, it } from 'vitest';
import { type OperatorEvidence, isPaired, keepConfidence, rankOperators } from '../src/profile/operator-ranking.js';
import { Eq4Scoring } from '../src/profile/eq4-scoring.js';
import { reduceSpace, spaceTable } from '../src/profile/reduction.js';
import { makeBackbone } from '../src/space/backbone.js';

const fastest = new Eq4Scoring({ alpha: 0, beta: 0 });
const op = (operator: string, latencyMs: number, flops = 100, more: Partial<OperatorEvidence> = {}): OperatorEvidence => ({
  operator,
  flops,
  params: 10,
  latencyMs,
  ...more,
});
const names = (r: { operator: string }[]) => r.map((x) => x.operator);

describe('ranking the operators of one layer context with ties', () => {
  it('operators within the tolerance of the group’s fastest are tied and ordered by FLOPs; a real difference is not a tie', () => {
    // 1.00, 1.02 (2 % slower: tied at 3 %), 1.10 (10 %: not), 1.12 (1.8 % after 1.10: tied with it)
    const ranked = rankOperators([op('A', 1.0, 100), op('B', 1.02, 300), op('C', 1.1, 100), op('D', 1.12, 200)], fastest, {
      keep: 2,
      tieTolerance: 0.03,
    });
    expect(names(ranked)).toEqual(['B', 'A', 'D', 'C']); // within each tie, the most FLOPs first
    expect(ranked.map((r) => r.tie)).toEqual([0, 0, 1, 1]);
    // at tolerance 0 nothing but exact equality ties
    const strict = rankOperators([op('A', 1.0), op('B', 1.02, 300), op('C', 1.0, 50)], fastest, { keep: 2, tieTolerance: 0 });
    expect(names(strict)).toEqual(['A', 'C', 'B']);
    expect(strict.map((r) => r.tie)).toEqual([0, 0, null]);
  });

  it('a tie is measured from the group’s fastest, so a chain of small steps does not tie everything', () => {
    // each 2 % slower than the one before: 1.00, 1.02, 1.0404, 1.0612
    const xs = [1, 1.02, 1.0404, 1.0612].map((l, i) => op(`O${i}`, l, 100 - i));
    const ranked = rankOperators(xs, fastest, { keep: 2, tieTolerance: 0.03 });
    // O0 ties O1 (2 %) but not O2 (4.04 %); O2 opens a group with O3 (2 %)
    expect(ranked.map((r) => r.tie)).toEqual([0, 0, 1, 1]);
  });

  it('with alpha > 0 the score’s capacity term decides ties before FLOPs', () => {
    const eq4 = new Eq4Scoring({ alpha: 1, beta: 1 }); // capacity FLOPs · params
    const ranked = rankOperators(
      [op('A', 1.0, 100, { params: 10 }), op('B', 1.0, 50, { params: 30 }), op('C', 1.0, 120, { params: 5 })],
      eq4,
      { keep: 1, tieTolerance: 0.03 },
    );
    // capacity: A 1000, B 1500, C 600 (hand computed); all tied at equal latency
    expect(names(ranked)).toEqual(['B', 'A', 'C']);
  });

  it('paired rounds cancel drift that hits whole rounds: a 5 % faster operator wins in every round of a ±50 % swing', () => {
    const levels = [1, 1.5, 0.6, 1.2, 0.8, 1.4, 0.7, 1.1];
    const a = levels.map((l) => 0.95 * l);
    const b = levels.map((l) => 1.0 * l);
    // the rounds swing by more than the difference, but within each round A is 5 % faster
    const evidence = [op('B', 1, 100, { rounds: b }), op('A', 1, 100, { rounds: a })];
    expect(isPaired(evidence)).toBe(true);
    const ranked = rankOperators(evidence, fastest, { keep: 1, tieTolerance: 0.03 });
    expect(names(ranked)).toEqual(['A', 'B']);
    expect(ranked.map((r) => r.tie)).toEqual([null, null]);
    // the levelled latencies keep the ratio of every round
    expect((ranked[0]?.latencyMs ?? 0) / (ranked[1]?.latencyMs ?? 1)).toBeCloseTo(0.95, 10);
  });

  it('a burst that slows one operator in a few rounds is left out of its paired latency', () => {
    const calm = Array(10).fill(1);
    const burst = [1, 1, 5, 1, 1, 6, 1, 1, 1, 1];
    const evidence = [
      op('A', 0, 100, { rounds: calm.map((x) => x * 1.1) }),
      op('B', 0, 100, { rounds: burst }),
      op('C', 0, 100, { rounds: calm }),
    ];
    const ranked = rankOperators(evidence, fastest, { keep: 2, tieTolerance: 0 });
    const lat = Object.fromEntries(ranked.map((r) => [r.operator, r.latencyMs]));
    expect(lat.B).toBeCloseTo(lat.C ?? 0, 10); // the two burst rounds (5× and 6×) are dropped: B is C's twin
    expect(lat.A).toBeCloseTo(1.1 * (lat.C ?? 0), 10);
  });

  it('operators with a different number of rounds are not paired: their statistics rank them', () => {
    const evidence = [op('A', 2, 100, { rounds: [1, 1, 1] }), op('B', 1, 100, { rounds: [2, 2, 2, 2] })];
    expect(isPaired(evidence)).toBe(false);
    expect(names(rankOperators(evidence, fastest, { keep: 1, tieTolerance: 0 }))).toEqual(['B', 'A']);
  });
});

describe('bootstrap confidence of the kept operators', () => {
  it('is 1 for operators far ahead and splits between two operators that swap from round to round', () => {
    // A, B clearly fastest; C and D alternate: C faster in even rounds by 20 %, D in odd rounds
    const n = 20;
    const r = (f: (i: number) => number) => Array.from({ length: n }, (_, i) => f(i));
    const evidence = [
      op('A', 0, 100, { rounds: r(() => 1) }),
      op('B', 0, 100, { rounds: r(() => 1.5) }),
      op('C', 0, 100, { rounds: r((i) => (i % 2 === 0 ? 2 : 2.4)) }),
      op('D', 0, 100, { rounds: r((i) => (i % 2 === 0 ? 2.4 : 2)) }),
      op('E', 0, 100, { rounds: r(() => 5) }),
    ];
    const c = keepConfidence(evidence, fastest, { keep: 3, tieTolerance: 0, resamples: 400, seed: 7 });
    expect(c?.get('A')).toBe(1);
    expect(c?.get('B')).toBe(1);
    expect(c?.get('E')).toBe(0);
    // C and D share the third place: each is kept in a share of the resamples, together in all
    expect((c?.get('C') ?? 0) + (c?.get('D') ?? 0)).toBeCloseTo(1, 10);
    expect(c?.get('C')).toBeGreaterThan(0.2);
    expect(c?.get('D')).toBeGreaterThan(0.2);
    // the same seed gives the same figures
    expect(keepConfidence(evidence, fastest, { keep: 3, tieTolerance: 0, resamples: 400, seed: 7 })).toEqual(c);
  });

  it('is null when there is nothing to resample (no rounds, no uncertainty)', () => {
    expect(keepConfidence([op('A', 1), op('B', 2)], fastest, { keep: 1, tieTolerance: 0, resamples: 50, seed: 1 })).toBeNull();
  });

  it('reduceSpace marks a layer unstable below minConfidence, and Table 1 shows confidence, ties and the tie-break', () => {
    const four = makeBackbone({ name: 'four', inputSize: 8, classes: 3, widthMultiplier: 0.25, stemStride: 1, stageRepeats: [2, 2, 2, 2] });
    const ops = four.operators;
    const meta = {
      adapterId: 'sim',
      device: 'sim',
      deviceFingerprint: 'sim-1',
      runtimeVersion: '1',
      scoring: { name: 'eq4', alpha: 0, beta: 0 },
    };
    // 4th and 5th operators swap from round to round: the 4th place is unsure
    const rounds = (i: number) =>
      Array.from({ length: 12 }, (_, r) => (i === 3 ? (r % 2 === 0 ? 4 : 5.2) : i === 4 ? (r % 2 === 0 ? 5.2 : 4) : i + 1));
    const s = reduceSpace(
      four,
      (o) => {
        const i = ops.indexOf(o);
        return { latencyMs: i + 1, rounds: { batch: 'b1', ms: rounds(i) } };
      },
      fastest,
      meta,
      { keep: 4, exploringIndex: 10, exploringLayers: 4, statistic: 'p10', tieTolerance: 0, bootstrap: 300, minConfidence: 0.9 },
      3,
    );
    const layer = s.layers[0];
    expect(layer?.paired).toBe(true);
    expect(layer?.confidence?.[ops[0] as string]).toBe(1);
    expect(layer?.unstable).toBe(true);
    const md = spaceTable(s, four);
    expect(md).toContain(`${ops[0]} (1.0000 ms, 100 %)`);
    expect(md).toMatch(/Unstable kept sets \(a kept operator in fewer than 90 % of the bootstrap resamples\): /);
    // rounds from two batches do not pair: the statistics rank, and nothing is resampled
    const mixed = reduceSpace(
      four,
      (o) => ({ latencyMs: ops.indexOf(o) + 1, rounds: { batch: o === ops[0] ? 'b1' : 'b2', ms: [1, 2, 3] } }),
      fastest,
      meta,
      {
        keep: 4,
        exploringIndex: 10,
        exploringLayers: 4,
        statistic: 'p10',
      },
    );
    expect(mixed.layers[0]?.paired).toBe(false);
    expect(mixed.layers[0]?.confidence).toBeNull();
    expect(mixed.layers[0]?.kept).toEqual(ops.slice(0, 4));
    // the 5th within 3 % of the 4th: one tie across the boundary, settled by the tie-break and said so
    const near = (o: string) => {
      const i = ops.indexOf(o);
      return i === 4 ? 4.05 : i + 1;
    };
    const tied = reduceSpace(four, near, fastest, meta, {
      keep: 4,
      exploringIndex: 10,
      exploringLayers: 4,
      statistic: 'p10',
      tieTolerance: 0.03,
    });
    const t = tied.layers[0];
    const pair = t?.ranking.filter((r) => r.operator === ops[3] || r.operator === ops[4]) ?? [];
    expect(pair[0]?.tie).not.toBeNull();
    expect(pair[0]?.tie).toBe(pair[1]?.tie);
    const winner = [...pair].sort((a, b) => b.flops - a.flops || b.params - a.params)[0]?.operator;
    const loser = pair.find((r) => r.operator !== winner)?.operator;
    expect(t?.kept).toContain(winner);
    expect(spaceTable(tied, four)).toContain(`(tied with ${loser}, left out by the tie-break)`);
  });
});
