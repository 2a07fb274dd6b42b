import type {
  HardwareAdapter,
  HardwareDescription,
  HealthReport,
  LatencyMeasurement,
  MeasureOptions,
  OnnxModel,
  PreparedModel,
} from '../contracts/hardware-adapter.js';
import type { Logger } from '../contracts/logger.js';
import type { ToolResult, ToolRunOptions, ToolRunner } from '../contracts/tool-runner.js';
import { summarizeSamples } from '../adapter-kit/statistics.js';

/** A logger that keeps every line, for assertions. */
export class MemoryLogger implements Logger {
  readonly lines: { level: 'debug' | 'info' | 'warn' | 'error'; message: string }[] = [];
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
}

/** A scripted answer of {@link RecordingToolRunner}. */
export type ToolScript = (
  file: string,
  args: readonly string[],
  options: ToolRunOptions,
) => Partial<Omit<ToolResult, 'command'>> | Error | Promise<Partial<Omit<ToolResult, 'command'>> | Error>;

/**
 * A {@link ToolRunner} that runs nothing: it records every call and answers from a script
 * (exit 0 with empty output when no script matches). An `Error` from the script is thrown, as
 * the real runner throws when a program cannot be started.
 */
export class RecordingToolRunner implements ToolRunner {
  readonly calls: { file: string; args: readonly string[]; options: ToolRunOptions }[] = [];
  constructor(private readonly script: ToolScript = () => ({})) {}
  async run(file: string, args: readonly string[], options: ToolRunOptions): Promise<ToolResult> {
    this.calls.push({ file, args: [...args], options });
    const answer = await this.script(file, args, options);
    if (answer instanceof Error) throw answer;
    return {
      command: [file, ...args],
      exitCode: 0,
      signal: null,
      stdout: '',
      stderr: '',
      timedOut: false,
      aborted: false,
      durationMs: 0,
      ...answer,
    };
  }
}

/** Options of {@link FakeHardwareAdapter}. */
export interface FakeAdapterOptions {
  readonly id?: string;
  readonly description?: string;
  /** Latency of a model by its path (default 1 ms for every model). */
  readonly latencyMs?: (model: OnnxModel) => number;
  /** Whether the health check passes (default true). */
  readonly ready?: boolean;
  /** Timed samples per measurement (default 5). */
  readonly runs?: number;
}

/**
 * An in-memory hardware adapter for tests of code that uses adapters (profilers, searches):
 * deterministic latencies from a function, a configurable health state, and a log of calls.
 */
export class FakeHardwareAdapter implements HardwareAdapter {
  readonly id: string;
  readonly description: string;
  readonly calls: string[] = [];
  constructor(private readonly options: FakeAdapterOptions = {}) {
    this.id = options.id ?? 'fake';
    this.description = options.description ?? 'In-memory fake hardware for tests';
  }
  async describe(): Promise<HardwareDescription> {
    this.calls.push('describe');
    return { adapterId: this.id, device: 'fake device', runtime: 'fake runtime', runtimeVersion: '1.0.0', deviceFingerprint: 'fake' };
  }
  async healthCheck(): Promise<HealthReport> {
    this.calls.push('healthCheck');
    const ready = this.options.ready ?? true;
    return {
      adapterId: this.id,
      ready,
      checks: [
        ready
          ? { name: 'fake device', status: 'ok', detail: 'always there' }
          : { name: 'fake device', status: 'missing', detail: 'switched off for this test', fix: 'create it with ready: true' },
      ],
    };
  }
  async prepare(model: OnnxModel): Promise<PreparedModel> {
    this.calls.push(`prepare ${model.path}`);
    return { adapterId: this.id, source: model, artifactPath: model.path, format: 'onnx', commands: [] };
  }
  async measure(model: PreparedModel, options: MeasureOptions = {}): Promise<LatencyMeasurement> {
    this.calls.push(`measure ${model.artifactPath}`);
    if (model.adapterId !== this.id) throw new Error(`model was prepared by ${model.adapterId}, not ${this.id}`);
    const latency = this.options.latencyMs?.(model.source) ?? 1;
    const runs = Math.max(options.minRuns ?? 0, this.options.runs ?? 5);
    const samplesMs = Array.from({ length: runs }, () => latency);
    return {
      samplesMs,
      ...summarizeSamples(samplesMs),
      provenance: {
        adapterId: this.id,
        device: 'fake device',
        deviceFingerprint: 'fake',
        runtime: 'fake runtime',
        runtimeVersion: '1.0.0',
        commands: [],
        timestamp: new Date(0).toISOString(),
        settings: {},
      },
    };
  }
}
