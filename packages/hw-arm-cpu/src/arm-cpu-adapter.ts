import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import os from 'node:os';
import type {
  Environment,
  HardwareAdapter,
  HardwareDescription,
  HealthCheck,
  HealthReport,
  LatencyMeasurement,
  MeasureOptions,
  OnnxModel,
  PrepareOptions,
  PreparedModel,
} from '@hurricane/core/plugin';
import {
  HurricaneError,
  MAX_SESSIONS,
  Rng,
  assertPreparedBy,
  callFloorModel,
  conditionsOf,
  healthReport,
  hostConditionsSource,
  measurementOf,
  readConditions,
  withDeviceLock,
} from '@hurricane/core/adapter-kit';
import type { ArmCpuOptions } from './options.js';
import { DEFAULT_PROTOCOL, type ProtocolOptions, type TimedTarget, protocolFor, runSessions } from './protocol.js';
import { ModelProbe } from './model-probe.js';
import { type NativeSession, type OrtModule, loadNativeBinding, loadOrt, ortVersion } from './runtime.js';

/** The host CPU as Node sees it. */
export function hostCpu(): { model: string; cores: number; arch: string } {
  const cpus = os.cpus();
  return { model: cpus[0]?.model.trim() || 'unknown CPU', cores: cpus.length, arch: os.arch() };
}

interface OrtSession {
  run(feeds: Record<string, unknown>): Promise<Record<string, unknown>>;
  release(): Promise<void>;
}
interface OrtApi extends OrtModule {
  readonly InferenceSession: { create(model: string | Uint8Array, options: Record<string, unknown>): Promise<OrtSession> };
  readonly Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => unknown;
}

/**
 * Measures latency with ONNX Runtime (onnxruntime-node) in-process on the host CPU (`arm-cpu`).
 * ARM CPUs are the target, but it runs on any host. The protocol (see docs/adapters/arm-cpu.md)
 * groups calls so each timed sample lasts ≥ 1 ms, subtracts the per-call floor of a do-nothing
 * model measured in the same rounds, interleaves rounds across the models of a batch, and stops
 * when every estimate is within 2 % (95 %) after at least 10 rounds, or after 30 rounds.
 */
export class ArmCpuAdapter implements HardwareAdapter {
  readonly id = 'arm-cpu';
  readonly description = 'ARM (or host) CPU via ONNX Runtime, in-process';
  /** Checks models from other hosts out of process (started on the first one). */
  private probe: ModelProbe | undefined;

  constructor(
    private readonly options: ArmCpuOptions,
    private readonly protocol: Partial<ProtocolOptions> = {},
    private readonly env: Environment = process.env,
  ) {}

  private fingerprint(): string {
    const cpu = hostCpu();
    const opt = (this.options.graphOptimization ?? 'all') === 'all' ? '' : `|opt=${this.options.graphOptimization}`;
    return `${cpu.model}|${cpu.cores} cores|${cpu.arch}|threads=${this.options.threads}${opt}`;
  }

  private async ort(): Promise<OrtApi> {
    const ort = await loadOrt(this.options.runtimeModule);
    if (ort instanceof Error) {
      throw new HurricaneError(
        `arm-cpu: ONNX Runtime ('${this.options.runtimeModule}') cannot be loaded: run 'npm install ${this.options.runtimeModule}'`,
      );
    }
    return ort as OrtApi;
  }

  async describe(): Promise<HardwareDescription> {
    const cpu = hostCpu();
    const ort = await loadOrt(this.options.runtimeModule);
    return {
      adapterId: this.id,
      device: `${cpu.model} (${cpu.arch}, ${cpu.cores} cores)`,
      runtime: 'ONNX Runtime',
      runtimeVersion: ort instanceof Error ? 'unknown' : ortVersion(ort),
      deviceFingerprint: this.fingerprint(),
    };
  }

  async healthCheck(): Promise<HealthReport> {
    const checks: HealthCheck[] = [];
    const ort = await loadOrt(this.options.runtimeModule);
    checks.push(
      ort instanceof Error
        ? {
            name: 'ONNX Runtime',
            status: 'missing',
            detail: `'${this.options.runtimeModule}' cannot be loaded: ${ort.message.split('\n')[0]}`,
            fix: `run 'npm install ${this.options.runtimeModule}' (its CPU binaries ship in the package)`,
          }
        : { name: 'ONNX Runtime', status: 'ok', detail: `${this.options.runtimeModule} ${ortVersion(ort)}` },
    );
    const cpu = hostCpu();
    const isArm = cpu.arch === 'arm64' || cpu.arch === 'arm';
    checks.push(
      isArm
        ? { name: 'CPU', status: 'ok', detail: `${cpu.model}, ${cpu.cores} cores (${cpu.arch})` }
        : {
            name: 'CPU',
            status: 'warn',
            detail: `${cpu.model}, ${cpu.cores} cores (${cpu.arch}): not an ARM CPU, so latencies describe this host`,
          },
    );
    checks.push(
      this.options.threads <= cpu.cores
        ? { name: 'threads', status: 'ok', detail: `${this.options.threads} of ${cpu.cores} cores` }
        : {
            name: 'threads',
            status: 'warn',
            detail: `armCpu.threads is ${this.options.threads} but the host has ${cpu.cores} cores; threads will compete`,
          },
    );
    return healthReport(this.id, checks);
  }

  /**
   * ONNX Runtime runs the ONNX file itself: preparing checks that it exists. Whether it loads is
   * found when its sessions are created for measuring (a trial load here cost a session per model:
   * about 2 % of a profile's wall time). A model from another host is first loaded and run once in a
   * child process ({@link ModelProbe}).
   */
  async prepare(model: OnnxModel, options?: PrepareOptions): Promise<PreparedModel> {
    await this.ort();
    if (!existsSync(model.path)) throw new HurricaneError(`arm-cpu: model ${model.path} does not exist; export it first`);
    if (options?.untrusted) {
      this.probe ??= new ModelProbe(this.options.runtimeModule);
      await this.probe.check(model.path, model.inputShape);
    }
    return { adapterId: this.id, source: model, artifactPath: model.path, format: 'onnx', commands: [] };
  }

  private sessionOptions(): Record<string, unknown> {
    const graphOptimizationLevel = this.options.graphOptimization ?? 'all';
    return { intraOpNumThreads: this.options.threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel };
  }

  async measure(model: PreparedModel, options: MeasureOptions = {}): Promise<LatencyMeasurement> {
    const [m] = await this.measureBatch([model], options);
    if (!m) throw new Error('unreachable');
    return m;
  }

  async measureBatch(models: readonly PreparedModel[], options: MeasureOptions = {}): Promise<LatencyMeasurement[]> {
    const ort = await this.ort();
    assertPreparedBy(this.id, models);
    const native = loadNativeBinding(this.options.runtimeModule);
    const cleanup: (() => Promise<void> | void)[] = [];
    const open = async (
      model: string | Uint8Array,
      inputName: string,
      shape: readonly number[],
      data: Float32Array,
      what: string,
    ): Promise<TimedTarget> => {
      const feeds = { [inputName]: new ort.Tensor('float32', data, shape) };
      const cannotLoad = (error: unknown) =>
        new HurricaneError(`arm-cpu: ONNX Runtime cannot load ${what}: ${(error as Error).message.split('\n')[0]}`);
      if (native) {
        let s: NativeSession;
        try {
          s = native.createSession(model, this.sessionOptions());
        } catch (error) {
          throw cannotLoad(error);
        }
        cleanup.push(() => s.dispose?.());
        return syncTimed(reusingOutputs(s, feeds), what);
      }
      const s = await ort.InferenceSession.create(model, this.sessionOptions()).catch((error: unknown) => {
        throw cannotLoad(error);
      });
      cleanup.push(() => s.release());
      return timed(s, feeds, what);
    };
    try {
      const sessions: TimedTarget[][] = [];
      const rng = new Rng(this.protocol.seed ?? 0);
      const asked = Math.max(this.protocol.sessions ?? this.options.sessions ?? DEFAULT_PROTOCOL.sessions, options.minSessions ?? 1);
      const perModel = Math.min(asked, MAX_SESSIONS);
      for (const m of models) {
        const size = m.source.inputShape.reduce((a, b) => a * b, 1);
        const data = new Float32Array(size);
        for (let i = 0; i < size; i++) data[i] = rng.next() * 2 - 1;
        const mine: TimedTarget[] = [];
        for (let k = 0; k < perModel; k++)
          mine.push(await open(m.artifactPath, m.source.inputName, m.source.inputShape, data, m.artifactPath));
        sessions.push(mine);
      }
      const floor = await open(await callFloorModel(), 'input', [1, 1, 1, 1], new Float32Array(1), 'the call-floor model');
      // one measurement on this host's CPU at a time, across processes (two agents, a profile beside
      // a search); it waits for the CPU at most as long as it may then measure
      const protocol = protocolFor(this.protocol, options);
      const host = hostConditionsSource(this.env);
      const { results, conditions } = await withDeviceLock(
        this.env,
        HOST_CPU_LOCK,
        async (lost) => {
          const before = readConditions(host);
          const results = await runSessions(sessions, floor, { ...protocol, signal: anySignal(options.signal, lost) });
          return { results, conditions: conditionsOf(before, readConditions(host), host.cores, this.options.threads) };
        },
        { waitMs: protocol.timeoutMs },
      );
      const description = await this.describe();
      const timestamp = new Date().toISOString();
      const batch = randomUUID();
      const timing = native ? 'synchronous native run' : 'InferenceSession.run (async)';
      const { device, deviceFingerprint, runtime, runtimeVersion } = description;
      return results.map((r) =>
        measurementOf(
          r.samplesMs,
          {
            ...{ adapterId: this.id, device, deviceFingerprint, runtime, runtimeVersion, commands: [], timestamp },
            settings: {
              threads: this.options.threads,
              graphOptimization: this.options.graphOptimization ?? 'all',
              timing,
              groupSize: r.groupSize,
              floorMs: r.floorMs,
              rounds: r.roundMedians.length,
              sessions: perModel,
            },
          },
          {
            runs: r.runs,
            uncertaintyMs: r.uncertaintyMs,
            timedMs: r.timedMs,
            rounds: { batch, ms: r.roundMins, ...(r.sessionMins ? { sessions: r.sessionMins } : {}) },
            conditions,
          },
        ),
      );
    } finally {
      for (const c of cleanup) await c();
    }
  }
}

/** The device lock of the host CPU (shared by every thread count: they compete for the same cores). */
export const HOST_CPU_LOCK = 'host-cpu';

function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal {
  return AbortSignal.any(signals.filter((s): s is AbortSignal => s !== undefined));
}

/**
 * A run of `s` that passes the output tensors of its first run as the outputs of every later run
 * (the binding still returns a fresh copy of each output per call). A first run that fails leaves
 * the failure to the timed runs.
 */
function reusingOutputs(s: NativeSession, feeds: Record<string, unknown>): () => unknown {
  let fetches: Record<string, unknown> = Object.fromEntries(s.outputMetadata.map((o) => [o.name, null]));
  try {
    fetches = s.run(feeds, fetches, {});
  } catch {
    // reported by the timed runs, with the model's name
  }
  return () => s.run(feeds, fetches, {});
}

function syncTimed(run: () => unknown, what: string): TimedTarget {
  return {
    async runGroup(n: number): Promise<number> {
      const t0 = performance.now();
      try {
        for (let i = 0; i < n; i++) run();
      } catch (error) {
        throw new HurricaneError(`arm-cpu: ONNX Runtime failed running ${what}: ${(error as Error).message.split('\n')[0]}`);
      }
      return performance.now() - t0;
    },
  };
}

function timed(session: OrtSession, feeds: Record<string, unknown>, what: string): TimedTarget {
  return {
    async runGroup(n: number): Promise<number> {
      const t0 = performance.now();
      try {
        for (let i = 0; i < n; i++) await session.run(feeds);
      } catch (error) {
        throw new HurricaneError(`arm-cpu: ONNX Runtime failed running ${what}: ${(error as Error).message.split('\n')[0]}`);
      }
      return performance.now() - t0;
    },
  };
}
