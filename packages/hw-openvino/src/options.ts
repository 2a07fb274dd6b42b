import { z } from 'zod';

/** The `openvino` block of a Hurricane config. */
export const openvinoOptionsSchema = z
  .object({
    /** benchmark_app `-d` device: CPU, GPU, NPU, MYRIAD (Myriad X VPU, OpenVINO ≤ 2022.3), AUTO, HETERO:…, MULTI:…. */
    device: z
      .string()
      .regex(
        /^(CPU|GPU(\.\d+)?|NPU|MYRIAD|HDDL|AUTO|(HETERO|MULTI|AUTO):[A-Z0-9.,]+)$/,
        'an OpenVINO device name such as "CPU", "MYRIAD" or "AUTO"',
      )
      .default('CPU'),
    /** benchmark_app executable (name on PATH or a path). */
    benchmarkApp: z.string().min(1).default('benchmark_app'),
    /** Model converter: `ovc` (2023.1+), `mo` (legacy, ≤ 2024) or `auto` (ovc, else mo). */
    converter: z.enum(['auto', 'ovc', 'mo']).default('auto'),
    /** IR weight precision: `auto` = FP16 for MYRIAD, HDDL and NPU, FP32 otherwise. */
    precision: z.enum(['auto', 'FP32', 'FP16']).default('auto'),
    /** Iterations of each benchmark_app run (`-niter`). */
    iterations: z.number().int().min(1).default(200),
    /** benchmark_app runs per measurement; each run's median is one sample (the spread between runs is the uncertainty). */
    rounds: z.number().int().min(1).default(3),
    /** Timeout of each tool run, in milliseconds. */
    toolTimeoutMs: z.number().int().positive().default(300_000),
  })
  .strict();

export type OpenvinoOptions = z.infer<typeof openvinoOptionsSchema>;
