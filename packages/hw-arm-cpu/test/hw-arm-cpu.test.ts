import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PRESETS } from '@hurricane/core';
import { exportOperator } from '@hurricane/core/onnx';
import { createPluginHarness, describeHardwarePlugin } from '@hurricane/core/testing';
import { describe, expect, it } from 'vitest';
import plugin from '../src/index.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'hurricane-arm-'));
const tiny = path.join(work, 'tiny.onnx');
exportOperator({ backbone: PRESETS.mnist(), layer: 19, operator: 'MB_3_1', output: tiny, seed: 1 });
const tinyModel = { path: tiny, inputName: 'input', inputShape: [1, 160, 4, 4], outputName: 'output' };

describeHardwarePlugin(plugin, {
  adapterIds: ['arm-cpu'],
  missing: { options: { runtimeModule: 'onnxruntime-node-not-installed' } },
  ready: { options: {} },
  // one real ONNX Runtime measurement of a tiny operator
  measure: { ids: ['arm-cpu'], model: () => tinyModel, workDir: () => work },
});

describe('@hurricane/hw-arm-cpu', () => {
  it('reports the real ONNX Runtime version and the host CPU', async () => {
    const h = await createPluginHarness(plugin);
    const d = await h.adapter('arm-cpu').describe();
    const ortPkg = (await import('onnxruntime-node/package.json', { with: { type: 'json' } })).default as { version: string };
    expect(d.runtimeVersion).toBe(ortPkg.version);
    expect(d.device).toContain(`${os.cpus().length} cores`);
  });

  it('measures a batch of models interleaved, with provenance and settings', async () => {
    const big = path.join(work, 'big.onnx');
    exportOperator({ backbone: PRESETS.mnist(), layer: 19, operator: 'MB_7_6_SE', output: big, seed: 1 });
    const h = await createPluginHarness(plugin);
    const a = h.adapter('arm-cpu');
    const ms = await a.measureBatch?.([await a.prepare(tinyModel), await a.prepare({ ...tinyModel, path: big })]);
    expect(ms).toHaveLength(2);
    const [small, large] = ms ?? [];
    expect(large?.medianMs).toBeGreaterThan(small?.medianMs ?? Number.POSITIVE_INFINITY);
    expect(small?.provenance.settings).toMatchObject({ threads: 1 });
    expect(small?.provenance.deviceFingerprint).toContain('threads=1');
    // The protocol's floor and stopping rule (docs/adapters/arm-cpu.md): at least 10 rounds of 3
    // timed samples, each of at least one call; it stops once the median is known within 2 %, or
    // after 30 rounds.
    for (const m of [small, large]) {
      const rounds = Number(m?.provenance.settings.rounds);
      expect(rounds).toBeGreaterThanOrEqual(10);
      expect(rounds).toBeLessThanOrEqual(30);
      expect(m?.samplesMs).toHaveLength(3 * rounds);
      expect(m?.runs).toBeGreaterThanOrEqual(3 * rounds);
      // (2 % of the median of round medians, which sits within a few % of the samples' median.)
      if (rounds < 30) expect(m?.uncertaintyMs).toBeLessThanOrEqual(0.025 * (m?.medianMs ?? 0));
    }
  });

  it('names a model ONNX Runtime cannot load', async () => {
    const bad = path.join(work, 'bad.onnx');
    (await import('node:fs')).writeFileSync(bad, 'not onnx');
    const h = await createPluginHarness(plugin);
    await expect(h.adapter('arm-cpu').prepare({ ...tinyModel, path: bad })).rejects.toThrow(
      /^arm-cpu: ONNX Runtime cannot load .*bad\.onnx: /,
    );
  });

  it('warns when asked for more threads than cores', async () => {
    const h = await createPluginHarness(plugin, { options: { threads: os.cpus().length + 1 } });
    const r = await h.adapter('arm-cpu').healthCheck();
    expect(r.checks.find((c) => c.name === 'threads')).toMatchObject({ status: 'warn' });
  });
});

describe('@hurricane/hw-arm-cpu errors', () => {
  it('wraps an ONNX Runtime run failure (wrong input shape) into one line naming the model', async () => {
    const h = await createPluginHarness(plugin);
    const a = h.adapter('arm-cpu');
    const prepared = await a.prepare(tinyModel);
    await expect(a.measure({ ...prepared, source: { ...prepared.source, inputShape: [1, 3, 4, 4] } })).rejects.toThrow(
      /^arm-cpu: ONNX Runtime failed running .*tiny\.onnx: /,
    );
  });
});
