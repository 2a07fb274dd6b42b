import { z } from 'zod';

/** The `armCpu` block of a Hurricane config. */
export const armCpuOptionsSchema = z
  .object({
    /** ONNX Runtime intra-op threads (the paper measures single-threaded mobile CPUs). */
    threads: z.number().int().min(1).max(256).default(1),
    /** Package that provides ONNX Runtime for Node (advanced: a fork with the same API). */
    runtimeModule: z.string().min(1).default('onnxruntime-node'),
  })
  .strict();

export type ArmCpuOptions = z.infer<typeof armCpuOptionsSchema>;
