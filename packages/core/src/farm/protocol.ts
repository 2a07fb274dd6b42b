import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { LatencyMeasurement } from '../contracts/hardware-adapter.js';
import { MAX_SESSIONS } from '../adapter-kit/measuring-adapter.js';
import { summarizeSamples } from '../adapter-kit/statistics.js';
import { KEY_ENV } from '../redact.js';
import { stableJson } from '../stable-json.js';

export { KEY_ENV };

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
 * Bounds of a job, so no job can exhaust an agent's memory or hold its device for long: at most
 * {@link JOB_LIMITS.inputElements} input values (64 MiB of float32), one hour, 10,000 timed runs.
 */
export const JOB_LIMITS = {
  inputElements: 16 * 2 ** 20,
  timeoutMs: 3_600_000,
  runs: 10_000,
  warmupRuns: 1_000,
  sessions: MAX_SESSIONS,
} as const;

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
        inputShape: z
          .array(z.number().int().min(1).max(16384))
          .min(1)
          .max(6)
          .refine((s) => s.reduce((a, b) => a * b, 1) <= JOB_LIMITS.inputElements, {
            message: `the input holds more than ${JOB_LIMITS.inputElements} values`,
          }),
      })
      .strict(),
    measure: z
      .object({
        warmupRuns: z.number().int().min(0).max(JOB_LIMITS.warmupRuns),
        minRuns: z.number().int().min(1).max(JOB_LIMITS.runs),
        maxRuns: z.number().int().min(1).max(JOB_LIMITS.runs),
        minSessions: z.number().int().min(1).max(JOB_LIMITS.sessions),
        timeoutMs: z.number().int().min(1).max(JOB_LIMITS.timeoutMs),
      })
      .partial()
      .strict(),
  })
  .strict();

/** A measurement job's data. */
export type MeasureJob = z.infer<typeof jobSchema>;

const finite = z.number().finite();
/** The most samples a result may carry (a job times at most {@link JOB_LIMITS.runs} runs). */
const MAX_SAMPLES = JOB_LIMITS.runs;
/** No single inference the farm measures takes a minute; a sample over it is absurd, not slow. */
export const MAX_SAMPLE_MS = 60_000;
const ms = finite.nonnegative().max(MAX_SAMPLE_MS);
const word = (max: number) => z.string().max(max);

/**
 * What a requester accepts as a result: a latency measurement with its provenance, bounded in
 * every array and string, and nothing else (unknown keys are refused, not passed on to the store).
 */
export const resultSchema = z
  .object({
    samplesMs: z.array(ms).min(1).max(MAX_SAMPLES),
    medianMs: ms,
    meanMs: ms,
    p10Ms: ms,
    p90Ms: ms,
    cov: finite.nonnegative().max(1000),
    outlierIndices: z.array(z.number().int().min(0).max(MAX_SAMPLES)).max(MAX_SAMPLES),
    runs: z.number().int().min(1).max(1e9).optional(),
    uncertaintyMs: ms.optional(),
    timedMs: finite.nonnegative().max(JOB_LIMITS.timeoutMs).optional(),
    fallback: z
      .object({ to: word(64), layers: z.array(word(512)).min(1).max(4096) })
      .strict()
      .optional(),
    conditions: z
      .object({
        cores: z.number().int().min(1).max(4096),
        loadAverage: z.tuple([finite.nonnegative().max(1e5), finite.nonnegative().max(1e5)]),
        governor: word(256).optional(),
        frequencyMHz: z.tuple([finite.nonnegative().max(1e5), finite.nonnegative().max(1e5)]).optional(),
        maxFrequencyMHz: finite.nonnegative().max(1e5).optional(),
        temperatureC: z.tuple([finite.min(-100).max(1000), finite.min(-100).max(1000)]).optional(),
        flags: z.array(z.enum(['load', 'throttled'])).max(2),
      })
      .strict()
      .optional(),
    provenance: z
      .object({
        adapterId: word(64),
        device: word(256),
        deviceFingerprint: word(256),
        runtime: word(64),
        runtimeVersion: word(128),
        commands: z.array(z.array(word(4096)).max(256)).max(64),
        timestamp: z.string().datetime({ offset: true }),
        settings: z
          .record(word(64), z.union([word(256), finite, z.boolean()]))
          .refine((o) => Object.keys(o).length <= 64, { message: 'more than 64 settings' }),
        agent: z.object({ id: word(128), host: word(256) }).strict(),
      })
      .strict(),
    /** HMAC-SHA256 of the result, its job and model under the farm key ({@link signResult}); set when the agent has the key. */
    signature: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional(),
  })
  .strict();

/** The first problem of a failed parse as one line: `model.sha256: a SHA-256 in lower-case hex`. */
export function firstIssue(error: z.ZodError): string {
  const i = error.issues[0];
  return i ? `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}` : 'invalid';
}

/** What binds a result to the one job it answers: its id and the model's hash. */
export interface ResultBinding {
  readonly jobId: string;
  readonly sha256: string;
}

/**
 * The signature of a result: HMAC-SHA256 under the farm key over the job id, the model's hash and
 * the result without its signature (stable JSON). A result copied to another job, or changed in
 * any value, no longer matches.
 */
export function signResult(result: object, bound: ResultBinding, key: string): string {
  const { signature: _, ...unsigned } = result as { signature?: string };
  return createHmac('sha256', key)
    .update(`${bound.jobId}\n${bound.sha256}\n${stableJson(unsigned)}`)
    .digest('hex');
}

/**
 * The result an agent sends for one job: the measurement's known keys only, its agent, and the
 * signature when the agent has the farm key. Checked against {@link resultSchema} before it leaves,
 * so an agent never sends what a requester would refuse; the reason when it would.
 */
export function resultFor(
  m: LatencyMeasurement,
  agent: { id: string; host: string },
  bound: ResultBinding,
  key: string | undefined,
): { ok: true; result: object } | { ok: false; why: string } {
  const p = m.provenance;
  const result = {
    samplesMs: m.samplesMs,
    medianMs: m.medianMs,
    meanMs: m.meanMs,
    p10Ms: m.p10Ms,
    p90Ms: m.p90Ms,
    cov: m.cov,
    outlierIndices: m.outlierIndices,
    ...(m.runs !== undefined ? { runs: m.runs } : {}),
    ...(m.uncertaintyMs !== undefined ? { uncertaintyMs: m.uncertaintyMs } : {}),
    ...(m.timedMs !== undefined ? { timedMs: m.timedMs } : {}),
    ...(m.fallback !== undefined ? { fallback: { to: m.fallback.to, layers: [...m.fallback.layers] } } : {}),
    ...(m.conditions !== undefined ? { conditions: m.conditions } : {}),
    provenance: {
      adapterId: p.adapterId,
      device: p.device,
      deviceFingerprint: p.deviceFingerprint,
      runtime: p.runtime,
      runtimeVersion: p.runtimeVersion,
      commands: p.commands,
      timestamp: p.timestamp,
      settings: p.settings,
      agent,
    },
  };
  const r = resultSchema.safeParse(result);
  if (!r.success) return { ok: false, why: `the measurement is out of the farm's bounds (${firstIssue(r.error)})` };
  return { ok: true, result: key ? { ...result, signature: signResult(result, bound, key) } : result };
}

const short = (s: string) => JSON.stringify(s.length > 60 ? `${s.slice(0, 60)}…` : s);

/** The statistic the agent reported that its own samples contradict, or null when all agree. */
function contradiction(r: z.infer<typeof resultSchema>): string | null {
  const want = summarizeSamples(r.samplesMs);
  for (const k of ['medianMs', 'meanMs', 'p10Ms', 'p90Ms', 'cov'] as const) {
    if (Math.abs(r[k] - want[k]) > 1e-9 * Math.max(1, Math.abs(want[k]))) return `${k} ${r[k]} where its samples give ${want[k]}`;
  }
  if (r.outlierIndices.join() !== want.outlierIndices.join()) return 'outlier indices that its samples do not give';
  return null;
}

/**
 * Checks a result an agent returned for the job `bound`: the bounded schema, the device asked
 * for, statistics that its samples give (recomputed here), and, when the requester has the farm
 * key, the agent's signature. The measurement (only the checked keys), or one line naming the agent.
 */
export function checkResult(
  value: unknown,
  want: FarmDevice,
  bound: ResultBinding,
  key?: string,
): { ok: true; m: LatencyMeasurement } | { ok: false; why: string } {
  const r = resultSchema.safeParse(value);
  const agentOf = (v: unknown) => {
    const a = (v as { provenance?: { agent?: { id?: unknown } } } | null)?.provenance?.agent?.id;
    return typeof a === 'string' ? `agent ${short(a)}` : 'an unnamed agent';
  };
  if (!r.success) return { ok: false, why: `refused a malformed result from ${agentOf(value)} (${firstIssue(r.error)})` };
  const p = r.data.provenance;
  const who = agentOf(r.data);
  if (p.adapterId !== want.adapterId || p.deviceFingerprint !== want.deviceFingerprint || p.runtimeVersion !== want.runtimeVersion) {
    return {
      ok: false,
      why: `refused a result from ${who}: it is from ${p.adapterId} ${short(p.deviceFingerprint)} (runtime ${short(p.runtimeVersion)}), not the device asked for`,
    };
  }
  const wrong = contradiction(r.data);
  if (wrong) return { ok: false, why: `refused a result from ${who}: it reports ${wrong} (forged or corrupt)` };
  if (key !== undefined) {
    if (r.data.signature === undefined)
      return { ok: false, why: `refused an unsigned result from ${who}: give the agent the farm key (${KEY_ENV})` };
    const good = Buffer.from(signResult(r.data, bound, key), 'hex');
    if (!timingSafeEqual(good, Buffer.from(r.data.signature, 'hex')))
      return { ok: false, why: `refused a result from ${who}: its signature does not match (forged, or another farm key)` };
  }
  const { signature: _, ...m } = r.data;
  return { ok: true, m: m as LatencyMeasurement };
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
