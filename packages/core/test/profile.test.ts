import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HurricaneError } from '../src/errors.js';
import type { LatencyMeasurement } from '../src/contracts/hardware-adapter.js';
import { SqliteLatencyStore } from '../src/profile/latency-store.js';
import { distinctContexts, profileOperators } from '../src/profile/profiler.js';
import { reduceSpace, spaceTable } from '../src/profile/reduction.js';
import { Eq4Scoring } from '../src/profile/eq4-scoring.js';
import { PRESETS, layerContexts, makeBackbone, skipLayersOf } from '../src/space/backbone.js';
import { SimulatedAdapter, type SimulatedAdapterOptions } from '../src/testing/simulated.js';

/** Algorithm 1's reduction as the paper runs it: keep 4, the 11th best explores in the last 4 layers. */
const PAPER = { keep: 4, exploringIndex: 10, exploringLayers: 4, statistic: 'p10' as const };
const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'hurricane-profile-'));
const meta = {
  adapterId: 'fake',
  device: 'fake device',
  deviceFingerprint: 'fake',
  runtimeVersion: '1.0.0',
  scoring: { name: 'eq4', alpha: 0, beta: 0 },
};
/** The simulated device of these tests, named as `meta` says; 1 ms per model unless `o` says otherwise. */
const fake = (o: SimulatedAdapterOptions = {}) =>
  new SimulatedAdapter({ id: 'fake', device: 'fake device', fingerprint: 'fake', runtimeVersion: '1.0.0', latencyMs: () => 1, ...o });
const fakeMeasurement = (ms: number): Promise<LatencyMeasurement> =>
  fake({ latencyMs: () => ms }).measure({
    adapterId: 'fake',
    source: { path: 'x', inputName: 'input', inputShape: [1], outputName: 'output' },
    artifactPath: 'x',
    format: 'onnx',
    commands: [],
  });

describe('SqliteLatencyStore', () => {
  it('round-trips operator and network measurements, replaces by key, and persists across reopening', async () => {
    const file = path.join(tmp(), 'sub', 'latency.sqlite');
    const store = new SqliteLatencyStore(file);
    const key = {
      adapterId: 'arm-cpu',
      deviceFingerprint: 'cpu|2',
      runtimeVersion: '1.30.0',
      operator: 'MB_3_3',
      contextId: '8x8_80_80_s1',
    };
    const m1 = await fakeMeasurement(1.5);
    store.putOperator(key, m1);
    expect(store.getOperator(key)).toEqual(m1);
    expect(store.getOperator({ ...key, runtimeVersion: '1.29.0' })).toBeUndefined();
    const m2 = await fakeMeasurement(2.5);
    store.putOperator(key, m2);
    store.putOperator({ ...key, operator: 'Choice_3' }, m1);
    const net = { adapterId: 'arm-cpu', deviceFingerprint: 'cpu|2', runtimeVersion: '1.30.0', preset: 'cifar', arch: 'a,b' };
    store.putNetwork(net, m1);
    store.close();
    const again = new SqliteLatencyStore(file);
    expect(again.getOperator(key)?.medianMs).toBe(2.5);
    expect(
      again.listOperators({ adapterId: 'arm-cpu', deviceFingerprint: 'cpu|2', runtimeVersion: '1.30.0' }).map((r) => r.key.operator),
    ).toEqual(['Choice_3', 'MB_3_3']);
    expect(again.getNetwork(net)).toEqual(m1);
    again.close();
  });

  it('refuses a file that is not a latency store, naming it', () => {
    const file = path.join(tmp(), 'junk.sqlite');
    require('node:fs').writeFileSync(file, 'x'.repeat(4096));
    expect(() => new SqliteLatencyStore(file)).toThrow(
      new RegExp(`^latency store ${file} cannot be opened: .*; move it aside to start a new one$`),
    );
  });
});

/** A simulated device that dies (like a killed tool) after `failAfter` measurements. */
const crashing = (failAfter: number) => fake({ latencyMs: (m) => (m.path.includes('MB') ? 2 : 1), failAfter });
const measuredBy = (a: SimulatedAdapter) => a.calls.filter((c) => c.startsWith('measure ')).length;

describe('profileOperators', () => {
  const tiny = makeBackbone({
    name: 'tiny',
    inputSize: 8,
    classes: 3,
    widthMultiplier: 0.25,
    stemStride: 1,
    stageRepeats: [3, 1, 1, 1],
    operators: ['MB_3_1', 'Choice_3', 'SEP_3'],
  });
  const total = distinctContexts(tiny).length * 3;

  it('measures every operator in every distinct context once, and nothing on a second run', async () => {
    const dir = tmp();
    const store = new SqliteLatencyStore(path.join(dir, 'l.sqlite'));
    const adapter = fake();
    const first = await profileOperators({ backbone: tiny, adapter, store, workDir: dir, seed: 0 });
    expect(first).toMatchObject({ total, measured: total, reused: 0 });
    expect(distinctContexts(tiny).length).toBe(layerContexts(tiny).length - 1);
    const second = await profileOperators({ backbone: tiny, adapter, store, workDir: dir, seed: 0 });
    expect(second).toMatchObject({ total, measured: 0, reused: total });
    const forced = await profileOperators({ backbone: tiny, adapter, store, workDir: dir, seed: 0, force: true });
    expect(forced.measured).toBe(total);
    store.close();
  });

  it('with Skip offered in some layers, measures it once in each of their distinct contexts as well, and only that on a run after a full profile', async () => {
    const dir = tmp();
    const store = new SqliteLatencyStore(path.join(dir, 'l.sqlite'));
    const adapter = fake();
    await profileOperators({ backbone: tiny, adapter, store, workDir: dir, seed: 0 });
    // tiny: layer 0 changes channels (2 → 16), layers 1 and 2 keep 16 → 16 at stride 1 (one context), 3–5 open stages
    expect(skipLayersOf(tiny)).toEqual([1, 2]);
    const more = await profileOperators({ backbone: tiny, adapter, store, workDir: dir, seed: 0, skipLayers: [1, 2] });
    expect(more).toMatchObject({ total: total + 1, measured: 1, reused: total });
    const ops = store.listOperators({ adapterId: 'fake', deviceFingerprint: 'fake', runtimeVersion: '1.0.0' });
    expect(ops.filter((r) => r.key.operator === 'Skip').map((r) => r.key.contextId)).toEqual([layerContexts(tiny)[1]?.contextId]);
    store.close();
  });

  it('resumes after a crash mid-profile without losing or repeating finished measurements', async () => {
    const dir = tmp();
    const file = path.join(dir, 'l.sqlite');
    let store = new SqliteLatencyStore(file);
    await expect(profileOperators({ backbone: tiny, adapter: crashing(5), store, workDir: dir, seed: 0, batchSize: 2 })).rejects.toThrow(
      'simulated crash',
    );
    store.close();
    store = new SqliteLatencyStore(file);
    const kept = store.listOperators({ adapterId: 'fake', deviceFingerprint: 'fake', runtimeVersion: '1.0.0' }).length;
    // batches never cross a context: [2 ops] [1 op] of the first context, [2 ops] of the second, then the crash
    expect(kept).toBe(5);
    const healthy = crashing(1000);
    const resumed = await profileOperators({ backbone: tiny, adapter: healthy, store, workDir: dir, seed: 0, batchSize: 2 });
    expect(resumed).toMatchObject({ measured: total - kept, reused: kept });
    expect(measuredBy(healthy)).toBe(total - kept);
    store.close();
  });

  it('refuses an adapter that is not ready, with the failing checks', async () => {
    const dir = tmp();
    const store = new SqliteLatencyStore(path.join(dir, 'l.sqlite'));
    const e = await profileOperators({
      backbone: tiny,
      adapter: fake({ ready: false }),
      store,
      workDir: dir,
      seed: 0,
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HurricaneError);
    expect((e as Error).message).toBe(
      "fake is not ready to measure: simulated device: switched off for this test (run 'hurricane doctor' for the fixes)",
    );
    store.close();
  });
});

describe('reduceSpace against a hand-made latency table', () => {
  const four = makeBackbone({ name: 'four', inputSize: 8, classes: 3, widthMultiplier: 0.25, stemStride: 1, stageRepeats: [2, 2, 2, 2] });
  const eq4 = new Eq4Scoring({ alpha: 0, beta: 0 });
  const table =
    (lat: Record<string, number>, fallback = 10) =>
    (op: string) =>
      lat[op] ?? fallback;

  it('keeps the 4 fastest per layer, the rank-11 exploring operator in the last 4 layers, and the best as the initial architecture', () => {
    // latency = position in OPERATOR_NAMES + 1, reversed for the last stage
    const names = four.operators;
    const lastStage = new Set(
      layerContexts(four)
        .filter((c) => c.stage === 3)
        .map((c) => c.contextId),
    );
    const s = reduceSpace(
      four,
      (op, ctx) => {
        const i = names.indexOf(op);
        return lastStage.has(ctx) ? names.length - i : i + 1;
      },
      eq4,
      meta,
      PAPER,
    );
    expect(s.layers[0]?.kept).toEqual(names.slice(0, 4));
    expect(s.layers[0]?.exploring).toBeNull();
    expect(s.layers[3]?.exploring).toBeNull();
    expect(s.layers[4]?.exploring).toBe(names[10]);
    expect(s.layers[7]?.kept).toEqual([...names].reverse().slice(0, 4));
    expect(s.layers[7]?.exploring).toBe([...names].reverse()[10]);
    expect(s.candidates.map((c) => c.length)).toEqual([4, 4, 4, 4, 5, 5, 5, 5]);
    expect(s.initialArch[0]).toBe(names[0]);
  });

  it('keeps exact ties in the space’s operator order by default, and orders them by capacity (FLOPs, params, name) with tieBreak capacity; the tie is marked', () => {
    const measured = reduceSpace(four, () => 1, eq4, meta, PAPER).layers[2];
    expect(measured?.kept).toEqual(four.operators.slice(0, 4));
    expect(new Set(measured?.ranking.map((r) => r.tie))).toEqual(new Set([0]));
    const s = reduceSpace(four, () => 1, eq4, meta, { ...PAPER, tieBreak: 'capacity' });
    const layer = s.layers[2];
    const byCapacity = [...(layer?.ranking ?? [])].sort(
      (a, b) => b.flops - a.flops || b.params - a.params || (a.operator < b.operator ? -1 : 1),
    );
    expect(layer?.kept).toEqual(byCapacity.slice(0, 4).map((r) => r.operator));
    expect(new Set(layer?.ranking.map((r) => r.tie))).toEqual(new Set([0])); // one tie group: every operator
  });

  it('reduction.skip adds Skip after the kept and exploring operators in the layers that can take it, with its latency in Table 1', () => {
    // four: every stage opens at stride 2 with more channels, so only its second layers (2, 4, 6, 8) can take Skip
    const lat = (op: string) => (op === 'Skip' ? 0.01 : four.operators.indexOf(op) + 1);
    const s = reduceSpace(four, lat, eq4, meta, { ...PAPER, skip: true });
    const plain = reduceSpace(four, lat, eq4, meta, PAPER);
    s.candidates.forEach((c, l) => {
      expect(c).toEqual([1, 3, 5, 7].includes(l) ? [...(plain.candidates[l] as string[]), 'Skip'] : plain.candidates[l]);
    });
    expect(s.layers[7]?.skip).toEqual({ latencyMs: 0.01 });
    expect(s.initialArch).toEqual(plain.initialArch);
    const table1 = spaceTable(s, four);
    expect(table1).toContain('| exploring + skip |');
    expect(table1).toMatch(/\| 4 \| 8 \| .* \| [A-Za-z_0-9]+ \+ Skip \(0\.0100 ms\) \|/);
    // only layer 4 of the listed ones: counting from 1
    expect(reduceSpace(four, lat, eq4, meta, { ...PAPER, skip: [4] }).candidates.map((c) => c.includes('Skip'))).toEqual([
      ...[false, false, false, true],
      ...[false, false, false, false],
    ]);
    expect(() => reduceSpace(four, (op) => (op === 'Skip' ? undefined : 1), eq4, meta, { ...PAPER, skip: true })).toThrow(
      /^4 operator latencies are missing \(e\.g\. Skip@/,
    );
  });

  it('keeps what there is when there are fewer candidates than asked', () => {
    const spos = makeBackbone({
      name: 'spos8',
      inputSize: 8,
      classes: 3,
      widthMultiplier: 0.25,
      stemStride: 1,
      stageRepeats: [2, 2, 2, 2],
      operators: ['Choice_3', 'Choice_5', 'Choice_7'],
    });
    const s = reduceSpace(spos, table({ Choice_7: 0.5, Choice_3: 1, Choice_5: 2 }), eq4, meta, PAPER);
    expect(s.layers[7]?.kept).toEqual(['Choice_7', 'Choice_3', 'Choice_5']);
    expect(s.layers[7]?.exploring).toBeNull();
  });

  it('uses the configured exploring index, and capacity when alpha > 0', () => {
    const s = reduceSpace(four, (op) => four.operators.indexOf(op) + 1, eq4, meta, {
      keep: 2,
      exploringIndex: 5,
      exploringLayers: 1,
      statistic: 'p10',
    });
    expect(s.layers.map((l) => l.exploring)).toEqual([null, null, null, null, null, null, null, four.operators[5]]);
    // equal latencies: with alpha = 1 the operator with the most FLOPs·params^β wins
    const big = reduceSpace(four, () => 1, new Eq4Scoring({ alpha: 1, beta: 0 }), meta, PAPER);
    expect(big.layers[2]?.kept[0]).toBe(big.layers[2]?.ranking.reduce((a, r) => (r.flops > a.flops ? r : a)).operator);
    expect(() => reduceSpace(four, () => 1, eq4, meta, { keep: 4, exploringIndex: 2, exploringLayers: 4, statistic: 'p10' })).toThrow(
      'reduction.exploringIndex must be ≥ keep (4), got 2',
    );
  });

  it('reduceSpace marks a layer unstable below minConfidence, and Table 1 shows confidence, ties and the tie-break', () => {
    const ops = four.operators;
    // 4th and 5th operators swap from round to round: the 4th place is unsure
    const rounds = (i: number) =>
      Array.from({ length: 12 }, (_, r) => (i === 3 ? (r % 2 === 0 ? 4 : 5.2) : i === 4 ? (r % 2 === 0 ? 5.2 : 4) : i + 1));
    const s = reduceSpace(
      four,
      (o) => {
        const i = ops.indexOf(o);
        return { latencyMs: i + 1, rounds: { batch: 'b1', ms: rounds(i) } };
      },
      eq4,
      meta,
      // the median of the rounds: their p10 is 4 for both, an exact tie the operator order settles in every resample
      { keep: 4, exploringIndex: 10, exploringLayers: 4, statistic: 'median', tieTolerance: 0, bootstrap: 300, minConfidence: 0.9 },
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
      eq4,
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
    const measuredOrder = reduceSpace(four, near, eq4, meta, { ...PAPER, tieTolerance: 0.03 });
    expect(measuredOrder.layers[0]?.kept).toEqual(ops.slice(0, 4)); // the faster of the two stays
    expect(spaceTable(measuredOrder, four)).toContain(`(tied with ${ops[4]}, left out by the measured order)`);
    const tied = reduceSpace(four, near, eq4, meta, { ...PAPER, tieTolerance: 0.03, tieBreak: 'capacity' });
    const t = tied.layers[0];
    const pair = t?.ranking.filter((r) => r.operator === ops[3] || r.operator === ops[4]) ?? [];
    expect(pair[0]?.tie).not.toBeNull();
    expect(pair[0]?.tie).toBe(pair[1]?.tie);
    const winner = [...pair].sort((a, b) => b.flops - a.flops || b.params - a.params)[0]?.operator;
    const loser = pair.find((r) => r.operator !== winner)?.operator;
    expect(t?.kept).toContain(winner);
    expect(spaceTable(tied, four)).toContain(`(tied with ${loser}, left out by the tie-break)`);
    expect(loser).toBe(ops[3]); // the hand-made case: the 5th operator has the more FLOPs
  });

  it('marks operators whose layers fell back to another processor, in space.json and in Table 1, without changing the ranking', () => {
    const first = distinctContexts(four)[0]?.contextId;
    const latency = (op: string) => four.operators.indexOf(op) + 1;
    const plain = reduceSpace(four, latency, eq4, meta, PAPER);
    const s = reduceSpace(
      four,
      (op, ctx) =>
        op === four.operators[1] && ctx === first ? { latencyMs: latency(op), fallback: { to: 'CPU', layers: ['1', '7'] } } : latency(op),
      eq4,
      meta,
      PAPER,
    );
    expect(s.layers.map((l) => l.kept)).toEqual(plain.layers.map((l) => l.kept));
    const entry = s.layers[0]?.ranking.find((r) => r.operator === four.operators[1]);
    expect(entry?.fallback).toEqual({ to: 'CPU', layers: ['1', '7'] });
    expect(s.layers.flatMap((l) => l.ranking).filter((r) => r.fallback)).toHaveLength(s.layers.filter((l) => l.contextId === first).length);
    const md = spaceTable(s, four);
    expect(md).toContain(`${four.operators[1]} (2.0000 ms, layers 1, 7 on CPU)`);
    expect(md).toContain(
      `Fell back (some layers ran on another processor when measured, so the latency is a mix): ${four.operators[1]}@${first}.`,
    );
    expect(spaceTable(plain, four)).not.toContain('Fell back');
  });

  it('names missing latencies', () => {
    const n = distinctContexts(four).length;
    expect(() => reduceSpace(four, (op) => (op === 'MB_3_3' ? undefined : 1), eq4, meta, PAPER)).toThrow(
      new RegExp(`^${n} operator latencies are missing \\(e\\.g\\. MB_3_3@`),
    );
  });

  it('prints the Table 1 analogue as Markdown, one row per stage and context', () => {
    const s = reduceSpace(PRESETS.cifar(), (op) => PRESETS.cifar().operators.indexOf(op) + 1, eq4, meta, PAPER);
    const md = spaceTable(s, PRESETS.cifar());
    expect(md).toContain('| stage | layers | input | C_in→C_out | stride | kept operators (best first, p10 latency; ≈ tied) | exploring |');
    expect(md).toMatch(
      /^\| 1 \| 2–4 \| 32x32 \| 16→16 \| 1 \| SEP_3 \(1\.0000 ms\), SEP_5 \(2\.0000 ms\), SEP_7 \(3\.0000 ms\), SEP_3_SE \(4\.0000 ms\) \| — \|$/m,
    );
    expect(md).toContain('84 choices in 20 layers');
  });
});
