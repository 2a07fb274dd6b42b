import { describe, expect, it } from 'vitest';
import { type OperatorEvidence, isPaired, keepConfidence, rankOperators } from '../src/profile/operator-ranking.js';
import { Eq4Scoring } from '../src/profile/eq4-scoring.js';

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
    const four = [op('A', 1.0, 100), op('B', 1.02, 300), op('C', 1.1, 100), op('D', 1.12, 200)];
    const ranked = rankOperators(four, fastest, { keep: 2, tieTolerance: 0.03, tieBreak: 'capacity' });
    expect(names(ranked)).toEqual(['B', 'A', 'D', 'C']); // within each tie, the most FLOPs first
    expect(ranked.map((r) => r.tie)).toEqual([0, 0, 1, 1]);
    // by default a tie keeps the measured order: marked, but the kept set is the one without ties
    const measured = rankOperators(four, fastest, { keep: 2, tieTolerance: 0.03 });
    expect(names(measured)).toEqual(['A', 'B', 'C', 'D']);
    expect(measured.map((r) => r.tie)).toEqual([0, 0, 1, 1]);
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
      { keep: 1, tieTolerance: 0.03, tieBreak: 'capacity' },
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

  it('draws the sessions too: an operator fast in one of its three sessions only is kept with probability 1 − (2/3)³', () => {
    // C's sessions: one at 1.00 ms, two at 1.30 ms, so its per-round value (the fastest session) is
    // 1.00 in every round, 5 % ahead of D (1.05 ms in all three sessions): beyond the 3 % tolerance.
    // Rounds alone cannot shake that (confidence 1), but a new profile opens new sessions: it keeps C
    // only when at least one of the three sessions drawn is the fast one, 1 − (2/3)³ = 19/27 ≈ 0.704.
    const n = 12;
    const r = (v: number) => Array.from({ length: n }, () => v);
    const evidence = [
      op('A', 0, 100, { rounds: r(0.5) }),
      op('B', 0, 100, { rounds: r(0.6) }),
      op('C', 0, 100, { rounds: r(1), sessions: [r(1), r(1.3), r(1.3)] }),
      op('D', 0, 100, { rounds: r(1.05), sessions: [r(1.05), r(1.05), r(1.05)] }),
      op('E', 0, 100, { rounds: r(2) }),
    ];
    const o = { keep: 3, tieTolerance: 0.03, statistic: 'p10' as const, resamples: 4000, seed: 3 };
    expect(names(rankOperators(evidence, fastest, o)).slice(0, 3)).toEqual(['A', 'B', 'C']);
    const c = keepConfidence(evidence, fastest, o);
    expect(c?.get('C')).toBeGreaterThan(19 / 27 - 0.03);
    expect(c?.get('C')).toBeLessThan(19 / 27 + 0.03);
    expect((c?.get('C') ?? 0) + (c?.get('D') ?? 0)).toBeCloseTo(1, 10);
    // without the sessions, the rounds are all alike and C is always kept
    const roundsOnly = keepConfidence(
      evidence.map(({ sessions: _, ...e }) => e),
      fastest,
      o,
    );
    expect(roundsOnly?.get('C')).toBe(1);
  });

  it('is null when there is nothing to resample (no rounds, no uncertainty)', () => {
    expect(keepConfidence([op('A', 1), op('B', 2)], fastest, { keep: 1, tieTolerance: 0, resamples: 50, seed: 1 })).toBeNull();
  });
});
