import os from 'node:os';
import path from 'node:path';
import type { Job, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { HardwareAdapter, LatencyMeasurement } from '../contracts/hardware-adapter.js';
import { type MeasuringAdapter, measuringAdapter } from '../adapter-kit/measuring-adapter.js';
import { failingChecks } from '../adapter-kit/checks.js';
import { HurricaneError, describeError } from '../errors.js';
import { BlobRefused, fetchBlob } from './blob-store.js';
import { type FarmConfig, connectRedis, queueConnection, redactUrl } from './connection.js';
import { HEARTBEAT_MS, announce, describeDevice, withdraw } from './device-registry.js';
import { type Announcement, KEY_ENV, type MeasureJob, firstIssue, jobSchema, queueName, resultFor } from './protocol.js';

/** Options of {@link FarmAgent.start}. */
export interface AgentOptions {
  /** The adapters of this host to serve (each one whose health check passes becomes a device). */
  readonly adapters: readonly HardwareAdapter[];
  /** The farm's Redis URL. */
  readonly url: string;
  readonly farm: FarmConfig;
  /** The agent's own folder: received models and prepared artifacts live here and nowhere else. */
  readonly workDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** One plain line per event (serving, measured, failed, handed back). */
  readonly log: (line: string) => void;
}

interface Served {
  readonly adapter: MeasuringAdapter;
  announcement: Announcement;
  worker?: Worker;
  /** The device's queue of work: one measurement at a time. */
  device: Promise<unknown>;
}

/**
 * Jobs an agent holds per device with `farm.prefetch`: the one in measurement and the next, whose
 * model is fetched meanwhile (the transfer is off the device's critical path). Measurement stays
 * one at a time per device either way.
 */
const JOBS_PER_DEVICE_PREFETCHING = 2;

/** Why a job cannot be served, ever (BullMQ does not retry it). */
async function unrecoverable(message: string): Promise<Error> {
  const { UnrecoverableError } = await import('bullmq');
  return new UnrecoverableError(message);
}

/**
 * `hurricane agent`: serves this host's devices to the farm. Each ready adapter becomes a device
 * with its own BullMQ worker (one job at a time) on the queue of its adapter, fingerprint and
 * runtime version, and an announcement renewed every {@link HEARTBEAT_MS}. A job is checked
 * against the schema and against the device before its model is fetched (size-limited,
 * hash-checked) and measured. A killed agent's job is taken over by another agent once its lock
 * expires (BullMQ's stalled-job check).
 */
export class FarmAgent {
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly active = new Map<string, { job: Job; token: string | undefined; abort: AbortController }>();
  private handingBack = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;

  private constructor(
    private readonly o: AgentOptions,
    private readonly redis: Redis,
    readonly id: string,
    private readonly served: Served[],
  ) {}

  /** The devices this agent serves. */
  get devices(): readonly Announcement[] {
    return this.served.map((s) => s.announcement);
  }

  /** Health-checks the adapters, announces the ready ones and starts taking jobs. */
  static async start(o: AgentOptions): Promise<FarmAgent> {
    const redis = await connectRedis(o.url, o.farm, o.env);
    const host = os.hostname();
    const id = o.farm.agentName ?? `${host}:${process.pid}`;
    const served: Served[] = [];
    const skipped: string[] = [];
    for (const adapter of o.adapters.map(measuringAdapter)) {
      const health = await adapter.healthCheck();
      const d = await adapter.describe();
      if (!health.ready) skipped.push(`${adapter.id}: ${failingChecks(health)}`);
      else if (d.deviceFingerprint === 'unknown' || d.runtimeVersion === 'unknown')
        skipped.push(`${adapter.id}: cannot name its device or runtime version`);
      else served.push({ adapter, announcement: { ...d, agentId: id, host, queue: queueName(d), done: 0 }, device: Promise.resolve() });
    }
    for (const s of skipped) o.log(`not serving ${s}`);
    if (served.length === 0) {
      redis.disconnect();
      throw new HurricaneError(
        `no device on this host is ready to serve (${skipped.join(' | ') || 'no hardware adapter is installed'}): fix it as 'hurricane doctor' says, or install the adapter's plugin`,
      );
    }
    const agent = new FarmAgent(o, redis, id, served);
    await agent.run();
    return agent;
  }

  private async run(): Promise<void> {
    const { Worker } = await import('bullmq');
    const connection = queueConnection(this.o.url, this.o.farm, this.o.env);
    await this.renew();
    this.heartbeat = setInterval(() => void this.renew().catch(() => {}), HEARTBEAT_MS);
    for (const s of this.served) {
      s.worker = new Worker(s.announcement.queue, (job: Job, token?: string) => this.process(s, job, token), {
        connection,
        prefix: this.o.farm.prefix,
        concurrency: this.o.farm.prefetch ? JOBS_PER_DEVICE_PREFETCHING : 1,
        lockDuration: this.o.farm.lockMs,
        stalledInterval: this.o.farm.stalledCheckMs,
        maxStalledCount: 2,
      });
      s.worker.on('lockRenewalFailed', (ids: string[]) => this.lockLost(s, ids));
      let lastError = '';
      s.worker.on('error', (error) => {
        const line = describeError(error).split('\n')[0] ?? '';
        if (line !== lastError) this.o.log(`queue connection: ${line} (retrying)`);
        lastError = line;
      });
      this.o.log(`serving ${describeDevice(s.announcement)} on ${redactUrl(this.o.url)} (queue ${s.announcement.queue})`);
    }
  }

  /**
   * Jobs whose lock this agent could not renew (it stalled, or was starved of CPU, longer than
   * `farm.lockMs`) are taken over by another agent: their measurement stops here, so the device
   * time goes to the next job and, as far as possible, nothing is measured twice.
   */
  private lockLost(s: Served, ids: readonly string[]): void {
    for (const id of ids) {
      const a = this.active.get(`${s.announcement.queue}/${id}`);
      if (!a || a.abort.signal.aborted) continue;
      this.o.log(
        `lost the lock of job ${id} on ${s.adapter.id} (this agent did not renew it within farm.lockMs); another agent measures it`,
      );
      a.abort.abort();
    }
  }

  private async renew(): Promise<void> {
    for (const s of this.served) await announce(this.redis, this.o.farm.prefix, s.announcement);
  }

  /** Checks a job's data against the schema and the device; the reason it is refused, or the job. */
  private async check(s: Served, data: unknown): Promise<MeasureJob> {
    const parsed = jobSchema.safeParse(data);
    if (!parsed.success) throw await unrecoverable(`job refused: ${firstIssue(parsed.error)}`);
    const j = parsed.data;
    const a = s.announcement;
    if (j.adapterId !== a.adapterId || j.deviceFingerprint !== a.deviceFingerprint || j.runtimeVersion !== a.runtimeVersion) {
      throw await unrecoverable(
        `job refused: it asks for ${j.adapterId} ${j.deviceFingerprint} (runtime ${j.runtimeVersion}), this queue's device is ${a.adapterId} ${a.deviceFingerprint} (runtime ${a.runtimeVersion})`,
      );
    }
    return j;
  }

  private async process(s: Served, job: Job, token: string | undefined): Promise<LatencyMeasurement> {
    const started = performance.now();
    const j = await this.check(s, job.data);
    let file: string;
    try {
      const dir = path.join(this.o.workDir, 'models');
      file = await fetchBlob(this.redis, this.o.farm.prefix, {
        sha: j.model.sha256,
        bytes: j.model.bytes,
        maxBytes: this.o.farm.maxModelMiB * 2 ** 20,
        dir,
      });
    } catch (error) {
      if (error instanceof BlobRefused) throw await unrecoverable(error.message);
      throw error;
    }
    const measure = () => this.measure(s, job, token, j, file, started);
    const turn = s.device.then(measure, measure);
    s.device = turn.catch(() => {});
    return turn;
  }

  /** Measures a job on its device (called when the device is free); a job whose turn comes while stopping is handed back. */
  private async measure(
    s: Served,
    job: Job,
    token: string | undefined,
    j: MeasureJob,
    file: string,
    started: number,
  ): Promise<LatencyMeasurement> {
    const sha = j.model.sha256.slice(0, 12);
    if (this.stopping) return this.handBack(job, token, sha);
    // a job that waited for the device while this agent stalled may have been taken over: its device time goes to the next one
    if (token !== undefined && (await job.extendLock(token, this.o.farm.lockMs).catch(() => 0)) !== 1) {
      this.o.log(`skipped ${sha}: its lock expired while it waited for ${s.adapter.id}, so another agent has it`);
      throw new Error(`lock of job ${job.id} lost before its measurement began`);
    }
    this.o.log(`measuring ${sha} on ${s.adapter.id} (try ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1})`);
    const abort = new AbortController();
    const key = `${s.announcement.queue}/${job.id}`;
    this.active.set(key, { job, token, abort });
    try {
      const model = { path: file, inputName: 'input', inputShape: j.model.inputShape, outputName: 'output' };
      const prepared = await s.adapter.prepare(model, { workDir: this.o.workDir, signal: abort.signal, untrusted: true });
      let measured: LatencyMeasurement | undefined;
      await s.adapter.measureMany([{ model: prepared, key: `${job.id}` }], (_, m) => (measured = m), {
        ...j.measure,
        signal: abort.signal,
      });
      if (!measured) throw new Error(`${s.adapter.id} returned no measurement`);
      const m: LatencyMeasurement = measured;
      s.announcement = { ...s.announcement, done: s.announcement.done + 1 };
      this.o.log(
        `measured ${sha} on ${s.adapter.id}: median ${m.medianMs.toFixed(3)} ms (job took ${(performance.now() - started).toFixed(0)} ms)`,
      );
      const sent = resultFor(
        m,
        { id: this.id, host: s.announcement.host },
        { jobId: String(job.id), sha256: j.model.sha256 },
        this.o.env[KEY_ENV] || undefined,
      );
      if (!sent.ok) throw new Error(sent.why);
      return sent.result as LatencyMeasurement;
    } catch (error) {
      if (abort.signal.aborted && this.handingBack) return this.handBack(job, token, sha);
      const line = (error instanceof Error ? error.message : String(error)).split('\n')[0] || 'unknown error';
      this.o.log(`failed ${sha} on ${s.adapter.id} (try ${job.attemptsMade + 1} of ${job.opts.attempts ?? 1}): ${line}`);
      throw new Error(line);
    } finally {
      this.active.delete(key);
    }
  }

  /** Puts a job back in the queue for another agent, without using up one of its tries. */
  private async handBack(job: Job, token: string | undefined, sha: string): Promise<never> {
    const { WaitingError } = await import('bullmq');
    await job.moveToWait(token);
    this.o.log(`handed ${sha} back to the queue (stopping)`);
    throw new WaitingError();
  }

  /**
   * Stops taking jobs and withdraws the announcements; the job in measurement finishes if it does
   * within `graceMs`, else it is aborted and handed back to the queue for another agent.
   */
  stop(o: { graceMs: number }): Promise<void> {
    this.stopped ??= this.shutdown(o.graceMs);
    return this.stopped;
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.stopping = true;
    clearInterval(this.heartbeat);
    // bounded: with Redis down a command waits forever, and announcements expire on their own anyway
    const up = () => this.redis.status === 'ready';
    if (up())
      await within(Promise.all(this.served.map((s) => withdraw(this.redis, this.o.farm.prefix, s.announcement).catch(() => {}))), 2000);
    const closing = Promise.all(this.served.map((s) => s.worker?.close()));
    if ((await within(closing, graceMs)) === 'late') {
      this.handingBack = true;
      for (const a of this.active.values()) a.abort.abort();
      // handing back needs Redis; without it the job's lock expires and another agent takes it over
      if ((await within(closing, up() ? HAND_BACK_MS : 0)) === 'late') {
        this.o.log('the farm Redis does not answer: stopping without handing back (the job is taken over when its lock expires)');
        await within(Promise.all(this.served.map((s) => s.worker?.close(true))), 1000);
        // their connections would otherwise retry forever and keep this process alive
        await within(Promise.all(this.served.map((s) => s.worker?.disconnect())), 1000);
      }
    }
    this.redis.disconnect();
  }
}

/** How long handing back the job in measurement may take once the grace is over. */
const HAND_BACK_MS = 5000;

/** Waits for `p` at most `ms`: whether it settled in time. */
async function within(p: Promise<unknown>, ms: number): Promise<'done' | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), ms);
  });
  try {
    return await Promise.race([
      p.then(
        () => 'done' as const,
        () => 'done' as const,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
