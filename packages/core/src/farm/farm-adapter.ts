import { existsSync, readFileSync } from 'node:fs';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type {
  HardwareAdapter,
  HardwareDescription,
  HealthReport,
  LatencyMeasurement,
  MeasureOptions,
  OnnxModel,
  PreparedModel,
} from '../contracts/hardware-adapter.js';
import { writeFileAtomicSync } from '../atomic-write.js';
import { ConfigError, HurricaneError } from '../errors.js';
import { type FarmConfig, connectRedis, queueConnection, redactUrl } from './connection.js';
import { describeDevice, listDevices } from './device-registry.js';
import { FarmRequest, type FarmJob } from './farm-request.js';
import { type Announcement, type FarmDevice, type FarmTarget, queueName } from './protocol.js';
import { healthReport } from '../adapter-kit/skeleton.js';

/** Options of {@link FarmAdapter}. */
export interface FarmAdapterOptions {
  readonly url: string;
  readonly farm: FarmConfig;
  readonly env: NodeJS.ProcessEnv;
  /** Warnings and waiting notes (one line each). */
  readonly log: (line: string) => void;
  /**
   * Where the device a run last used is remembered, per adapter id: with no agent online, the run
   * names the same device (e.g. `hurricane space` after the agents stopped) and its jobs wait up
   * to `farm.timeoutMs` for one.
   */
  readonly memoryFile?: string;
  /** The key of this adapter's device in `memoryFile` (default its id; the target's name when a run has several targets). */
  readonly memoryKey?: string;
}

/** `adapter device (fingerprint …, runtime …)` for a device kind. */
const kindOf = (d: FarmDevice) => `${d.adapterId} ${d.device} (fingerprint ${d.deviceFingerprint}, runtime ${d.runtimeVersion})`;

/**
 * The requester's side of the device farm, as a hardware adapter with the run's `hardware` id:
 * `describe()` is the farm device the run measures on (chosen among the agents' announcements,
 * `farm.device` narrowing), `prepare()` leaves the ONNX model as it is (agents prepare it on their
 * host), and {@link measureMany} sends one job per model and hands back each result as it arrives.
 * Results land in the requester's store: the queue is only transport.
 */
export class FarmAdapter implements HardwareAdapter {
  readonly description: string;
  private redis: Redis | undefined;
  private queue: Queue | undefined;
  private target: FarmTarget | undefined;

  constructor(
    readonly id: string,
    private readonly o: FarmAdapterOptions,
  ) {
    this.description = `device farm at ${redactUrl(o.url)}`;
  }

  private async connection(): Promise<Redis> {
    this.redis ??= await connectRedis(this.o.url, this.o.farm, this.o.env);
    return this.redis;
  }

  /** The device kinds agents announce for this adapter id, narrowed by `farm.device`. */
  private async candidates(): Promise<{ matching: Announcement[]; all: Announcement[] }> {
    const all = await listDevices(await this.connection(), this.o.farm.prefix);
    const want = this.o.farm.device;
    const matching = all.filter(
      (a) => a.adapterId === this.id && (want === undefined || a.deviceFingerprint === want || a.device.includes(want)),
    );
    return { matching, all };
  }

  private wanted(): string {
    return `${this.id}${this.o.farm.device !== undefined ? ` with device '${this.o.farm.device}'` : ''}`;
  }

  /**
   * The farm device the run measures on: the one agents announce (`farm.device` narrowing), else
   * the one this project last used; with neither, waits up to `farm.timeoutMs` for an agent.
   */
  private async resolveTarget(): Promise<FarmTarget> {
    if (this.target) return this.target;
    const deadline = Date.now() + this.o.farm.timeoutMs;
    let said = false;
    for (;;) {
      const { matching, all } = await this.candidates();
      const kinds = new Map(matching.map((a) => [a.queue, a]));
      if (kinds.size > 1) {
        throw new ConfigError(
          `the farm has ${kinds.size} kinds of ${this.id} device: ${[...kinds.values()].map(kindOf).join('; ')}: set farm.device to one fingerprint`,
        );
      }
      const only = [...kinds.values()][0] ?? this.remembered();
      if (only) {
        if (kinds.size === 0) this.o.log(`no farm agent serves ${kindOf(only)} right now; using it as this project did last time`);
        const { adapterId, device, runtime, runtimeVersion, deviceFingerprint, queue } = only;
        this.target = { adapterId, device, runtime, runtimeVersion, deviceFingerprint, queue };
        this.remember(this.target);
        await this.openQueue(this.target);
        return this.target;
      }
      if (Date.now() >= deadline) throw this.noAgent(all, this.o.farm.timeoutMs);
      if (!said) this.o.log(`waiting up to ${(this.o.farm.timeoutMs / 1000).toFixed(0)} s for a farm agent serving ${this.wanted()}`);
      said = true;
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  private memory(): Record<string, FarmTarget> {
    if (!this.o.memoryFile || !existsSync(this.o.memoryFile)) return {};
    try {
      return JSON.parse(readFileSync(this.o.memoryFile, 'utf8')) as Record<string, FarmTarget>;
    } catch {
      return {}; // unreadable: forgotten, the next run writes it again
    }
  }

  /** The device this project last used for this adapter, when it still fits `farm.device`. */
  private remembered(): FarmTarget | undefined {
    const t = this.memory()[this.o.memoryKey ?? this.id];
    const want = this.o.farm.device;
    if (!t || typeof t.queue !== 'string' || t.queue !== queueName(t)) return undefined;
    return want === undefined || t.deviceFingerprint === want || t.device.includes(want) ? t : undefined;
  }

  private remember(t: FarmTarget): void {
    if (this.o.memoryFile)
      writeFileAtomicSync(this.o.memoryFile, `${JSON.stringify({ ...this.memory(), [this.o.memoryKey ?? this.id]: t }, null, 2)}\n`);
  }

  /** The error when no agent serves the wanted device: names it and every device the farm has. */
  noAgent(all: readonly Announcement[], waitedMs: number): HurricaneError {
    const have = all.length > 0 ? all.map(describeDevice).join('; ') : 'none (no agent is running)';
    return new HurricaneError(
      `no farm agent serves ${this.target ? kindOf(this.target) : this.wanted()} (waited ${(waitedMs / 1000).toFixed(0)} s); the farm's devices: ${have}: start 'hurricane agent --farm <url>' on the host with that device, or set hardware / farm.device to one of these`,
    );
  }

  async describe(): Promise<HardwareDescription> {
    const t = await this.resolveTarget();
    return {
      adapterId: this.id,
      device: t.device,
      runtime: t.runtime,
      runtimeVersion: t.runtimeVersion,
      deviceFingerprint: t.deviceFingerprint,
    };
  }

  async healthCheck(): Promise<HealthReport> {
    const checks: HealthReport['checks'][number][] = [];
    try {
      await this.connection();
      checks.push({ name: 'farm redis', status: 'ok', detail: redactUrl(this.o.url) });
      const t = await this.resolveTarget();
      const agents = (await this.candidates()).matching.filter((a) => a.queue === t.queue).map((a) => a.agentId);
      checks.push(
        agents.length > 0
          ? { name: 'farm agents', status: 'ok', detail: `${kindOf(t)} on ${agents.join(', ')}` }
          : {
              name: 'farm agents',
              status: 'warn',
              detail: `no agent serves ${kindOf(t)} right now; its jobs wait up to farm.timeoutMs for one`,
              fix: "start 'hurricane agent --farm <url>' on the host with that device",
            },
      );
    } catch (error) {
      if (error instanceof ConfigError) throw error; // several device kinds: the config must choose (exit 2)
      const detail = (error as Error).message;
      checks.push({ name: checks.length === 0 ? 'farm redis' : 'farm agents', status: 'error', detail, fix: 'see docs/device-farm.md' });
    }
    return healthReport(this.id, checks);
  }

  async prepare(model: OnnxModel): Promise<PreparedModel> {
    return { adapterId: this.id, source: model, artifactPath: model.path, format: 'onnx', commands: [] };
  }

  async measure(model: PreparedModel, options: MeasureOptions = {}): Promise<LatencyMeasurement> {
    let result: LatencyMeasurement | undefined;
    await this.measureMany([{ model, key: `measure:${model.source.path}` }], (_, m) => (result = m), options);
    if (!result) throw new HurricaneError('the farm returned no measurement');
    return result;
  }

  /** Sends one job per model (re-attaching to those already queued) and calls `onResult` as each result arrives. */
  async measureMany(
    jobs: readonly FarmJob[],
    onResult: (index: number, m: LatencyMeasurement, note: string) => void,
    options: MeasureOptions = {},
  ): Promise<void> {
    const redis = await this.connection();
    const target = await this.resolveTarget();
    const queue = await this.openQueue(target);
    const request = new FarmRequest({ ...this.o, redis, queue, target, noAgent: (all, ms) => this.noAgent(all, ms) });
    await request.run(jobs, onResult, options);
  }

  /** The BullMQ queue of the target device, connected. */
  private async openQueue(target: FarmTarget): Promise<Queue> {
    if (!this.queue) {
      const { Queue } = await import('bullmq');
      this.queue = new Queue(queueName(target), {
        connection: queueConnection(this.o.url, this.o.farm, this.o.env),
        prefix: this.o.farm.prefix,
      });
      this.queue.on('error', () => {}); // reconnects by itself; the request notices missing jobs
      await this.queue.waitUntilReady();
    }
    return this.queue;
  }

  /** Closes the connections (the CLI calls it through the session's dispose). */
  async close(): Promise<void> {
    await this.queue?.close().catch(() => {});
    this.redis?.disconnect();
  }
}
