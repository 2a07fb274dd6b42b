import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PRESETS } from '@hurricane/core';
import { exportOperator } from '@hurricane/core/onnx';
import { createPluginHarness, describeHardwarePlugin } from '@hurricane/core/testing';
import { describe, expect, it } from 'vitest';
import { FAKE_BIN, FAKE_SNPE_ROOT, REPO, pathWith } from '../../../test/helpers.js';
import plugin, { parseSnpeVersion } from '../src/index.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'hurricane-snpe-'));
const deviceDir = mkdtempSync(path.join(os.tmpdir(), 'hurricane-device-'));
const ready = { PATH: pathWith(FAKE_BIN), SNPE_ROOT: FAKE_SNPE_ROOT, FAKE_ADB_STATE: 'device', FAKE_ADB_DEVICE_DIR: deviceDir };
const tiny = path.join(work, "op 'one'.onnx");
exportOperator({ backbone: PRESETS.mnist(), layer: 19, operator: 'MB_3_1', output: tiny, seed: 1 });
const tinyModel = { path: tiny, inputName: 'input', inputShape: [1, 160, 4, 4], outputName: 'output' };

describeHardwarePlugin(plugin, {
  adapterIds: ['snpe-dsp', 'snpe-gpu', 'snpe-cpu'],
  missing: { env: { PATH: pathWith() } },
  ready: { env: ready },
  measure: { ids: ['snpe-dsp', 'snpe-gpu', 'snpe-cpu'], model: () => tinyModel, workDir: () => work },
});

describe('@hurricane/hw-snpe measures through the fake SDK and a fake adb device', () => {
  it('DSP: converts, quantizes, pushes the libraries once (content hash), runs snpe-net-run with --use_dsp, reads diagview, cleans up', async () => {
    const argv = path.join(work, 'adb-argv.jsonl');
    const env = { ...ready, FAKE_ADB_ARGV: argv, FAKE_SNPE_ARGV: path.join(work, 'snpe-argv.jsonl') };
    const h = await createPluginHarness(plugin, { env, options: { rounds: 2, inferences: 5 } });
    const a = h.adapter('snpe-dsp');
    const prepared = await a.prepare(tinyModel, { workDir: work });
    expect(prepared.artifactPath).toBe(path.join(work, 'snpe', 'dsp', "op 'one'", "op 'one'.quantized.dlc"));
    const m = await a.measure(prepared);
    // fake device latency: 50 us + DLC bytes / 400 (DSP)
    const expected = (50 + Math.round(readFileSync(prepared.artifactPath).length / 400)) / 1000;
    expect(m.samplesMs).toHaveLength(2);
    for (const v of m.samplesMs) expect(v).toBeCloseTo(expected, 12);
    expect(m.runs).toBe(10);
    expect(m.provenance).toMatchObject({ runtime: 'Qualcomm SNPE', runtimeVersion: '2.14.2.230905160328_61726' });
    const calls = readFileSync(argv, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    const pushes = calls.filter((c) => c[3] === 'push').map((c) => c[5]);
    expect(pushes.slice(0, 3)).toEqual(['/data/local/tmp/hurricane/bin', '/data/local/tmp/hurricane/lib', '/data/local/tmp/hurricane/dsp']);
    expect(pushes[3]).toMatch(/^\/data\/local\/tmp\/hurricane\/runs\/\d+-\d+$/); // the model, its input list and inputs in one push
    const run = calls.find((c) => c[3] === 'shell' && (c[4] as string).includes('snpe-net-run'))?.[4] as string;
    expect(run).toContain(
      "export ADSP_LIBRARY_PATH='/data/local/tmp/hurricane/dsp;/system/lib/rfsa/adsp;/system/vendor/lib/rfsa/adsp;/dsp'",
    );
    expect(run).toContain(
      "snpe-net-run --container 'op '\\''one'\\''.quantized.dlc' --input_list input_list.txt --output_dir output_r1 --use_dsp --enable_cpu_fallback --perf_profile burst --profiling_level basic > output_r1/stdout.txt 2>&1; echo __RC_m0_r1__=$?",
    );
    expect(readdirSync(path.join(deviceDir, 'data/local/tmp/hurricane/runs'))).toEqual([]); // cleaned up
    // a second measurement finds the libraries' hash marker and pushes only the model and its inputs
    const before = calls.length;
    await a.measure(prepared);
    const again = readFileSync(argv, 'utf8')
      .trim()
      .split('\n')
      .slice(before)
      .map((l) => JSON.parse(l) as string[]);
    expect(again.filter((c) => c[3] === 'push')).toHaveLength(1);
    expect(again.filter((c) => c[3] === 'shell' || c[3] === 'pull' || c[1] === 'devices').length).toBeLessThanOrEqual(4); // library check, run, pull, clean-up
    const snpe = readFileSync(path.join(work, 'snpe-argv.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    expect(snpe.at(-2)).toEqual([
      'snpe-onnx-to-dlc',
      '--input_network',
      tiny,
      '--output_path',
      path.join(work, 'snpe', 'dsp', "op 'one'", "op 'one'.dlc"),
    ]);
    expect(snpe.at(-1)?.slice(0, 5)).toEqual([
      'snpe-dlc-quantize',
      '--input_dlc',
      path.join(work, 'snpe', 'dsp', "op 'one'", "op 'one'.dlc"),
      '--input_list',
      'input_list.txt',
    ]);
    expect(existsSync(path.join(work, 'snpe', 'dsp', "op 'one'", 'logs'))).toBe(true);
    expect(m.fallback).toBeUndefined(); // every layer ran on the DSP
  });

  it("a DSP run in which layers fell back to the CPU (diagview's rows say CPU) is stored with them named; with snpe.fallback 'error' it fails in one line naming the model and layers", async () => {
    // the fake device cannot run layers 1 and 7 on its DSP; the fake diagview writes them as the recorded CPU rows do
    const env = { ...ready, FAKE_SNPE_CPU_LAYERS: '1,7' };
    const flag = (await createPluginHarness(plugin, { env, options: { rounds: 2, inferences: 2 } })).adapter('snpe-dsp');
    const prepared = await flag.prepare(tinyModel, { workDir: work });
    const m = await flag.measure(prepared);
    expect(m.fallback).toEqual({ to: 'CPU', layers: ['1', '7'] });
    expect(m.samplesMs).toHaveLength(2);
    const cpu = (await createPluginHarness(plugin, { env, options: { rounds: 1, inferences: 2 } })).adapter('snpe-cpu');
    expect((await cpu.measure(await cpu.prepare(tinyModel, { workDir: work }))).fallback).toBeUndefined(); // the CPU runtime has nothing to fall back from
    const strict = (await createPluginHarness(plugin, { env, options: { rounds: 1, inferences: 2, fallback: 'error' } })).adapter(
      'snpe-dsp',
    );
    const error = await strict.measure(prepared).then(
      () => null,
      (e: Error) => e,
    );
    expect(error?.message).toMatch(
      new RegExp(
        `^snpe-dsp: ${path.basename(work)}/op 'one'\\.onnx ran layers 1, 7 on the CPU, not the Hexagon DSP / HTP, and snpe\\.fallback is 'error': leave the operator out of the space or set snpe\\.fallback: 'flag'`,
      ),
    );
    expect(error?.message).not.toContain('\n');
  });

  it('a batch of three models costs one push, one run and one pull on the device, and yields one measurement each', async () => {
    const argv = path.join(work, 'batch-argv.jsonl');
    const h = await createPluginHarness(plugin, { env: { ...ready, FAKE_ADB_ARGV: argv }, options: { rounds: 2 } });
    const a = h.adapter('snpe-gpu');
    const prepared = [];
    for (const op of ['MB_3_1', 'MB_5_6', 'SEP_3']) {
      const file = path.join(work, `${op}.onnx`);
      exportOperator({ backbone: PRESETS.mnist(), layer: 19, operator: op, output: file, seed: 1 });
      prepared.push(await a.prepare({ ...tinyModel, path: file }, { workDir: work }));
    }
    await a.measure(prepared[0] as never); // libraries in place
    const before = readFileSync(argv, 'utf8').trim().split('\n').length;
    const ms = await (a.measureBatch?.(prepared) ?? Promise.reject(new Error('no measureBatch')));
    const calls = readFileSync(argv, 'utf8')
      .trim()
      .split('\n')
      .slice(before)
      .map((l) => JSON.parse(l) as string[]);
    expect(calls.map((c) => c[3])).toEqual(['shell', 'push', 'shell', 'pull', 'shell']); // check libraries, push, run, pull, clean up
    expect(ms.map((m) => m.samplesMs.length)).toEqual([2, 2, 2]);
    expect(ms[1]?.medianMs).toBeGreaterThan(ms[0]?.medianMs ?? Number.POSITIVE_INFINITY); // MB_5_6 is a bigger DLC than MB_3_1
  });

  it("CPU: no runtime flag and no quantization; an unauthorized device is one line with adb's words and the fix", async () => {
    const h = await createPluginHarness(plugin, { env: ready, options: { rounds: 1 } });
    const prepared = await h.adapter('snpe-cpu').prepare(tinyModel, { workDir: work });
    expect(prepared.artifactPath.endsWith("op 'one'.dlc")).toBe(true);
    expect(prepared.commands).toHaveLength(1);
    const locked = await createPluginHarness(plugin, { env: { ...ready, FAKE_ADB_STATE: 'unauthorized' }, options: { rounds: 1 } });
    await expect(locked.adapter('snpe-cpu').measure(prepared)).rejects.toThrow(
      /^snpe-cpu: .*unauthorized.*\(unlock .* "Allow USB debugging"/,
    );
  });

  it('retries an adb call that fails because the device went offline, a bounded number of times', async () => {
    const { writeFileSync } = await import('node:fs');
    const flaky = path.join(work, 'flaky');
    const h = await createPluginHarness(plugin, { env: { ...ready, FAKE_ADB_FLAKY: flaky }, options: { rounds: 1, adbRetries: 2 } });
    const a = h.adapter('snpe-cpu');
    const prepared = await a.prepare(tinyModel, { workDir: work });
    writeFileSync(flaky, '2'); // two failures, two retries: the measurement goes through
    expect((await a.measure(prepared)).samplesMs).toHaveLength(1);
    writeFileSync(flaky, '3'); // one failure more than the retries allow
    await expect(a.measure(prepared)).rejects.toThrow(/adb shell failed on 5LM0215C15000924: device offline/);
  }, 30_000);

  it('a DSP library folder the SDK does not have names the option to fix', async () => {
    const h = await createPluginHarness(plugin, { env: ready, options: { dspArch: 'hexagon-v99', rounds: 1 } });
    const a = h.adapter('snpe-dsp');
    const prepared = await a.prepare(tinyModel, { workDir: work });
    await expect(a.measure(prepared)).rejects.toThrow(
      /lib\/hexagon-v99\/unsigned does not exist; set 'snpe.dspArch' to your SoC's Hexagon version/,
    );
  });
});

describe('@hurricane/hw-snpe health check', () => {
  const report = async (env: Record<string, string>, options: unknown = {}) => {
    const h = await createPluginHarness(plugin, { env, options });
    const r = await h.adapter('snpe-dsp').healthCheck();
    await h.dispose();
    return Object.fromEntries(r.checks.map((c) => [c.name, c]));
  };

  it('finds the host tools under $SNPE_ROOT/bin/x86_64-linux-clang and reads the version', async () => {
    const c = await report(ready);
    expect(c['SNPE SDK']).toMatchObject({ status: 'ok', detail: `${FAKE_SNPE_ROOT} (from SNPE_ROOT)` });
    expect(c['snpe-net-run']).toMatchObject({
      status: 'ok',
      detail: `${FAKE_SNPE_ROOT}/bin/x86_64-linux-clang/snpe-net-run, version 2.14.2.230905160328_61726`,
    });
  });

  it('prefers snpe.sdkRoot over SNPE_ROOT and reports a root that is not a folder', async () => {
    const c = await report({ ...ready, SNPE_ROOT: '/nonexistent' }, { sdkRoot: FAKE_SNPE_ROOT });
    expect(c['SNPE SDK']).toMatchObject({ status: 'ok', detail: `${FAKE_SNPE_ROOT} (from 'snpe.sdkRoot')` });
    const bad = await report({ ...ready, SNPE_ROOT: '/nonexistent' });
    expect(bad['SNPE SDK']).toMatchObject({ status: 'error', detail: 'SNPE_ROOT points to /nonexistent, which is not a folder' });
  });

  it('passes the device state through: unauthorized, none, two without a serial', async () => {
    expect((await report({ ...ready, FAKE_ADB_STATE: 'unauthorized' }))['device (adb)']?.status).toBe('error');
    expect((await report({ ...ready, FAKE_ADB_STATE: 'none' }))['device (adb)']?.status).toBe('missing');
    expect((await report({ ...ready, FAKE_ADB_STATE: 'two' }))['device (adb)']?.fix).toBe(
      "set 'snpe.serial' in the config to the serial of the one to measure",
    );
    expect((await report({ ...ready, FAKE_ADB_STATE: 'two' }, { serial: '3a7c328c' }))['device (adb)']?.status).toBe('ok');
  });

  it('refuses to measure a model another adapter prepared', async () => {
    const h = await createPluginHarness(plugin, { env: ready });
    await expect(h.adapter('snpe-dsp').measure({ adapterId: 'snpe-cpu' } as never)).rejects.toThrow(
      'snpe-dsp cannot measure a model prepared by snpe-cpu',
    );
  });
});

describe('parseSnpeVersion', () => {
  it('reads the banner of recorded snpe-net-run output', () => {
    const text = readFileSync(path.join(REPO, 'test/fixtures/vendor-outputs/snpe-net-run-stdout-2.14.txt'), 'utf8');
    expect(parseSnpeVersion(text.split('\n').slice(1).join('\n'))).toBe('2.14.2.230905160328_61726');
  });
  it('falls back to any dotted version and gives null when there is none', () => {
    expect(parseSnpeVersion('snpe-net-run version 1.54.2.2899\n')).toBe('1.54.2.2899');
    expect(parseSnpeVersion('command not found')).toBeNull();
  });
});
