import { describe, expect, it } from 'vitest';
import { type MeasureJob, batchesOf, measuringAdapter } from '../src/adapter-kit/measuring-adapter.js';
import type { HardwareAdapter, LatencyMeasurement, PreparedModel } from '../src/contracts/hardware-adapter.js';
import { SimulatedAdapter } from '../src/testing/simulated.js';

const model = (name: string): PreparedModel => ({
  adapterId: 'sim',
  source: { path: name, inputName: 'input', inputShape: [1], outputName: 'output' },
  artifactPath: name,
  format: 'onnx',
  commands: [],
});
/** Jobs m0…m4: m0–m2 in group a, m3–m4 in group b. */
const jobs: MeasureJob[] = ['a', 'a', 'a', 'b', 'b'].map((group, i) => ({ model: model(`m${i}`), key: `k${i}`, group }));
const latency = (m: { path: string }) => Number(m.path.slice(1)) + 1; // m0 → 1 ms, m4 → 5 ms

describe('MeasuringAdapter: one measureMany for every tier', () => {
  it('batches are consecutive jobs of one group, split at the batch size', () => {
    expect(batchesOf(jobs)).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
    expect(batchesOf(jobs, 2)).toEqual([[0, 1], [2], [3, 4]]);
    expect(batchesOf([])).toEqual([]);
  });

  it('an adapter with only measure: every job measured once, in order, each result reported with its index', async () => {
    const sim = new SimulatedAdapter({ latencyMs: latency, samples: 1 });
    const got: [number, number, string][] = [];
    await measuringAdapter(sim).measureMany(jobs, (i, m, note) => got.push([i, m.medianMs, note]));
    expect(sim.calls.filter((c) => c.startsWith('measure'))).toEqual([
      'measure m0',
      'measure m1',
      'measure m2',
      'measure m3',
      'measure m4',
    ]);
    expect(got).toEqual([
      [0, 1, '3/5'],
      [1, 2, '3/5'],
      [2, 3, '3/5'],
      [3, 4, '5/5'],
      [4, 5, '5/5'],
    ]);
  });

  it('an adapter with measureBatch gets each batch whole, and a wrong count is an error naming the adapter', async () => {
    const sim = new SimulatedAdapter({ latencyMs: latency, samples: 1 });
    const batches: string[][] = [];
    const batching: HardwareAdapter = Object.assign(Object.create(sim), {
      async measureBatch(models: readonly PreparedModel[]) {
        batches.push(models.map((m) => m.artifactPath));
        return Promise.all(models.map((m) => sim.measure(m)));
      },
    });
    const got: number[] = [];
    await measuringAdapter(batching).measureMany(jobs, (i) => got.push(i), { batchSize: 2 });
    expect(batches).toEqual([['m0', 'm1'], ['m2'], ['m3', 'm4']]);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    const short: HardwareAdapter = Object.assign(Object.create(sim), { measureBatch: async () => [] as LatencyMeasurement[] });
    await expect(measuringAdapter(short).measureMany(jobs, () => {})).rejects.toThrow('sim returned 0 measurements for 3 models');
  });

  it("an adapter with measureMany gets the jobs as they are (it batches itself), without the wrapper's batch size", async () => {
    const seen: unknown[] = [];
    const many: HardwareAdapter = Object.assign(Object.create(new SimulatedAdapter()), {
      async measureMany(j: readonly MeasureJob[], _on: unknown, options: unknown) {
        seen.push(
          j.map((x) => x.key),
          options,
        );
      },
    });
    await measuringAdapter(many).measureMany(jobs, () => {}, { batchSize: 2 });
    expect(seen).toEqual([['k0', 'k1', 'k2', 'k3', 'k4'], {}]);
  });

  it('runs the health check and describe once per wrapper, again with fresh, and retries one that failed', async () => {
    const sim = new SimulatedAdapter();
    const a = measuringAdapter(sim);
    await a.healthCheck();
    await a.healthCheck();
    await a.describe();
    await a.describe();
    expect(sim.calls).toEqual(['healthCheck', 'describe']);
    await a.healthCheck({ fresh: true });
    expect(sim.calls.filter((c) => c === 'healthCheck')).toHaveLength(2);
    let fail = true;
    const flaky = measuringAdapter(
      Object.assign(Object.create(sim), {
        healthCheck: async () => {
          if (fail) throw new Error('adb not answering');
          return { adapterId: 'sim', ready: true, checks: [] };
        },
      }),
    );
    await expect(flaky.healthCheck()).rejects.toThrow('adb not answering');
    fail = false;
    await expect(flaky.healthCheck()).resolves.toMatchObject({ ready: true });
  });

  it('wraps once: a wrapped adapter is returned as it is', () => {
    const a = measuringAdapter(new SimulatedAdapter());
    expect(measuringAdapter(a)).toBe(a);
  });
});
