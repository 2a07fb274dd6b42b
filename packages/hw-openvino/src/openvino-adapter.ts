import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type {
  Environment,
  HardwareAdapter,
  HardwareDescription,
  HealthCheck,
  HealthReport,
  LatencyMeasurement,
  MeasureOptions,
  OnnxModel,
  PreparedModel,
  ToolResult,
  ToolRunner,
} from '@hurricane/core/plugin';
import {
  ToolError,
  callFloorModel,
  keepToolLog,
  checkExecutable,
  findExecutable,
  assertPreparedBy,
  healthReport,
  measurementOf,
  outputExcerpt,
  withDeviceLock,
} from '@hurricane/core/adapter-kit';
import { type BenchmarkResult, buildBenchmarkArgs, explainFailure, parseBenchmarkOutput, parseReportCsv } from './benchmark-app.js';
import { type Converter, buildConvertArgs, parseConvertOutput } from './convert.js';
import type { OpenvinoOptions } from './options.js';

const INSTALL_FIX =
  "install OpenVINO ('pip install openvino' gives benchmark_app and ovc; for MYRIAD use the 2022.3 LTS archive and 'source <openvino>/setupvars.sh') or set 'openvino.benchmarkApp'";
const CONVERTER_FIX = "install OpenVINO's converter ('pip install openvino' provides ovc; legacy mo comes with openvino-dev ≤ 2024)";

/** `2024.4.0-16579-…` → [2024, 4]; null when the build names no version (custom builds). */
export function buildVersion(build: string | undefined): [number, number] | null {
  const m = /^(\d{4})\.(\d+)/.exec(build ?? '');
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** What the first run of the call-floor model told about the installation. */
interface Probe {
  readonly build: string;
  readonly deviceInfo: string;
  readonly executionDevices: readonly string[];
}

/**
 * Measures latency with Intel OpenVINO on the configured device (`openvino`): ONNX → IR with `ovc`
 * (or the legacy `mo`), then `benchmark_app -api sync -niter N` a few rounds; each round's median is
 * one sample. The OpenVINO build and the execution device are read from a first run of a one-op
 * model, which also gates `-hint latency` (2022.1+) and the MYRIAD check (removed in 2023.0).
 */
export class OpenvinoAdapter implements HardwareAdapter {
  readonly id = 'openvino';
  readonly description: string;
  private probed: Promise<Probe> | null = null;

  constructor(
    private readonly options: OpenvinoOptions,
    private readonly runner: ToolRunner,
    private readonly env: Environment,
    private readonly workDir: string,
  ) {
    this.description = `Intel OpenVINO benchmark_app on device ${options.device}`;
  }

  private get fp16(): boolean {
    const p = this.options.precision;
    return p === 'auto' ? ['MYRIAD', 'HDDL', 'NPU'].includes(this.options.device) : p === 'FP16';
  }

  async describe(): Promise<HardwareDescription> {
    const unknown = {
      adapterId: this.id,
      device: 'unknown',
      runtime: 'Intel OpenVINO',
      runtimeVersion: 'unknown',
      deviceFingerprint: 'unknown',
    };
    const report = await this.tools();
    if (!report.app || !report.converter) return unknown;
    let p: Probe;
    try {
      p = await this.probe();
    } catch {
      return unknown;
    }
    const host = this.options.device === 'CPU' || p.executionDevices.includes('CPU') ? ` on ${os.cpus()[0]?.model ?? 'unknown CPU'}` : '';
    const executed = p.executionDevices.length ? p.executionDevices.join('+') : p.deviceInfo;
    return {
      adapterId: this.id,
      device: `${executed}${host}`,
      runtime: 'Intel OpenVINO',
      runtimeVersion: p.build,
      deviceFingerprint: `${this.options.device}|${executed}${host}|${this.fp16 ? 'FP16' : 'FP32'}`,
    };
  }

  private async tools(): Promise<{ app: string | null; converter: { tool: Converter; path: string } | null; checks: HealthCheck[] }> {
    const checks: HealthCheck[] = [];
    const app = await checkExecutable(this.options.benchmarkApp, { env: this.env, label: 'benchmark_app', fix: INSTALL_FIX });
    checks.push(app.check);
    let converter: { tool: Converter; path: string } | null = null;
    for (const tool of this.options.converter === 'auto' ? (['ovc', 'mo'] as const) : [this.options.converter]) {
      const found = await findExecutable(tool, { env: this.env });
      if (found) {
        converter = { tool, path: found };
        break;
      }
    }
    checks.push(
      converter
        ? { name: 'converter', status: 'ok', detail: `${converter.tool} at ${converter.path}${converter.tool === 'mo' ? ' (legacy)' : ''}` }
        : {
            name: 'converter',
            status: 'missing',
            detail: this.options.converter === 'auto' ? "neither 'ovc' nor 'mo' is on PATH" : `'${this.options.converter}' is not on PATH`,
            fix: CONVERTER_FIX,
          },
    );
    return { app: app.path, converter, checks };
  }

  async healthCheck(): Promise<HealthReport> {
    const { app, converter, checks } = await this.tools();
    if (app && converter) checks.push(await this.versionCheck());
    return healthReport(this.id, checks);
  }

  private async versionCheck(): Promise<HealthCheck> {
    const myriad = this.options.device === 'MYRIAD' || this.options.device === 'HDDL';
    try {
      const p = await this.probe();
      const v = buildVersion(p.build);
      if (myriad && v && v[0] >= 2023) {
        return {
          name: 'device',
          status: 'error',
          detail: `OpenVINO ${p.build} has no ${this.options.device} plugin (removed in 2023.0)`,
          fix: 'install the OpenVINO 2022.3 LTS archive and source its setupvars.sh (a Myriad X needs 2022.3 or older)',
        };
      }
      const executed = p.executionDevices.length ? ` (executes on ${p.executionDevices.join(', ')})` : '';
      return { name: 'device', status: 'ok', detail: `${this.options.device} answers with OpenVINO ${p.build}${executed}` };
    } catch (error) {
      const fix = myriad
        ? 'a Myriad X needs OpenVINO 2022.3 LTS or older and a connected stick'
        : "check 'openvino.device' and the OpenVINO installation";
      return { name: 'device', status: 'error', detail: (error as Error).message, fix };
    }
  }

  /** Converts and runs the call-floor model once (cached): the build, device and execution devices. */
  private probe(): Promise<Probe> {
    this.probed ??= (async () => {
      const dir = path.join(this.workDir, 'openvino', 'probe');
      mkdirSync(dir, { recursive: true });
      const onnx = path.join(dir, 'call-floor.onnx');
      writeFileSync(onnx, await callFloorModel());
      const prepared = await this.prepare(
        { path: onnx, inputName: 'input', inputShape: [1, 1], outputName: 'output' },
        { workDir: this.workDir },
      );
      const { result } = await this.runOnce(prepared, 10, false, 0);
      return {
        build: result.build ?? 'unknown',
        deviceInfo: result.deviceInfo ?? this.options.device,
        executionDevices: result.executionDevices ?? [],
      };
    })();
    this.probed.catch(() => {
      this.probed = null;
    });
    return this.probed;
  }

  private async run(file: string, args: string[], signal?: AbortSignal): Promise<ToolResult> {
    return this.runner.run(file, args, { timeoutMs: this.options.toolTimeoutMs, env: this.env, ...(signal ? { signal } : {}) });
  }

  async prepare(model: OnnxModel, options?: { readonly workDir: string; readonly signal?: AbortSignal }): Promise<PreparedModel> {
    const { converter } = await this.tools();
    if (!converter) throw new ToolError([this.options.converter], `openvino: no model converter found: ${CONVERTER_FIX}`);
    const precision = this.fp16 ? 'FP16' : 'FP32';
    const xml = path.join(options?.workDir ?? this.workDir, 'openvino', precision, `${path.basename(model.path, '.onnx')}.xml`);
    mkdirSync(path.dirname(xml), { recursive: true });
    const args = buildConvertArgs(converter.tool, {
      onnx: model.path,
      xml,
      inputName: model.inputName,
      inputShape: model.inputShape,
      fp16: this.fp16,
    });
    const r = await this.run(converter.path, args, options?.signal);
    this.keepLog(xml, 'convert', r);
    if (r.timedOut)
      throw new ToolError(r.command, `${converter.tool} timed out after ${this.options.toolTimeoutMs} ms converting ${model.path}`);
    try {
      const out = parseConvertOutput(converter.tool, r.stdout, r.stderr, r.exitCode);
      return { adapterId: this.id, source: model, artifactPath: out.xml, format: 'openvino-ir', commands: [r.command] };
    } catch (error) {
      throw new ToolError(r.command, `openvino: ${(error as Error).message}`);
    }
  }

  /** Keeps the exact command, stdout and stderr of every tool run beside the model (`logs/`). */
  private keepLog(xml: string, step: string, r: ToolResult): void {
    keepToolLog(path.join(path.dirname(xml), 'logs'), `${path.basename(xml, '.xml')}.${step}`, r);
  }

  private async runOnce(prepared: PreparedModel, iterations: number, hint: boolean, round: number, signal?: AbortSignal) {
    const reportFolder = path.join(
      path.dirname(prepared.artifactPath),
      'reports',
      `${path.basename(prepared.artifactPath, '.xml')}.r${round}`,
    );
    mkdirSync(reportFolder, { recursive: true });
    const args = buildBenchmarkArgs({ model: prepared.artifactPath, device: this.options.device, iterations, hint, reportFolder });
    const app = (await this.tools()).app ?? this.options.benchmarkApp;
    const r = await this.run(app, args, signal);
    this.keepLog(prepared.artifactPath, `benchmark.r${round}`, r);
    if (r.timedOut)
      throw new ToolError(r.command, `benchmark_app timed out after ${this.options.toolTimeoutMs} ms on ${prepared.artifactPath}`);
    const text = `${r.stdout}\n${r.stderr}`;
    const failure = r.exitCode === 0 ? null : explainFailure(text, this.options.device);
    if (failure || r.exitCode !== 0)
      throw new ToolError(r.command, failure ?? `benchmark_app exited ${r.exitCode}: ${outputExcerpt(text)}`);
    try {
      return { result: parseBenchmarkOutput(text), command: r.command };
    } catch (error) {
      // The C++ tool prints no latency block for MULTI devices: the statistics report still has it.
      const fromReport = reportResult(path.join(reportFolder, 'benchmark_report.csv'));
      if (fromReport) return { result: fromReport, command: r.command };
      throw new ToolError(r.command, `openvino: ${(error as Error).message}`);
    }
  }

  async measure(prepared: PreparedModel, options: MeasureOptions = {}): Promise<LatencyMeasurement> {
    assertPreparedBy(this.id, [prepared]);
    const p = await this.probe();
    const v = buildVersion(p.build);
    const hint = v !== null && (v[0] > 2022 || (v[0] === 2022 && v[1] >= 1));
    const rounds = Math.max(this.options.rounds, Math.min(options.minRuns ?? 0, 10));
    const results: BenchmarkResult[] = [];
    const commands: (readonly string[])[] = [...prepared.commands];
    await withDeviceLock(this.env, `openvino-${this.options.device}`, async () => {
      for (let round = 0; round < rounds; round++) {
        const { result, command } = await this.runOnce(prepared, this.options.iterations, hint, round + 1, options.signal);
        results.push(result);
        commands.push(command);
      }
    });
    const samplesMs = results.map((r) => r.medianMs);
    const d = await this.describe();
    const settings = { device: this.options.device, precision: this.fp16 ? 'FP16' : 'FP32', iterations: this.options.iterations };
    return measurementOf(
      samplesMs,
      {
        ...{ adapterId: this.id, device: d.device, deviceFingerprint: d.deviceFingerprint, runtime: 'Intel OpenVINO' },
        ...{ runtimeVersion: p.build, commands, timestamp: new Date().toISOString() },
        settings: { ...settings, rounds, hint, api: 'sync' },
      },
      {
        runs: results.reduce((a, r) => a + (r.count ?? this.options.iterations), 0),
        timedMs: results.reduce((a, r) => a + (r.durationMs ?? 0), 0),
      },
    );
  }
}

/** The median from `benchmark_report.csv` (Python `latency (ms)`, C++ `Median latency (ms)`), or null. */
export function reportResult(file: string): BenchmarkResult | null {
  if (!existsSync(file)) return null;
  const r = parseReportCsv(readFileSync(file, 'utf8'));
  const median = r['latency (ms)'] ?? r['median latency (ms)'];
  if (median === undefined) return null;
  const avg = r['avg latency'] ?? r['average latency (ms)'];
  const min = r['min latency'] ?? r['min latency (ms)'];
  const max = r['max latency'] ?? r['max latency (ms)'];
  return {
    medianMs: median,
    ...(avg !== undefined ? { averageMs: avg } : {}),
    ...(min !== undefined ? { minMs: min } : {}),
    ...(max !== undefined ? { maxMs: max } : {}),
    ...(r['total number of iterations'] !== undefined ? { count: r['total number of iterations'] } : {}),
  };
}
