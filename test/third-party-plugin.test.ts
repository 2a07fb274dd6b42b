// A third-party hardware plugin, written as a user would from docs/writing-a-hardware-adapter.md
// (test/fixtures/hurricane-plugin-ort-perf-test), runs through the shared adapter suite and
// loads into a user's project by package name.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSession } from '@hurricane/core';
import { describeHardwarePlugin } from '@hurricane/core/testing';
import { describe, expect, it } from 'vitest';
import plugin, { buildArgs, parseOutput } from './fixtures/hurricane-plugin-ort-perf-test/src/index.js';
import { FAKE_BIN, REPO, THIRD_PARTY, makeProject, pathWith } from './helpers.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'hurricane-ort-'));
const modelPath = path.join(work, 'tiny.onnx');
writeFileSync(modelPath, Buffer.alloc(2_500, 1));

describeHardwarePlugin(plugin, {
  adapterIds: ['ort-perf-test'],
  options: { rounds: 4, repetitions: 10 },
  missing: { env: { PATH: pathWith() } },
  ready: { env: { PATH: pathWith(FAKE_BIN) } },
  measure: {
    ids: ['ort-perf-test'],
    model: () => ({ path: modelPath, inputName: 'input', inputShape: [1, 3, 8, 8], outputName: 'output' }),
    workDir: () => work,
  },
});

describe('hurricane-plugin-ort-perf-test', () => {
  it('builds the documented argv and parses the recorded output', () => {
    expect(buildArgs({ modelPath: 'm.onnx', repetitions: 100, threads: 1 })).toEqual([
      '-e',
      'cpu',
      '-m',
      'times',
      '-r',
      '100',
      '-x',
      '1',
      '-s',
      '-I',
      'm.onnx',
    ]);
    const recorded = readFileSync(path.join(REPO, 'test/fixtures/vendor-outputs/onnxruntime_perf_test-2025.txt'), 'utf8')
      .split('\n')
      .slice(1)
      .join('\n');
    expect(parseOutput(recorded)).toEqual({ averageMs: 1.85739, requests: 100, p50Ms: 1.85674, p90Ms: 1.87215 });
    expect(() => parseOutput('Session creation time cost: 0.01 s\n')).toThrow("no 'Average inference time cost: … ms' line");
  });

  it('loads into a user project by package name and measures through the session API', async () => {
    const dir = makeProject(
      {
        'hurricane.config.json': JSON.stringify({
          plugins: ['hurricane-plugin-ort-perf-test'],
          hardware: 'ort-perf-test',
          ortPerfTest: { rounds: 3 },
        }),
      },
      { 'hurricane-plugin-ort-perf-test': THIRD_PARTY },
    );
    const session = await createSession({ cwd: dir, env: { PATH: pathWith(FAKE_BIN) } });
    expect(session.plugins()).toMatchObject([
      { name: 'hurricane-plugin-ort-perf-test', version: '1.0.0', adapters: [{ id: 'ort-perf-test' }] },
    ]);
    const doctor = await session.doctor();
    expect(doctor.selectedReady).toBe(true);
    const adapter = session.adapter();
    const m = await adapter.measure(
      await adapter.prepare({ path: modelPath, inputName: 'input', inputShape: [1, 3, 8, 8], outputName: 'output' }),
    );
    expect(m.samplesMs).toEqual([0.75, 0.75, 0.75]); // the fake's latency for a 2,500-byte model: 0.5 + 2500/10000 ms
    expect(m.provenance.commands[0]?.slice(1)).toEqual(buildArgs({ modelPath, repetitions: 100, threads: 1 }));
    await session.dispose();
  });

  it('turns a tool failure into a one-line error with the exact command', async () => {
    const session = await createSession({
      cwd: makeProject({ 'hurricane.config.json': JSON.stringify({ plugins: [THIRD_PARTY], hardware: 'ort-perf-test' }) }),
      env: { PATH: pathWith(FAKE_BIN) },
    });
    const adapter = session.adapter();
    const prepared = await adapter.prepare({ path: modelPath, inputName: 'input', inputShape: [1], outputName: 'output' });
    const gone = { ...prepared, artifactPath: path.join(work, 'deleted.onnx') };
    await expect(adapter.measure(gone)).rejects.toThrow(
      /^ort-perf-test: onnxruntime_perf_test failed \(exit 255\): Run failed:Load model from .*deleted\.onnx failed/,
    );
    await session.dispose();
  });
});
