import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PRESETS } from '@hurricane/core';
import { exportOperator } from '@hurricane/core/onnx';
import { createPluginHarness, describeHardwarePlugin } from '@hurricane/core/testing';
import { describe, expect, it } from 'vitest';
import { FAKE_BIN, REPO, pathWith } from '../../../test/helpers.js';
import plugin from '../src/index.js';
import { reportResult } from '../src/openvino-adapter.js';
import { buildBenchmarkArgs, explainFailure, parseBenchmarkOutput, parseReportCsv } from '../src/benchmark-app.js';
import { buildConvertArgs, parseConvertOutput } from '../src/convert.js';

const recorded = (name: string) => {
  const text = readFileSync(new URL(`../../../test/fixtures/vendor-outputs/${name}`, import.meta.url), 'utf8');
  return text.split('\n').slice(1).join('\n'); // drop the # SOURCE header
};
const block = (name: string, title: string) => {
  const lines = recorded(name).split('\n');
  const at = lines.indexOf(`=== ${title} ===`);
  const end = lines.findIndex((l, i) => i > at && l.startsWith('=== '));
  return lines.slice(at + 1, end < 0 ? undefined : end).join('\n');
};

const work = mkdtempSync(path.join(os.tmpdir(), 'hurricane-ov-'));
const tiny = path.join(work, 'my model (v1).onnx');
exportOperator({ backbone: PRESETS.mnist(), layer: 19, operator: 'MB_3_1', output: tiny, seed: 1 });
const tinyModel = { path: tiny, inputName: 'input', inputShape: [1, 160, 4, 4], outputName: 'output' };
const ready = (extra: Record<string, string> = {}) => ({ PATH: pathWith(FAKE_BIN), ...extra });

describeHardwarePlugin(plugin, {
  adapterIds: ['openvino'],
  missing: { env: { PATH: pathWith() } },
  ready: { env: ready() },
  measure: { ids: ['openvino'], model: () => tinyModel, workDir: () => work },
});

describe('benchmark_app console output of every version (vendor-tools.md §4.3)', () => {
  it('2019 C++ (MYRIAD, ≤ 2021.4 summary): the single Latency line is the median', () => {
    expect(parseBenchmarkOutput(recorded('openvino-benchmark_app-2019-myriad-cpp.txt'))).toEqual({
      medianMs: 9.44,
      count: 24416,
      durationMs: 60011.68,
      throughputFps: 406.85,
      build: 'custom_2019_b0c5accaf8e0c0fac17aaef688478d7f391d05bb',
      deviceInfo: 'MYRIAD',
    });
  });
  it('2022.3 Python: Median, Average, Min, Max, first inference and the build', () => {
    expect(parseBenchmarkOutput(recorded('openvino-benchmark_app-2022.3-sync-cpu.txt'))).toEqual({
      medianMs: 19.42,
      averageMs: 19.42,
      minMs: 18.7,
      maxMs: 22.31,
      count: 3076,
      durationMs: 60012.39,
      throughputFps: 51.49,
      firstInferenceMs: 30.61,
      build: '2022.3.0-9052-9752fafe8eb-releases/2022/3',
      deviceInfo: 'CPU',
    });
  });
  it("2024.4 Python: as 2022.3 plus Execution Devices:['CPU']", () => {
    expect(parseBenchmarkOutput(recorded('openvino-benchmark_app-2024.4-sync-auto.txt'))).toMatchObject({
      medianMs: 34.96,
      averageMs: 38.1,
      minMs: 34.49,
      maxMs: 48.05,
      count: 392,
      build: '2024.4.0-16579-c3152d32c9c-releases/2024/4',
      deviceInfo: 'AUTO',
      executionDevices: ['CPU'],
    });
  });
  it('formats not in the recordings parse from the documented labels: 2022.1 Python (no prefix, AVG/MIN/MAX), 2023 C++ (Execution Devices: CPU), µs units, CRLF', () => {
    const py2022 =
      'Count:          100 iterations\nDuration:       250.5 ms\nLatency:\n    Median:     2.40 ms\n    AVG:        2.50 ms\n    MIN:        2.10 ms\n    MAX:        3.90 ms\nThroughput: 399.20 FPS\n';
    expect(parseBenchmarkOutput(py2022)).toMatchObject({ medianMs: 2.4, averageMs: 2.5, minMs: 2.1, maxMs: 3.9, count: 100 });
    const cpp2023 =
      '[ INFO ] Execution Devices: CPU\r\n[ INFO ] Count:               50 iterations\r\n[ INFO ] Latency:\r\n[ INFO ]    Median:           850.00 us\r\n[ INFO ]    Average:          900.00 us\r\n';
    expect(parseBenchmarkOutput(cpp2023)).toMatchObject({ medianMs: 0.85, averageMs: 0.9, count: 50, executionDevices: ['CPU'] });
  });
  it('refuses output without a median, quoting its last lines, and a non-median percentile', () => {
    expect(() => parseBenchmarkOutput('[Step 10/11] Measuring performance\n[ INFO ] Count: 5 iterations\n')).toThrow(
      /benchmark_app printed no latency; its last lines were: \[Step 10\/11\] Measuring performance \| \[ INFO \] Count: 5 iterations/,
    );
    expect(() => parseBenchmarkOutput('[ INFO ]    90 percentile:     3.00 ms\n')).toThrow(/reported the 90th percentile, not the median/);
  });
  it('explains the recorded 2023.1 "not registered" failure: for MYRIAD, that its plugin was removed in 2023.0', () => {
    const text = recorded('openvino-benchmark_app-2023.1-unknown-device-error.txt');
    expect(explainFailure(text.replaceAll('"device"', '"MYRIAD"'), 'MYRIAD')).toMatch(
      /OpenVINO 2023.1.0-12185-9e6b00e51cd-releases\/2023\/1 has no MYRIAD plugin: it was removed in 2023.0; install the 2022.3 LTS archive/,
    );
    expect(explainFailure(text, 'device.value')).toMatch(/device "device" is not registered in OpenVINO 2023.1.0/);
  });
  it('falls back to benchmark_report.csv when the console has no latency block (C++ MULTI): Python and C++ key names', async () => {
    const { writeFileSync } = await import('node:fs');
    const py = path.join(work, 'report-py.csv');
    writeFileSync(
      py,
      'Execution results\nlatency (ms);2.5\navg latency;2.6\nmin latency;2.1\nmax latency;3.0\ntotal number of iterations;200\n',
    );
    expect(reportResult(py)).toEqual({ medianMs: 2.5, averageMs: 2.6, minMs: 2.1, maxMs: 3, count: 200 });
    const cpp = path.join(work, 'report-cpp.csv');
    writeFileSync(cpp, 'Median latency (ms);1.75\nAverage latency (ms);1.8\n');
    expect(reportResult(cpp)).toEqual({ medianMs: 1.75, averageMs: 1.8 });
    expect(reportResult(path.join(work, 'none.csv'))).toBeNull();
  });
  it('reads benchmark_report.csv statistics (";"-separated)', () => {
    expect(parseReportCsv('Execution results\nlatency (ms);1.25\navg latency;1.30\nthroughput;790.1\n')).toEqual({
      'latency (ms)': 1.25,
      'avg latency': 1.3,
      throughput: 790.1,
    });
  });
  it('builds the documented latency invocation: -api sync -niter, -hint latency from 2022.1, -nireq 1 before', () => {
    expect(buildBenchmarkArgs({ model: 'a b.xml', device: 'MYRIAD', iterations: 200, hint: false, reportFolder: 'r' })).toEqual([
      '-m',
      'a b.xml',
      '-d',
      'MYRIAD',
      '-api',
      'sync',
      '-niter',
      '200',
      '-nireq',
      '1',
      '-report_type',
      'no_counters',
      '-report_folder',
      'r',
    ]);
    expect(buildBenchmarkArgs({ model: 'm.xml', device: 'CPU', iterations: 10, hint: true, reportFolder: 'r' })).toContain('-hint');
  });
});

describe('ONNX → IR conversion (vendor-tools.md §4.1)', () => {
  it('ovc and mo argv: positional input for ovc, --input_model for mo, FP16 compression stated explicitly', () => {
    const o = { onnx: 'in.onnx', xml: '/w/FP16/op.xml', inputName: 'input', inputShape: [1, 3, 32, 32], fp16: true };
    expect(buildConvertArgs('ovc', o)).toEqual([
      'in.onnx',
      '--output_model',
      '/w/FP16/op.xml',
      '--input',
      'input[1,3,32,32]',
      '--compress_to_fp16=True',
    ]);
    expect(buildConvertArgs('mo', { ...o, fp16: false })).toEqual([
      '--input_model',
      'in.onnx',
      '--output_dir',
      '/w/FP16',
      '--model_name',
      'op',
      '--input',
      'input',
      '--input_shape',
      '[1,3,32,32]',
      '--compress_to_fp16=False',
    ]);
  });
  it('takes the IR paths from the recorded ovc 2024 and mo 2022.3 / 2023.0 success lines', () => {
    expect(
      parseConvertOutput('ovc', block('openvino-ovc-2024.txt', 'ovc model/distilbert.onnx --output_model model/distilbert.xml'), '', 0),
    ).toEqual({
      xml: 'model/distilbert.xml',
      bin: 'model/distilbert.bin',
    });
    const mo = block('openvino-mo-2022.3-2023.0.txt', '(A) 2022.3');
    expect(parseConvertOutput('mo', mo, '', 0).xml).toBe('/Data_large/marine/PythonProjects/MMDET/Deploy_out/end2end.xml');
  });
  it('a failed conversion quotes the converter error lines', () => {
    expect(() => parseConvertOutput('ovc', '', '[ ERROR ] Cannot convert node Foo of type Bar\nTraceback...', 1)).toThrow(
      /ovc could not convert the model \(exit 1\): \[ ERROR \] Cannot convert node Foo of type Bar/,
    );
  });
});

describe('@hurricane/hw-openvino against the fake tools', () => {
  it('converts with ovc and measures with benchmark_app, issuing exactly the documented commands, keeping every log', async () => {
    const argv = path.join(work, 'argv.jsonl');
    const h = await createPluginHarness(plugin, {
      env: ready({ FAKE_OPENVINO_ARGV: argv }),
      options: { rounds: 2, iterations: 50 },
      workDir: work,
    });
    const a = h.adapter('openvino');
    const prepared = await a.prepare(tinyModel, { workDir: work });
    const m = await a.measure(prepared);
    const xml = path.join(work, 'openvino', 'FP32', 'my model (v1).xml');
    expect(prepared).toMatchObject({ format: 'openvino-ir', artifactPath: xml });
    const runs = readFileSync(argv, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    expect(runs.find((r) => r[0] === 'ovc' && r[1] === tiny)).toEqual([
      'ovc',
      tiny,
      '--output_model',
      xml,
      '--input',
      'input[1,160,4,4]',
      '--compress_to_fp16=False',
    ]);
    expect(runs.at(-1)?.slice(0, 10)).toEqual(['-m', xml, '-d', 'CPU', '-api', 'sync', '-niter', '50', '-hint', 'latency']);
    expect(m.samplesMs).toHaveLength(2);
    expect(m.runs).toBe(100);
    expect(m.provenance).toMatchObject({ runtime: 'Intel OpenVINO', runtimeVersion: '2024.4.0-16579-c3152d32c9c-releases/2024/4' });
    expect(m.provenance.settings).toMatchObject({ precision: 'FP32', hint: true, api: 'sync' });
    const logs = readdirSync(path.join(work, 'openvino', 'FP32', 'logs'))
      .filter((f) => f.includes('my-model-v1-.benchmark.r'))
      .sort();
    expect(logs.length).toBeGreaterThanOrEqual(2);
    const log = JSON.parse(readFileSync(path.join(work, 'openvino', 'FP32', 'logs', logs.at(-1) as string), 'utf8'));
    expect(log).toMatchObject({ exitCode: 0, stdout: expect.stringContaining('[ INFO ] Count:') });
    expect(log.command.slice(1, 3)).toEqual(['-m', xml]);
  });

  it('MYRIAD: FP16 IR and -nireq 1 on 2019 builds; doctor says 2024 has no MYRIAD plugin and how to fix it', async () => {
    const old = await createPluginHarness(plugin, {
      env: ready({ FAKE_OPENVINO: '2019' }),
      options: { device: 'MYRIAD', rounds: 1 },
      workDir: work,
    });
    const m = await old.adapter('openvino').measure(await old.adapter('openvino').prepare(tinyModel, { workDir: work }));
    expect(m.provenance.settings).toMatchObject({ precision: 'FP16', hint: false });
    expect(m.provenance.commands.at(-1)).toContain('-nireq');
    const fresh = await createPluginHarness(plugin, {
      env: ready({ FAKE_OPENVINO: '2024.4' }),
      options: { device: 'MYRIAD' },
      workDir: work,
    });
    const r = await fresh.adapter('openvino').healthCheck();
    expect(r.ready).toBe(false);
    const check = r.checks.find((c) => c.name === 'device');
    expect(check?.detail).toMatch(/MYRIAD|2023\.0/);
    expect(check?.fix).toMatch(/2022\.3 LTS/);
  });

  it('falls back to the legacy mo (OpenVINO 2022.3) when ovc is missing, with its documented argv', async () => {
    const argv = path.join(work, 'mo-argv.jsonl');
    const legacy = path.join(REPO, 'test/fixtures/openvino-2022/bin');
    const onlyMo = mkdtempSync(path.join(os.tmpdir(), 'hurricane-ov2022-'));
    const { symlinkSync } = await import('node:fs');
    symlinkSync(path.join(FAKE_BIN, 'benchmark_app'), path.join(onlyMo, 'benchmark_app'));
    const h = await createPluginHarness(plugin, {
      env: { PATH: pathWith(legacy, onlyMo), FAKE_OPENVINO: '2022.3', FAKE_OPENVINO_ARGV: argv },
      options: { rounds: 1 },
      workDir: work,
    });
    const a = h.adapter('openvino');
    expect((await a.healthCheck()).checks.find((c) => c.name === 'converter')?.detail).toMatch(/^mo at .* \(legacy\)$/);
    const m = await a.measure(await a.prepare(tinyModel, { workDir: work }));
    expect(m.provenance.runtimeVersion).toBe('2022.3.0-9052-9752fafe8eb-releases/2022/3');
    const runs = readFileSync(argv, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    expect(runs.find((r) => r[0] === 'mo' && r[2] === tiny)).toEqual([
      'mo',
      '--input_model',
      tiny,
      '--output_dir',
      path.join(work, 'openvino', 'FP32'),
      '--model_name',
      'my model (v1)',
      '--input',
      'input',
      '--input_shape',
      '[1,160,4,4]',
      '--compress_to_fp16=False',
    ]);
  });

  it('describes the device, build and precision it measures with (the latency store key)', async () => {
    const h = await createPluginHarness(plugin, { env: ready({ FAKE_OPENVINO: '2022.3' }), options: { device: 'GPU' }, workDir: work });
    const d = await h.adapter('openvino').describe();
    expect(d).toMatchObject({ runtime: 'Intel OpenVINO', runtimeVersion: '2022.3.0-9052-9752fafe8eb-releases/2022/3', device: 'GPU' });
    expect(d.deviceFingerprint).toBe('GPU|GPU|FP32');
  });

  it('rejects an unknown device name and reports a pinned converter that is missing', async () => {
    await expect(createPluginHarness(plugin, { options: { device: 'myriad' } })).rejects.toThrow(
      /'openvino.device': .*OpenVINO device name/,
    );
    const h = await createPluginHarness(plugin, { env: ready(), options: { converter: 'mo' } });
    const r = await h.adapter('openvino').healthCheck();
    expect(r.checks.find((c) => c.name === 'converter')).toMatchObject({ status: 'missing', detail: "'mo' is not on PATH" });
  });
});
