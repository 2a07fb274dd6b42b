import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { LatencyMeasurement } from '../contracts/hardware-adapter.js';

/** One device a farm agent serves, as it announces it (and as a requester chooses it). */
export interface FarmDevice {
  /** Adapter id on the agent, e.g. `snpe-dsp`; the requester's `hardware`. */
  readonly adapterId: string;
  /** The adapter's device description. */
  readonly device: string;
  readonly runtime: string;
  readonly runtimeVersion: string;
  /** The adapter's device fingerprint: with adapter id and runtime version, the latency-store key. */
  readonly deviceFingerprint: string;
}

/** A device kind of the farm, with the queue its agents take jobs from. */
export type FarmTarget = FarmDevice & { readonly queue: string };

/** A device announcement in Redis (refreshed while the agent lives; it expires when the agent dies). */
export interface Announcement extends FarmDevice {
  readonly agentId: string;
  readonly host: string;
  /** The BullMQ queue the device takes jobs from ({@link queueName}). */
  readonly queue: string;
  /** Measurements this device finished since its agent started. */
  readonly done: number;
}

const text = (max: number) => z.string().min(1).max(max);

/** Schema of an announcement (an agent's; a requester checks it before trusting it). */
export const announcementSchema = z
  .object({
    adapterId: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    device: text(256),
    runtime: text(64),
    runtimeVersion: text(128),
    deviceFingerprint: text(256),
    agentId: z.string().regex(/^[\w.:-]{1,128}$/),
    host: text(256),
    queue: z.string().regex(/^measure-[0-9a-f]{16}$/),
    done: z.number().int().min(0),
  })
  .strict();

/** The queue of one device kind: every agent with this adapter, fingerprint and runtime version takes from it. */
export function queueName(d: Pick<FarmDevice, 'adapterId' | 'deviceFingerprint' | 'runtimeVersion'>): string {
  const h = createHash('sha256').update(`${d.adapterId}\n${d.deviceFingerprint}\n${d.runtimeVersion}`).digest('hex');
  return `measure-${h.slice(0, 16)}`;
}

/**
 * Schema of a measurement job. It names only an adapter, a device and a model by its hash: no
 * path, no command line, nothing that reaches a shell. Agents check it before any tool runs, and
 * serve it only when adapter, fingerprint and runtime version are a device of theirs.
 */
export const jobSchema = z
  .object({
    v: z.literal(1),
    adapterId: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
    deviceFingerprint: text(256),
    runtimeVersion: text(128),
    model: z
      .object({
        sha256: z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in lower-case hex'),
        bytes: z.number().int().positive(),
        inputShape: z.array(z.number().int().min(1).max(16384)).min(1).max(6),
      })
      .strict(),
    measure: z
      .object({
        warmupRuns: z.number().int().min(0).max(100_000),
        minRuns: z.number().int().min(1).max(100_000),
        maxRuns: z.number().int().min(1).max(100_000),
        timeoutMs: z.number().int().min(1).max(86_400_000),
      })
      .partial()
      .strict(),
  })
  .strict();

/** A measurement job's data. */
export type MeasureJob = z.infer<typeof jobSchema>;

const finite = z.number().finite();

/** What a requester accepts as a result: a latency measurement with its provenance (more keys allowed). */
export const resultSchema = z
  .object({
    samplesMs: z.array(finite.nonnegative()).min(1),
    medianMs: finite.nonnegative(),
    meanMs: finite.nonnegative(),
    p10Ms: finite.nonnegative(),
    p90Ms: finite.nonnegative(),
    cov: finite,
    outlierIndices: z.array(z.number().int().min(0)),
    provenance: z
      .object({
        adapterId: z.string(),
        device: z.string(),
        deviceFingerprint: z.string(),
        runtime: z.string(),
        runtimeVersion: z.string(),
        commands: z.array(z.array(z.string())),
        timestamp: z.string(),
        settings: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
        agent: z.object({ id: z.string(), host: z.string() }).strict(),
      })
      .passthrough(),
  })
  .passthrough();

/** The first problem of a failed parse as one line: `model.sha256: a SHA-256 in lower-case hex`. */
export function firstIssue(error: z.ZodError): string {
  const i = error.issues[0];
  return i ? `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}` : 'invalid';
}

/** Checks a result an agent returned; a one-line reason when it is not a measurement of `want`. */
export function checkResult(value: unknown, want: FarmDevice): { ok: true; m: LatencyMeasurement } | { ok: false; why: string } {
  const r = resultSchema.safeParse(value);
  if (!r.success) return { ok: false, why: `malformed result (${firstIssue(r.error)})` };
  const p = r.data.provenance;
  if (p.adapterId !== want.adapterId || p.deviceFingerprint !== want.deviceFingerprint || p.runtimeVersion !== want.runtimeVersion) {
    return {
      ok: false,
      why: `result is from ${p.adapterId} ${p.deviceFingerprint} (runtime ${p.runtimeVersion}), not the device asked for`,
    };
  }
  return { ok: true, m: r.data as unknown as LatencyMeasurement };
}

/** Redis keys besides BullMQ's (which live under `<prefix>:<queue>:…`). */
export const keys = {
  blob: (prefix: string, sha: string) => `${prefix}:blob:${sha}`,
  device: (prefix: string, queue: string, agentId: string, adapterId: string) => `${prefix}:device:${queue}:${agentId}:${adapterId}`,
  devicePattern: (prefix: string) => `${prefix}:device:*`,
};

/** A job's id: the same measurement (key, model, options) is the same job, so a restarted requester re-attaches to it. */
export function jobId(key: string, sha256: string, measure: MeasureJob['measure']): string {
  const canonical = JSON.stringify(Object.entries(measure).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(`${key}\n${sha256}\n${canonical}`).digest('hex').slice(0, 40);
}
