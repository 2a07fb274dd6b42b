import { z } from 'zod';

/** The `snpe` block of a Hurricane config. */
export const snpeOptionsSchema = z
  .object({
    /** SNPE / QAIRT SDK folder; default: the SNPE_ROOT environment variable (set by `bin/envsetup.sh`). */
    sdkRoot: z.string().min(1).optional(),
    /** adb executable (name on PATH or a path). */
    adb: z.string().min(1).default('adb'),
    /** Serial of the Android device to measure on (`adb devices -l`); needed when several are connected. */
    serial: z.string().min(1).optional(),
    /** snpe-net-run `--perf_profile`. */
    perfProfile: z
      .enum(['burst', 'sustained_high_performance', 'high_performance', 'balanced', 'default', 'power_saver', 'system_settings'])
      .default('burst'),
    /** Timeout of each tool run, in milliseconds. */
    toolTimeoutMs: z.number().int().positive().default(120_000),
  })
  .strict();

export type SnpeOptions = z.infer<typeof snpeOptionsSchema>;
