import { MAX_SESSIONS } from '@hurricane/core/adapter-kit';
import { z } from 'zod';

/** The `armCpu.remote` block: an ARM board over adb or ssh (adapter `arm-cpu-remote`). */
export const remoteOptionsSchema = z
  .object({
    /** `adb` (Android boards and phones) or `ssh` (Linux boards, with scp). */
    transport: z.enum(['adb', 'ssh']).default('adb'),
    adb: z.string().min(1).default('adb'),
    /** ssh transport: the board's address, user, port and key. */
    host: z
      .string()
      .regex(/^[\w.][\w.-]*$/, "a host name or address (not starting with '-')")
      .optional(),
    user: z
      .string()
      .regex(/^[\w.][\w.-]*$/, "a user name (not starting with '-')")
      .optional(),
    port: z.number().int().min(1).max(65535).default(22),
    identityFile: z.string().min(1).optional(),
    ssh: z.string().min(1).default('ssh'),
    scp: z.string().min(1).default('scp'),
    /** Serial of the board (`adb devices -l`); needed when several are connected. */
    serial: z.string().min(1).optional(),
    /** Path of onnxruntime_perf_test on the board. */
    perfTest: z
      .string()
      .regex(/^\/[\w./-]+$/, 'an absolute path on the board')
      .default('/data/local/tmp/onnxruntime_perf_test'),
    /** Folder on the board for the runs. */
    remoteDir: z
      .string()
      .regex(/^\/[\w./-]+$/, 'an absolute path on the board')
      .default('/data/local/tmp/hurricane-ort'),
    /** `-r`: inferences per onnxruntime_perf_test run. */
    repetitions: z.number().int().min(1).default(100),
    /** Runs per model; each run's P50 latency is one sample. */
    rounds: z.number().int().min(1).default(3),
    toolTimeoutMs: z.number().int().positive().default(120_000),
    adbRetries: z.number().int().min(0).max(10).default(2),
    /** Where the logs of health checks go (default `<workDir>/arm-cpu-remote`; measurements log beside their models). */
    logDir: z.string().min(1).optional(),
  })
  .strict();

/** The `armCpu` block of a Hurricane config. */
export const armCpuOptionsSchema = z
  .object({
    /** ONNX Runtime intra-op threads (the paper measures single-threaded mobile CPUs). */
    threads: z.number().int().min(1).max(256).default(1),
    /**
     * ONNX Runtime's graph optimisation level (`all`, the default, fuses the most). Another level is
     * another device kind: it joins the device fingerprint (`…|opt=basic`).
     */
    graphOptimization: z.enum(['disabled', 'basic', 'extended', 'all']).default('all'),
    /**
     * ONNX Runtime sessions per model, measured side by side in the same rounds (a session has a
     * speed of its own; more sessions make a model's figure depend less on which ones it got, at the
     * cost of creating them).
     * Recorded in each measurement's provenance (`settings.sessions`).
     */
    sessions: z.number().int().min(1).max(MAX_SESSIONS).default(3),
    /** Package that provides ONNX Runtime for Node (advanced: a fork with the same API). */
    runtimeModule: z.string().min(1).default('onnxruntime-node'),
    /** Adapter `arm-cpu-remote`: an ARM board over adb with ONNX Runtime's onnxruntime_perf_test installed on it. */
    remote: remoteOptionsSchema
      .refine((r) => r.transport !== 'ssh' || r.host !== undefined, {
        message: "the ssh transport needs 'host' (the board's address)",
        path: ['host'],
      })
      .optional(),
  })
  .strict();

export type ArmCpuOptions = z.infer<typeof armCpuOptionsSchema>;

/** The `armCpu.remote` settings with every default (the schema's), for an adapter configured without the block. */
export function remoteDefaults(): z.infer<typeof remoteOptionsSchema> {
  return remoteOptionsSchema.parse({});
}
