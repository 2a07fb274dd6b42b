import { Rng } from '@hurricane/core/adapter-kit';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PROTOCOL, type TimedTarget, medianUncertainty, protocolFor, runProtocol } from '../src/protocol.js';

/** A synthetic target: each call costs `perCallMs` + `floorMs`, with seeded noise and occasional spikes. */
function synthetic(
  perCallMs: number,
  floorMs: number,
  seed: number,
  o: { noise?: number; spikeRate?: number } = {},
): TimedTarget & { calls: number[] } {
  const rng = new Rng(seed);
  const calls: number[] = [];
  return {
    calls,
    async runGroup(n: number) {
      calls.push(n);
      let total = 0;
      for (let i = 0; i < n; i++) {
        const noise = 1 + (o.noise ?? 0.05) * (rng.next() * 2 - 1);
        const spike = rng.next() < (o.spikeRate ?? 0) ? 20 : 1;
        total += (perCallMs + floorMs) * noise * spike;
      }
      return total;
    },
  };
}

describe('MeasureOptions against the protocol', () => {
  it("minRuns can raise the minimum number of rounds but never lower it below the protocol's 10 rounds of 3 samples", () => {
    expect([DEFAULT_PROTOCOL.minRounds, DEFAULT_PROTOCOL.samplesPerRound, DEFAULT_PROTOCOL.maxRounds]).toEqual([10, 3, 30]);
    expect(protocolFor({}, {}).minRounds).toBe(10);
    expect(protocolFor({}, { minRuns: 5 }).minRounds).toBe(10);
    expect(protocolFor({}, { minRuns: 30 }).minRounds).toBe(10);
    // 60 samples at 3 per round: 20 rounds.
    expect(protocolFor({}, { minRuns: 60 }).minRounds).toBe(20);
    // 151 samples: ⌈151 / 3⌉ = 51 rounds, and the maximum follows (30 → 51).
    expect(protocolFor({}, { minRuns: 151 })).toMatchObject({ minRounds: 51, maxRounds: 51 });
    // An adapter configured for more samples per round needs fewer rounds, but still its own minimum.
    expect(protocolFor({ samplesPerRound: 5, minRounds: 4 }, { minRuns: 40 }).minRounds).toBe(8);
    expect(protocolFor({ samplesPerRound: 5, minRounds: 4 }, { minRuns: 5 }).minRounds).toBe(4);
    expect(protocolFor({}, { timeoutMs: 1234 }).timeoutMs).toBe(1234);
  });
});

describe('measurement protocol on synthetic timings', () => {
  it('recovers per-call latencies with the call floor subtracted, despite noise and spikes', async () => {
    const floor = 0.02;
    const targets = [
      synthetic(0.05, floor, 1, { spikeRate: 0.01 }),
      synthetic(0.2, floor, 2, { spikeRate: 0.01 }),
      synthetic(1.5, floor, 3),
    ];
    const results = await runProtocol(targets, synthetic(0, floor, 4), { seed: 1, warmupMs: 0, samplesPerRound: 5 });
    const truth = [0.05, 0.2, 1.5];
    results.forEach((r, i) => {
      const t = truth[i] as number;
      expect(Math.abs(r.estimateMs - t) / t).toBeLessThan(0.05);
      expect(r.uncertaintyMs).toBeLessThan(0.05 * t);
      expect(r.floorMs).toBeCloseTo(floor, 2);
      expect(r.samplesMs.length).toBe(r.roundMedians.length * 5);
      expect(r.runs).toBe(r.samplesMs.length * r.groupSize);
    });
  });

  it('groups calls so every timed sample lasts at least the target duration', async () => {
    const fast = synthetic(0.01, 0.005, 5, { noise: 0 });
    const [r] = await runProtocol([fast], synthetic(0, 0.005, 6, { noise: 0 }), { targetSampleMs: 1, warmupMs: 0, seed: 2 });
    expect(r?.groupSize).toBe(Math.ceil(1 / 0.015));
    // every timed group (after warm-up and the 5 calibration calls) has that size
    expect(fast.calls.slice(8).every((n) => n === r?.groupSize)).toBe(true);
  });

  it('stops early once stable and runs to maxRounds when not', async () => {
    const [stable] = await runProtocol([synthetic(0.5, 0, 7, { noise: 0 })], synthetic(0, 0.001, 8, { noise: 0 }), {
      warmupMs: 0,
      minRounds: 3,
      maxRounds: 10,
    });
    expect(stable?.roundMedians.length).toBe(3);
    const [noisy] = await runProtocol([synthetic(0.5, 0, 9, { noise: 0.9 })], synthetic(0, 0.001, 10), {
      warmupMs: 0,
      minRounds: 3,
      maxRounds: 6,
      relUncertainty: 0.0001,
    });
    expect(noisy?.roundMedians.length).toBe(6);
  });

  it('interleaves targets in a different seeded order each round', async () => {
    const order: number[] = [];
    const tracked = (id: number): TimedTarget => ({
      async runGroup(n) {
        order.push(id);
        return n * 0.1;
      },
    });
    await runProtocol([tracked(0), tracked(1), tracked(2)], tracked(3), { warmupMs: 0, minRounds: 4, maxRounds: 4, samplesPerRound: 1 });
    const rounds = [0, 1, 2, 3].map((r) => order.slice(order.length - 16 + r * 4, order.length - 16 + r * 4 + 4).join(''));
    expect(new Set(rounds).size).toBeGreaterThan(1);
    for (const r of rounds) expect([...r].sort().join('')).toBe('0123');
  });

  it('medianUncertainty: 0 for constant rounds, infinite for one round, shrinks with more rounds', () => {
    expect(medianUncertainty([1, 1, 1])).toBe(0);
    expect(medianUncertainty([1])).toBe(Number.POSITIVE_INFINITY);
    const r = new Rng(3);
    const few = Array.from({ length: 5 }, () => 1 + r.next() * 0.1);
    const many = Array.from({ length: 80 }, () => 1 + r.next() * 0.1);
    expect(medianUncertainty(many)).toBeLessThan(medianUncertainty(few));
  });

  it('aborts with a HurricaneError when asked to', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(runProtocol([synthetic(0.1, 0, 1)], synthetic(0, 0.01, 2), { signal: controller.signal })).rejects.toThrow(
      'measurement aborted',
    );
  });
});

describe('the protocol and the event loop', () => {
  it('lets timers run while it measures (a farm agent renews its job lock and heartbeat during a long measurement)', async () => {
    // a target that resolves in microtasks only, like ONNX Runtime's run: without a yield, no timer could fire
    const busy: TimedTarget = {
      async runGroup(n: number) {
        const t0 = performance.now();
        while (performance.now() - t0 < 0.2 * n) {
          // burn the CPU like an inference does
        }
        return performance.now() - t0;
      },
    };
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    try {
      await runProtocol([busy], busy, { seed: 3, warmupMs: 0, minRounds: 10, maxRounds: 10, samplesPerRound: 3 });
    } finally {
      clearInterval(timer);
    }
    // 10 rounds × 2 targets × 3 samples of ≥ 1 ms: a timer of 1 ms fires between many of them
    expect(ticks).toBeGreaterThan(10);
  });
});
