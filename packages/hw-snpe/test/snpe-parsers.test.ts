import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fallbackLayers, parseDiagview } from '../src/diagview.js';
import { buildNetRunArgs, deviceScript, parseNetRunStdout, rawInput, remoteStatus } from '../src/net-run.js';

const sample = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/vendor-outputs/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .slice(1)
    .join('\n');
const blockOf = (text: string, title: string) => {
  const lines = text.split('\n');
  const at = lines.indexOf(`=== ${title} ===`);
  const end = lines.findIndex((l, i) => i > at && l.startsWith('=== '));
  return lines.slice(at + 1, end < 0 ? undefined : end).join('\n');
};

describe('snpe-diagview output (vendor-tools.md §2.4)', () => {
  const text = sample('snpe-diagview-2.9.txt');
  it('SNPE 2.9 CPU: Total Inference Time 26458 us is the latency; init, version and unnamed layer rows', () => {
    const s = parseDiagview(blockOf(text, 'CPU'));
    expect(s).toMatchObject({ totalInferenceUs: 26458, forwardPropagateUs: 26448, initUs: 48856, version: '2.9.0.4462' });
    expect(s.layers[0]).toEqual({ index: 0, value: 1419, unit: 'us', runtime: 'CPU' });
    expect(s.layers.at(-1)).toEqual({ index: 100, value: 21, unit: 'us', runtime: 'CPU' });
  });
  it('SNPE 2.9 DSP: the per-layer rows are cycles, the total stays microseconds', () => {
    const s = parseDiagview(blockOf(text, 'DSP'));
    expect(s.totalInferenceUs).toBe(3318);
    expect(s.layers[1]).toEqual({ index: 1, value: 162014, unit: 'cycles', runtime: 'DSP' });
  });
  it('the 2.37 layout documented in vendor-tools.md (indented sections, named layers, unit-less RPC line)', () => {
    const v237 = [
      'Software library version: 2.37.0.250724175447_124859',
      'SNPE Create Statistics:',
      '  Init: 4009 us',
      'SNPE Execute Statistics (Averaged):',
      '  Total Inference Time: 69 us',
      '  Forward Propagate Time: 67 us',
      '  RPC Execute Time: 0 ',
      '  Per-Layer Execution Times: ',
      '    0: _sequential_1/dense_1/MatMul : 23 us : CPU',
      '    1: sequential_1/dense_1/MatMul:OpId_18 (cycles) : 0 cycles : DSP',
    ].join('\r\n');
    const s = parseDiagview(v237);
    expect(s).toMatchObject({ totalInferenceUs: 69, initUs: 4009, version: '2.37.0.250724175447_124859' });
    expect(s.layers[1]).toEqual({
      index: 1,
      name: 'sequential_1/dense_1/MatMul:OpId_18 (cycles)',
      value: 0,
      unit: 'cycles',
      runtime: 'DSP',
    });
  });
  it('fallback: the recorded 2.9 DSP and CPU blocks ran where asked; a CPU row in a DSP run (the row format of the recorded CPU block) is a fallen-back layer', () => {
    expect(fallbackLayers(parseDiagview(blockOf(text, 'DSP')), 'dsp')).toBeNull();
    expect(fallbackLayers(parseDiagview(blockOf(text, 'CPU')), 'cpu')).toBeNull();
    expect(fallbackLayers(parseDiagview(blockOf(text, 'GPU')), 'gpu')).toBeNull();
    const mixed = blockOf(text, 'DSP').replace('1: 162014 cycles : DSP', '1: 1419 us : CPU');
    expect(fallbackLayers(parseDiagview(mixed), 'dsp')).toEqual({ to: 'CPU', layers: ['1'] });
  });
  it("fallback in the 2.37 layout names the layers: the documented excerpt's MatMul on the CPU in a DSP run", () => {
    const v237 = [
      '  Total Inference Time: 69 us',
      '  Per-Layer Execution Times: ',
      '    0: _sequential_1/dense_1/MatMul : 23 us : CPU',
      '    1: sequential_1/dense_1/MatMul:OpId_18 (cycles) : 0 cycles : DSP',
    ].join('\n');
    expect(fallbackLayers(parseDiagview(v237), 'dsp')).toEqual({ to: 'CPU', layers: ['0: _sequential_1/dense_1/MatMul'] });
  });
  it('output without Total Inference Time (profiling off, a failed run) is refused, quoting its last lines', () => {
    expect(() => parseDiagview('Log File Created: x\nSoftware library version: 2.9.0.4462\n')).toThrow(
      /printed no 'Total Inference Time'; its last lines were: Log File Created: x \| Software library version: 2.9.0.4462/,
    );
  });
});

describe('snpe-net-run on the device (vendor-tools.md §2.3, §2.7)', () => {
  it('the recorded 2.14 console: version, four inferences, Successfully executed!', () => {
    expect(parseNetRunStdout(sample('snpe-net-run-stdout-2.14.txt'))).toEqual({
      succeeded: true,
      version: '2.14.2.230905160328_61726',
      inferences: 4,
    });
    expect(parseNetRunStdout('Processing DNN input(s):\nx.raw\n').succeeded).toBe(false);
  });
  it('argv: --use_dsp for the DSP, no runtime flag for the CPU (snpe-net-run has no --use_cpu), burst, basic profiling', () => {
    const base = { container: 'm.dlc', inputList: 'input_list.txt', outputDir: 'output', perfProfile: 'burst' };
    expect(buildNetRunArgs({ ...base, runtime: 'dsp' })).toEqual([
      '--container',
      'm.dlc',
      '--input_list',
      'input_list.txt',
      '--output_dir',
      'output',
      '--use_dsp',
      '--enable_cpu_fallback',
      '--perf_profile',
      'burst',
      '--profiling_level',
      'basic',
    ]);
    expect(buildNetRunArgs({ ...base, runtime: 'cpu' })).not.toContain('--use_cpu');
    expect(buildNetRunArgs({ ...base, runtime: 'cpu' })).not.toContain('--enable_cpu_fallback'); // nothing to fall back from
    expect(buildNetRunArgs({ ...base, runtime: 'gpu' })).toContain('--enable_cpu_fallback');
  });
  it("the device script exports the library paths (ADSP_LIBRARY_PATH ';'-separated and quoted), quotes names with spaces and quotes, and echoes the exit status", () => {
    const script = deviceScript({
      root: '/data/local/tmp/hurricane',
      workDir: "/data/local/tmp/hurricane/run 1/it's",
      args: ['--container', 'a b.dlc'],
    });
    expect(script).toBe(
      'export LD_LIBRARY_PATH=$LD_LIBRARY_PATH:/data/local/tmp/hurricane/lib && export PATH=$PATH:/data/local/tmp/hurricane/bin && ' +
        "export ADSP_LIBRARY_PATH='/data/local/tmp/hurricane/dsp;/system/lib/rfsa/adsp;/system/vendor/lib/rfsa/adsp;/dsp' && " +
        "cd '/data/local/tmp/hurricane/run 1/it'\\''s' && snpe-net-run --container 'a b.dlc'; echo __RC__=$?",
    );
    expect(remoteStatus('Successfully executed!\n__RC__=0\n')).toBe(0);
    expect(remoteStatus('Segmentation fault\n__RC__=139\n')).toBe(139);
    expect(remoteStatus('')).toBeNull();
  });
  it('raw inputs are little-endian float32 in NHWC order (by hand: NCHW index → NHWC offset)', () => {
    // NCHW [1,2,1,2] = channel 0: (10, 11), channel 1: (20, 21) → NHWC: x0 (10, 20), x1 (11, 21).
    const buf = rawInput([1, 2, 1, 2], Float32Array.of(10, 11, 20, 21));
    expect(buf.length).toBe(16);
    expect([0, 1, 2, 3].map((k) => buf.readFloatLE(4 * k))).toEqual([10, 20, 11, 21]);
    expect(() => rawInput([1, 2, 1, 2], new Float32Array(3))).toThrow(/3 values for shape \[1,2,1,2\]/);
  });
});
