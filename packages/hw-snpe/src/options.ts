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
    /** The SDK's device build (`bin/<targetArch>`, `lib/<targetArch>`), e.g. `aarch64-android` (2.10+) or `aarch64-android-clang8.0` (≤ 2.9). */
    targetArch: z
      .string()
      .regex(/^[\w.-]+$/, 'a folder name under <sdk>/lib, e.g. "aarch64-android"')
      .default('aarch64-android'),
    /** The Hexagon library folder under `<sdk>/lib` whose `unsigned/` skels the DSP needs, e.g. `hexagon-v69` (Snapdragon 8 Gen 1), `hexagon-v73`. */
    dspArch: z
      .string()
      .regex(/^hexagon-v\d+$/, 'a Hexagon folder such as "hexagon-v69"')
      .default('hexagon-v69'),
    /** Folder on the device where the libraries and each run live. */
    remoteDir: z
      .string()
      .regex(/^\/[\w./-]+$/, 'an absolute device path such as "/data/local/tmp/hurricane"')
      .default('/data/local/tmp/hurricane'),
    /** Inferences per snpe-net-run (lines of the input list); Total Inference Time is their average. */
    inferences: z.number().int().min(1).default(20),
    /** snpe-net-run runs per measurement; each run's average is one sample. */
    rounds: z.number().int().min(1).default(3),
    /** Calibration inputs written for snpe-dlc-quantize (the DSP runs the quantized DLC). */
    calibrationInputs: z.number().int().min(1).default(8),
    /**
     * A DSP or GPU run in which some layers ran on the CPU (snpe-net-run's CPU fallback, which the
     * per-layer rows of snpe-diagview show): `flag` stores it with those layers named
     * (`fallback` in the measurement, marked in Table 1); `error` refuses it in one line naming
     * the model and the layers.
     */
    fallback: z.enum(['flag', 'error']).default('flag'),
    /** Further attempts of an adb call that failed for a transient reason (device offline, adb server restarting). */
    adbRetries: z.number().int().min(0).max(10).default(2),
    /** Timeout of each tool run, in milliseconds. */
    toolTimeoutMs: z.number().int().positive().default(120_000),
  })
  .strict();

export type SnpeOptions = z.infer<typeof snpeOptionsSchema>;
