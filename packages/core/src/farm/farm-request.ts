import { readFileSync } from 'node:fs';
import type { Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { LatencyMeasurement, MeasureOptions, PreparedModel } from '../contracts/hardware-adapter.js';
import { HurricaneError } from '../errors.js';
import { putBlobs, renewBlobs, serverRun, sha256 } from './blob-store.js';
import { type FarmConfig, queueConnection } from './connection.js';
import { listDevices } from './device-registry.js';
import { type Announcement, type FarmTarget, KEY_ENV, type MeasureJob, checkResult, jobId } from './protocol.js';

/** One measurement a requester asks the farm for. */
export interface FarmJob {
  readonly model: PreparedModel;
  /** Names the measurement (its latency-store key): the same key re-attaches to the same job. */
  readonly key: string;
}

interface Pending {
  readonly index: number;
  readonly path: string;
  readonly data: MeasureJob;
  /** The bytes that were hashed, until they are uploaded (the upload sends exactly what the hash names). */
  bytes?: Buffer | undefined;
}

/** A `returnvalue` as BullMQ stores it (JSON text), or a marker the result check refuses as malformed. */
function parseReturn(rv: unknown): unknown {
  if (typeof rv !== 'string') return rv;
  try {
    return JSON.parse(rv);
  } catch {
    return { malformed: `not JSON: ${rv.slice(0, 40)}` };
  }
}

/** How often a request looks at its jobs (lost ones are sent again, finished ones collected). */
const POLL_MS = 1000;
/** Jobs hashed, uploaded and added at a time. */
const CHUNK = 16;
const KEEP_S = 7 * 24 * 3600;
/** How often the models of waiting jobs have their expiry renewed ({@link BLOB_TTL_S} is longer). */
const RENEW_MS = 5 * 60_000;

/**
 * One `measureMany` call on the farm. Each model is uploaded once by hash; each job has an id
 * derived from its key, model and options, so a restarted requester finds its jobs again instead
 * of adding duplicates. Results come from BullMQ's completion events, and a poll every second
 * catches what events miss: a job finished while the requester was away, or jobs lost with a Redis
 * restart (sent again). A job is removed once its result is handed over.
 */
export class FarmRequest {
  private readonly pending = new Map<string, Pending>();
  private readonly failures: string[] = [];
  private readonly removals: Promise<unknown>[] = [];
  private readonly perDevice = new Map<string, number>();
  private counts = { active: 0 };
  private done = 0;
  private total = 0;
  private started = Date.now();
  private noAgentSince: number | undefined;
  /** Set once `run` settles: the sending loop and the poll stop (a failed run must not keep polling in the background). */
  private over = false;

  constructor(
    private readonly o: {
      readonly url: string;
      readonly farm: FarmConfig;
      readonly env: NodeJS.ProcessEnv;
      readonly log: (line: string) => void;
      readonly redis: Redis;
      readonly queue: Queue;
      readonly target: FarmTarget;
      readonly noAgent: (all: readonly Announcement[], waitedMs: number) => HurricaneError;
    },
  ) {}

  /** Sends the jobs and calls `onResult` per result; rejects when one failed for good, no agent serves the device, or `signal` aborts. */
  async run(
    jobs: readonly FarmJob[],
    onResult: (i: number, m: LatencyMeasurement, note: string) => void,
    options: MeasureOptions,
  ): Promise<void> {
    if (jobs.length === 0) return;
    this.total = jobs.length;
    this.started = Date.now();
    const { QueueEvents } = await import('bullmq');
    const connection = queueConnection(this.o.url, this.o.farm, this.o.env);
    const events: QueueEvents = new QueueEvents(this.o.queue.name, { connection, prefix: this.o.farm.prefix });
    events.on('error', () => {});
    // listening while the first jobs go out (a completion it misses is collected by the poll)
    const listening = events.waitUntilReady();
    const timer: { id?: NodeJS.Timeout } = {};
    try {
      await this.collect(events, listening, timer, jobs, onResult, options);
    } finally {
      this.over = true;
      clearInterval(timer.id);
      await events.close().catch(() => {});
      await Promise.all(this.removals);
    }
    if (this.failures.length > 0) {
      throw new HurricaneError(
        `${this.failures.length} of ${this.total} farm measurements failed on ${this.o.target.adapterId} ${this.o.target.device} after ${this.o.farm.attempts} tries; first: ${this.failures[0]}; the others are stored: run again to retry the failed ones`,
      );
    }
  }

  /** Sends the jobs, then settles when every one has a result (or rejects on a fatal problem); results come from events and the poll. */
  private collect(
    events: QueueEvents,
    listening: Promise<unknown>,
    timer: { id?: NodeJS.Timeout },
    jobs: readonly FarmJob[],
    onResult: (i: number, m: LatencyMeasurement, note: string) => void,
    options: MeasureOptions,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const deliver = (id: string, value: unknown) => this.deliver(id, value, onResult);
      let sent = false;
      const check = () => (sent && this.pending.size === 0 ? resolve() : undefined);
      events.on('completed', ({ jobId: id, returnvalue }) => {
        try {
          deliver(id, parseReturn(returnvalue));
          check();
        } catch (error) {
          reject(error);
        }
      });
      events.on('failed', ({ jobId: id, failedReason }) => void this.failedEvent(id, failedReason).then(check));
      options.signal?.addEventListener('abort', () =>
        reject(
          new HurricaneError(
            'stopped; the finished measurements are stored and the queued jobs stay in the farm: run again to re-attach to them',
          ),
        ),
      );
      let busy = false;
      const tick = async () => {
        if (busy) return;
        busy = true;
        try {
          await this.reconcile(deliver, [...this.pending.keys()], false);
          await this.renewBlobs();
          this.counts = { active: (await this.o.queue.getJobCounts('active')).active ?? 0 };
          await this.watchAgents();
          check();
        } catch (error) {
          if (error instanceof HurricaneError) reject(error);
        } finally {
          busy = false;
        }
      };
      // sent in chunks: the first jobs reach the agents while later models are still hashed and uploaded
      Promise.all([this.send(jobs, options, deliver), listening])
        .then(() => {
          sent = true;
          if (!this.over) timer.id = setInterval(() => void tick(), POLL_MS);
          check();
        })
        .catch(reject);
    });
  }

  /** Hashes, uploads and adds the jobs a chunk at a time, re-attaching to those Redis already has. */
  private async send(jobs: readonly FarmJob[], options: MeasureOptions, deliver: (id: string, value: unknown) => void): Promise<void> {
    let attached = 0;
    for (let start = 0; start < jobs.length && !this.over; start += CHUNK) {
      const ids = await this.build(jobs.slice(start, start + CHUNK), start, options);
      attached += (await this.reconcile(deliver, ids, true)).attached;
    }
    if (attached > 0) this.o.log(`re-attached to ${attached} farm jobs already queued or in measurement`);
  }

  /** Hashes the models of `jobs` (indices from `offset`), uploads those Redis lacks and records the jobs; their ids. */
  private async build(jobs: readonly FarmJob[], offset: number, options: MeasureOptions): Promise<string[]> {
    const measure: MeasureJob['measure'] = {};
    for (const k of ['warmupRuns', 'minRuns', 'maxRuns', 'minSessions', 'timeoutMs'] as const)
      if (options[k] !== undefined) measure[k] = options[k];
    const maxBytes = this.o.farm.maxModelMiB * 2 ** 20;
    const t = this.o.target;
    const ids: string[] = [];
    for (const [i, job] of jobs.entries()) {
      const bytes = this.read(job.model.source.path);
      if (bytes.length > maxBytes) {
        throw new HurricaneError(
          `model ${job.model.source.path} is ${(bytes.length / 2 ** 20).toFixed(1)} MiB, over farm.maxModelMiB (${this.o.farm.maxModelMiB}): raise it on the requester and on the agents`,
        );
      }
      const sha = sha256(bytes);
      const model = { sha256: sha, bytes: bytes.length, inputShape: [...job.model.source.inputShape] };
      const data: MeasureJob = {
        v: 1,
        adapterId: t.adapterId,
        deviceFingerprint: t.deviceFingerprint,
        runtimeVersion: t.runtimeVersion,
        model,
        measure,
      };
      const id = jobId(job.key, sha, measure);
      if (this.pending.has(id)) throw new HurricaneError(`two farm jobs have the key '${job.key}': each measurement needs its own key`);
      this.pending.set(id, { index: offset + i, path: job.model.source.path, data, bytes });
      ids.push(id);
    }
    await this.upload(ids.map((id) => this.pending.get(id) as Pending));
    return ids;
  }

  /**
   * Uploads the models of `jobs` that Redis does not hold whole (content-addressed: once per hash).
   * The bytes sent are the ones hashed; a model read again (a job lost with Redis) must still hash
   * the same, or the run stops rather than send other bytes under the old name.
   */
  private async upload(jobs: readonly Pending[]): Promise<void> {
    const bytesOf = (p: Pending): Buffer => {
      if (p.bytes) return p.bytes;
      const again = this.read(p.path);
      if (sha256(again) !== p.data.model.sha256)
        throw new HurricaneError(`model ${p.path} changed on disk while it was being measured: run again to measure the new one`);
      return again;
    };
    const blobs = jobs.map((p) => ({ sha: p.data.model.sha256, bytes: p.data.model.bytes }));
    await putBlobs(this.o.redis, this.o.farm.prefix, blobs, (i) => bytesOf(jobs[i] as Pending));
    for (const p of jobs) p.bytes = undefined;
  }

  private lastRenew = Date.now();

  /** Keeps the models of waiting jobs in Redis while this request lives (they expire an hour after it stops). */
  private async renewBlobs(): Promise<void> {
    if (Date.now() - this.lastRenew < RENEW_MS) return;
    this.lastRenew = Date.now();
    const shas = new Set([...this.pending.values()].map((p) => p.data.model.sha256));
    await renewBlobs(this.o.redis, this.o.farm.prefix, [...shas]);
  }

  private read(file: string): Buffer {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new HurricaneError(`model ${file} cannot be read (${(error as NodeJS.ErrnoException).code}): export it again`);
    }
  }

  private note(): string {
    const secs = Math.max((Date.now() - this.started) / 1000, 1e-3);
    const rates = [...this.perDevice].map(([d, n]) => `${d} ${(n / secs).toFixed(2)}/s`).join(', ');
    const inFlight = Math.min(this.counts.active, this.pending.size);
    return `farm: ${this.done}/${this.total} done, ${inFlight} in flight, ${this.pending.size - inFlight} queued${rates ? ` · ${rates}` : ''}`;
  }

  /**
   * Hands a finished job's result over: checked (schema, device, statistics, signature), stored by
   * `onResult`, and only then forgotten here and removed from Redis. A store that throws stops the
   * run with the job still in the farm, so the next run collects it again.
   */
  private deliver(id: string, value: unknown, onResult: (i: number, m: LatencyMeasurement, note: string) => void): void {
    const p = this.pending.get(id);
    if (!p || this.over) return; // after the run settled, the job stays in the farm for the next run
    const r = checkResult(value, this.o.target, { jobId: id, sha256: p.data.model.sha256 }, this.o.env[KEY_ENV] || undefined);
    if (!r.ok) {
      this.o.log(`${p.path}: ${r.why}`);
      this.fail(id, p, r.why);
      return;
    }
    const agent = r.m.provenance.agent?.id ?? 'unknown agent';
    this.done++;
    this.perDevice.set(`${agent}/${r.m.provenance.adapterId}`, (this.perDevice.get(`${agent}/${r.m.provenance.adapterId}`) ?? 0) + 1);
    try {
      onResult(p.index, r.m, this.note());
    } catch (error) {
      throw new HurricaneError(
        `could not store the measurement of ${p.path} (${(error as Error).message.split('\n')[0]}); it stays in the farm: fix the store (disk space, permissions) and run again to collect it`,
      );
    }
    this.pending.delete(id);
    this.removals.push(this.o.queue.remove(id).catch(() => 0));
  }

  private async failedEvent(id: string, reason: string): Promise<void> {
    const p = this.pending.get(id);
    if (!p) return;
    // a failure with tries left is a retry, not the end (BullMQ reports only final failures, but check)
    const finished = await this.o.redis.hget(this.o.queue.toKey(id), 'finishedOn').catch(() => null);
    if (finished === null) return;
    this.fail(id, p, reason);
  }

  private fail(id: string, p: Pending, reason: string): void {
    this.pending.delete(id);
    this.failures.push(`${p.path}: ${reason}`);
    this.removals.push(this.o.queue.remove(id).catch(() => 0));
  }

  /**
   * Collects finished jobs among `ids` that the events missed and sends again those Redis does not
   * have; `sending` is the first look (a job that failed in an earlier run is tried again).
   */
  private async reconcile(
    deliver: (id: string, value: unknown) => void,
    ids: readonly string[],
    sending: boolean,
  ): Promise<{ attached: number }> {
    const pipe = this.o.redis.pipeline();
    for (const id of ids) pipe.hmget(this.o.queue.toKey(id), 'name', 'finishedOn', 'returnvalue', 'failedReason');
    const rows = (await pipe.exec()) ?? [];
    const missing: string[] = [];
    let attached = 0;
    for (const [i, id] of ids.entries()) {
      const [name = null, finishedOn = null, rv = null, reason = null] = (rows[i]?.[1] ?? []) as (string | null)[];
      const p = this.pending.get(id);
      if (!p) continue;
      if (name === null) missing.push(id);
      else if (finishedOn === null) attached++;
      else if (rv !== null) deliver(id, parseReturn(rv));
      else if (sending) {
        await this.o.queue.remove(id); // failed in an earlier run: try again with fresh attempts
        missing.push(id);
      } else this.fail(id, p, reason ?? 'failed');
    }
    if (!sending && missing.length > 0) this.o.log(`${missing.length} farm jobs were lost by Redis (restarted?): sending them again`);
    await this.add(missing);
    return { attached };
  }

  private async add(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const opts = {
      attempts: this.o.farm.attempts,
      backoff: { type: 'exponential', delay: this.o.farm.backoffMs },
      removeOnComplete: { age: KEEP_S },
      removeOnFail: { age: KEEP_S },
    };
    const lost = ids.map((id) => this.pending.get(id)).filter((p): p is Pending => p !== undefined);
    // a Redis that restarts between the upload and the add would hold jobs without their models:
    // the run id tells, and the models go again (adding a job id Redis holds is a no-op)
    for (let again = true; again; ) {
      const before = await serverRun(this.o.redis);
      await this.upload(lost);
      const bulk = ids
        .filter((id) => this.pending.has(id))
        .map((id) => ({ name: 'measure', data: this.pending.get(id)?.data, opts: { ...opts, jobId: id } }));
      for (let i = 0; i < bulk.length; i += 500) await this.o.queue.addBulk(bulk.slice(i, i + 500));
      again = (await serverRun(this.o.redis)) !== before;
    }
  }

  /** Fails the request when no agent has served the device for `farm.timeoutMs`. */
  private async watchAgents(): Promise<void> {
    if (this.pending.size === 0) return;
    const all = await listDevices(this.o.redis, this.o.farm.prefix);
    if (all.some((a) => a.queue === this.o.target.queue)) {
      this.noAgentSince = undefined;
      return;
    }
    this.noAgentSince ??= Date.now();
    const waited = Date.now() - this.noAgentSince;
    if (waited >= this.o.farm.timeoutMs) throw this.o.noAgent(all, waited);
  }
}
