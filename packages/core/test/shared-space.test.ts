// One reduced space for several targets (profile/shared-space.ts), checked against hand-computed layers.
import { describe, expect, it } from 'vitest';
import { shareSpace } from '../src/profile/shared-space.js';
import type { ReducedSpace } from '../src/profile/reduction.js';

/** A one-layer reduced space whose layer ranks `scores` (operator → Eq. 4 score; higher is better) and keeps the best `keep`. */
function space(scores: Record<string, number>, keep = 2): ReducedSpace {
  const ranking = Object.entries(scores)
    .sort((a, b) => b[1] - a[1])
    .map(([operator, score]) => ({ operator, score, latencyMs: 1 / score, flops: 0, params: 0 }));
  const kept = ranking.slice(0, keep).map((r) => r.operator);
  return {
    ...{
      format: 'hurricane-space',
      version: 1,
      preset: 'mnist',
      adapterId: 'sim',
      device: 'd',
      deviceFingerprint: 'f',
      runtimeVersion: '1',
    },
    scoring: { name: 'eq4', alpha: 0, beta: 0 },
    options: { keep, exploringIndex: 10, exploringLayers: 0 },
    layers: [{ layer: 0, stage: 0, contextId: 'c', ranking, kept, exploring: null }],
    candidates: [kept],
    initialArch: [kept[0] as string],
  } as ReducedSpace;
}

// target 1 relative to its best (A = 10): A 1, B .8, C .5, D .4, E .2
const ONE = space({ A: 10, B: 8, C: 5, D: 4, E: 2 });
// target 2 relative to its best (C = 10): A .3, B .9, C 1, D .4, E .8
const TWO = space({ A: 3, B: 9, C: 10, D: 4, E: 8 });

describe('a reduced space shared by several targets', () => {
  it('worst: keeps the operators whose worst score relative to the layer best is highest (B .8, C .5 over D .4, A .3, E .2)', () => {
    const s = shareSpace([ONE, TWO], { rule: 'worst', keep: 2 });
    expect(s.candidates).toEqual([['B', 'C']]);
    expect(s.initialArch).toEqual(['B']);
    expect(shareSpace([ONE, TWO], { rule: 'worst', keep: 4 }).candidates).toEqual([['B', 'C', 'D', 'A']]);
  });

  it('union: merges the kept sets ({A, B} and {C, B}) by the best rank a target gives each, cut at the cap', () => {
    expect(shareSpace([ONE, TWO], { rule: 'union', keep: 2 }).candidates).toEqual([['A', 'C', 'B']]);
    expect(shareSpace([ONE, TWO], { rule: 'union', keep: 2, cap: 2 }).candidates).toEqual([['A', 'C']]);
  });

  it('one target: both rules give that target’s own kept set', () => {
    expect(shareSpace([ONE], { rule: 'worst', keep: 2 }).candidates).toEqual([['A', 'B']]);
    expect(shareSpace([ONE], { rule: 'union', keep: 2 }).candidates).toEqual([['A', 'B']]);
  });

  it('refuses spaces of different presets', () => {
    expect(() => shareSpace([ONE, { ...TWO, preset: 'cifar' }], { rule: 'worst', keep: 2 })).toThrow(/differ in preset or layers/);
  });
});
