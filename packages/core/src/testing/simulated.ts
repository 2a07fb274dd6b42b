// `@hurricane/core/testing/simulated` — the one simulated device of Hurricane's tests, benchmarks
// and examples: a typed hardware adapter whose latency is a function of the model (by default its
// ONNX file's size), and a plugin that registers it from a config block, for tests that run real
// `hurricane` processes. Light: the contracts, the adapter kit and zod; no vitest.
import { appendFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { measurementOf } from '../adapter-kit/skeleton.js';
import { Rng } from '../random.js';
import {
  HardwareAdapter,
  type HardwareDescription,
  type HealthReport,
  type LatencyMeasurement,
  type MeasureOptions,
  type OnnxModel,
  type PreparedModel,
} from '../contracts/hardware-adapter.js';
import { type HurricanePlugin, PLUGIN_API_VERSION } from '../contracts/plugin.js';

/** Options of {@link SimulatedAdapter}. */
export interface SimulatedAdapterOptions {
  /** Adapter id (default `sim`). */
  readonly id?: string;
  readonly description?: string;
  /** Device name (default `simulated device`). */
  readonly device?: string;
  /** Device fingerprint (default `sim-1`). */
  readonly fingerprint?: string;
  /** Runtime version (default `1`). */
  readonly runtimeVersion?: string;
  /** Latency of a model (default: its ONNX file's size in KiB / 100, in ms). */
  readonly latencyMs?: (model: OnnxModel) => number;
  /** Samples per measurement (default 3; `minRuns` raises it). */
  readonly samples?: number;
  /** A deterministic ±1 % wobble per measurement (the sine of the measurement count). */
  readonly wobble?: boolean;
  /** Device time: each measurement takes this long (ms), and stops when aborted. */
  readonly delayMs?: number;
  /** The first N measurements fail like a busy device. */
  readonly failFirst?: number;
  /** Every measurement after the first N fails like a crashed tool. */
  readonly failAfter?: number;
  /** Whether the health check passes (default true). */
  readonly ready?: boolean;
  /** A file that gets a line `<pid> <fingerprint> <model file>` per finished measurement. */
  readonly log?: string;
  /**
   * Measure batches in interleaved rounds (`measureBatch`), each round's value slowed by a seeded
   * half-normal of this relative size (noise only adds time, as on real hardware) and by a level
   * common to the round: a noisy device whose rankings need more rounds. 10 rounds, or `minRuns / 3`.
   */
  readonly roundNoise?: number;
}

/** A model's latency from its ONNX file: size in KiB / 100 ms (bigger operators are slower, deterministically). */
export function latencyFromSize(model: OnnxModel): number {
  return statSync(model.path).size / 1024 / 100;
}

/** Waits `ms`, rejecting when `signal` aborts. */
function deviceTime(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(new Error('measurement aborted'));
    });
  });
}

/**
 * A simulated device: deterministic latencies from a function of the model, a configurable health
 * state, device time, failures and a log of calls. Implements the `measure` tier only, as the
 * simplest adapter would; Hurricane's measuring wrapper batches for it.
 */
export class SimulatedAdapter implements HardwareAdapter {
  readonly id: string;
  readonly description: string;
  /** Every call, in order: `describe`, `healthCheck`, `prepare <path>`, `measure <path>`, `measureBatch <n>`. */
  readonly calls: string[] = [];
  private measured = 0;
  private batches = 0;
  /** Set with `roundNoise`: the batch tier, rounds interleaved across the batch's models. */
  readonly measureBatch?: (models: readonly PreparedModel[], options?: MeasureOptions) => Promise<LatencyMeasurement[]>;

  constructor(private readonly o: SimulatedAdapterOptions = {}) {
    this.id = o.id ?? 'sim';
    this.description = o.description ?? 'simulated device (latency from the model)';
    if (o.roundNoise !== undefined) this.measureBatch = (models, options) => this.inRounds(models, o.roundNoise ?? 0, options);
  }

  /** A batch in rounds: per round a common level (±20 %) times each model's latency times its own noise. */
  private async inRounds(models: readonly PreparedModel[], noise: number, options: MeasureOptions = {}): Promise<LatencyMeasurement[]> {
    const batch = ++this.batches;
    this.calls.push(`measureBatch ${models.length}`);
    const rng = new Rng(batch);
    const rounds = Math.max(10, Math.ceil((options.minRuns ?? 0) / 3));
    const levels = Array.from({ length: rounds }, () => 1 + 0.2 * (rng.next() * 2 - 1));
    const d = await this.describe();
    return models.map((model) => {
      const base = (this.o.latencyMs ?? latencyFromSize)(model.source);
      const ms = levels.map((l) => base * l * (1 + noise * Math.abs(rng.normal())));
      const provenance = { ...d, commands: [], timestamp: new Date().toISOString(), settings: { rounds } };
      return measurementOf(ms, provenance, { rounds: { batch: `sim-${process.pid}-${batch}`, ms } });
    });
  }

  async describe(): Promise<HardwareDescription> {
    this.calls.push('describe');
    const o = this.o;
    return {
      adapterId: this.id,
      device: o.device ?? 'simulated device',
      runtime: 'sim',
      runtimeVersion: o.runtimeVersion ?? '1',
      deviceFingerprint: o.fingerprint ?? 'sim-1',
    };
  }

  async healthCheck(): Promise<HealthReport> {
    this.calls.push('healthCheck');
    const ready = this.o.ready ?? true;
    const check = ready
      ? ({ name: 'simulated device', status: 'ok', detail: 'always there' } as const)
      : ({ name: 'simulated device', status: 'missing', detail: 'switched off for this test', fix: 'create it with ready: true' } as const);
    return { adapterId: this.id, ready, checks: [check] };
  }

  async prepare(model: OnnxModel): Promise<PreparedModel> {
    this.calls.push(`prepare ${model.path}`);
    return { adapterId: this.id, source: model, artifactPath: model.path, format: 'onnx', commands: [] };
  }

  async measure(model: PreparedModel, options: MeasureOptions = {}): Promise<LatencyMeasurement> {
    this.calls.push(`measure ${model.artifactPath}`);
    const o = this.o;
    if (model.adapterId !== this.id) throw new Error(`${this.id} cannot measure a model prepared by ${model.adapterId}`);
    const n = ++this.measured;
    if (o.delayMs) await deviceTime(o.delayMs, options.signal);
    if (n <= (o.failFirst ?? 0)) throw new Error(`device busy (simulated failure ${n} of ${o.failFirst})`);
    if (o.failAfter !== undefined && n > o.failAfter) throw new Error('simulated crash');
    const base = (o.latencyMs ?? latencyFromSize)(model.source) * (o.wobble ? 1 + 0.01 * Math.sin(n) : 1);
    const samplesMs = Array.from({ length: Math.max(options.minRuns ?? 0, o.samples ?? 3) }, () => base);
    const d = await this.describe();
    if (o.log) appendFileSync(o.log, `${process.pid} ${d.deviceFingerprint} ${path.basename(model.artifactPath)}\n`);
    return measurementOf(samplesMs, { ...d, commands: [], timestamp: new Date().toISOString(), settings: {} });
  }
}

/** The `simDevice` block of {@link simulatedDevicePlugin}: the adapter's options, `fixedMs` for a fixed latency that is also the device time. */
export const simulatedDeviceSchema = z
  .object({
    id: z.string().min(1).default('sim'),
    device: z.string().min(1).default('simulated device'),
    fingerprint: z.string().min(1).default('sim-1'),
    samples: z.number().int().min(1).default(3),
    wobble: z.boolean().default(false),
    delayMs: z.number().min(0).default(0),
    fixedMs: z.number().positive().optional(),
    failFirst: z.number().int().min(0).default(0),
    log: z.string().optional(),
    roundNoise: z.number().min(0).max(1).optional(),
    /** Runtime version the device reports (a runtime update is a new version). */
    runtimeVersion: z.string().min(1).default('1'),
    /** A runtime update's effect: every latency becomes runtimeScale · latency + runtimeOffsetMs. */
    runtimeScale: z.number().positive().default(1),
    runtimeOffsetMs: z.number().default(0),
    /** Whether the health check passes. */
    ready: z.boolean().default(true),
  })
  .strict();

/** A plugin registering one {@link SimulatedAdapter} from its `simDevice` block (for tests of real `hurricane` processes). */
export const simulatedDevicePlugin: HurricanePlugin<z.output<typeof simulatedDeviceSchema>> = {
  name: 'hurricane-sim-device',
  apiVersion: PLUGIN_API_VERSION,
  description: 'a simulated device for tests and benchmarks (latency from the model file size)',
  configKey: 'simDevice',
  configSchema: simulatedDeviceSchema,
  register(container, { options: o }) {
    const fixed = o.fixedMs;
    const updated = (ms: number) => o.runtimeScale * ms + o.runtimeOffsetMs;
    const adapter = new SimulatedAdapter({
      ...o,
      ...(fixed !== undefined
        ? { latencyMs: () => updated(fixed), delayMs: o.delayMs || fixed }
        : o.runtimeScale !== 1 || o.runtimeOffsetMs !== 0
          ? { latencyMs: (m: OnnxModel) => updated(latencyFromSize(m)) }
          : {}),
    });
    container.register(HardwareAdapter, { useValue: adapter });
  },
};
