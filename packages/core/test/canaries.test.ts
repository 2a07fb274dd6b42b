import { describe, expect, it } from 'vitest';
import type { LatencyMeasurement } from '../src/contracts/hardware-adapter.js';
import { canaryArchitectures, canaryLine, compareCanaries } from '../src/profile/canaries.js';
import { PRESETS } from '../src/space/backbone.js';
import { fitScaleOffset } from '../src/workflows/predictor-recalibrate.js';

const m = (medianMs: number, uncertaintyMs = 0, governor?: string): LatencyMeasurement =>
  ({
    medianMs,
    uncertaintyMs,
    ...(governor ? { conditions: { cores: 2, loadAverage: [0, 0], governor, flags: [] } } : {}),
  }) as unknown as LatencyMeasurement;

describe('canary networks', () => {
  it("are the preset's first, middle and last operator in every layer", () => {
    const mnist = PRESETS.mnist();
    const archs = canaryArchitectures(mnist);
    const ops = mnist.operators;
    expect(archs.map((a) => new Set(a))).toEqual([new Set([ops[0]]), new Set([ops[ops.length >> 1]]), new Set([ops.at(-1)])]);
    expect(archs[0]).toHaveLength(20);
  });

  it('a shift is the median ratio − 1 (hand: 1.10, 1.08, 1.12 → +10 %), real beyond max(5 %, twice the combined uncertainty)', () => {
    const then = {
      runAt: 't0',
      runtimeVersion: '1.29.0',
      byArch: new Map([
        ['a', m(1)],
        ['b', m(2)],
        ['c', m(4)],
      ]),
    };
    const now = new Map([
      ['a', m(1.1)],
      ['b', m(2.16)],
      ['c', m(4.48)],
    ]);
    const s = compareCanaries(now, '1.30.0', then);
    expect(s?.shift).toBeCloseTo(0.1, 12);
    expect(s?.noise).toBe(0.05);
    expect(s).toMatchObject({ moved: true, compared: 3, changed: ['runtime 1.29.0 → 1.30.0'] });
    expect(canaryLine(s, 'hurricane predictor recalibrate p.json -o r.json')).toBe(
      "warning: the 3 canary networks moved +10.0 % since the run of t0 (runtime 1.29.0 → 1.30.0), beyond the noise floor of 5.0 %: latencies measured before do not describe this device now; refit a predictor to it with 'hurricane predictor recalibrate p.json -o r.json'",
    );
    // uncertain canaries widen the floor: 2 · √(0.06² + 0.08²) = 0.2 (hand), so +10 % is within it
    const wide = compareCanaries(
      new Map([
        ['a', m(1.1, 0.066)],
        ['b', m(2.16, 0.1296)],
        ['c', m(4.48, 0.2688)],
      ]),
      '1.30.0',
      {
        ...then,
        byArch: new Map([
          ['a', m(1, 0.08)],
          ['b', m(2, 0.16)],
          ['c', m(4, 0.32)],
        ]),
      },
    );
    expect(wide?.noise).toBeCloseTo(0.2, 12);
    expect(wide?.moved).toBe(false);
    expect(canaryLine(wide, 'x')).toBe('canaries: +10.0 % since the run of t0 (runtime 1.29.0 → 1.30.0), within the noise floor of 20.0 %');
  });

  it('says nothing when nothing changed and nothing moved, names a governor change, and compares only shared canaries', () => {
    const then = { runAt: 't0', runtimeVersion: '1', byArch: new Map([['a', m(1, 0, 'schedutil')]]) };
    expect(canaryLine(compareCanaries(new Map([['a', m(1.01, 0, 'schedutil')]]), '1', then), 'x')).toBeNull();
    const gov = compareCanaries(new Map([['a', m(0.8, 0, 'performance')]]), '1', then);
    expect(gov).toMatchObject({ moved: true, changed: ['governor schedutil → performance'] });
    expect(gov?.shift).toBeCloseTo(-0.2, 12);
    expect(compareCanaries(new Map([['z', m(1)]]), '1', then)).toBeNull();
  });
});

describe('recalibration', () => {
  it('fits latency ≈ scale · prediction + offset by least squares (hand: 2 · p + 0.5), and only an offset when the predictions are constant', () => {
    expect(fitScaleOffset([1, 2, 3], [2.5, 4.5, 6.5])).toEqual({ scale: 2, offset: 0.5 });
    // y = 1.2, 1.4, 1.3 against p = 1, 1, 1: scale stays 1, offset = mean(y) − 1 = 0.3
    const flat = fitScaleOffset([1, 1, 1], [1.2, 1.4, 1.3]);
    expect(flat.scale).toBe(1);
    expect(flat.offset).toBeCloseTo(0.3, 12);
  });
});
