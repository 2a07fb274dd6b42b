// The core keys of a Hurricane config: one zod schema per block, each leaf carrying its default.
// This file is the only copy of the defaults (`coreDefaults()` parses an empty config) and of the
// block names (`CORE_BLOCKS`): the resolver, the "did you mean" of every block and the user's
// `defineConfig` type all read them from here.
import { z } from 'zod';

/** Names of the search-space presets (docs/search-space.md). */
export const PRESET_NAMES = ['imagenet', 'spos', 'cifar', 'mnist'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** Log levels of `logLevel` / `--log-level`. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** TF.js engines of `engine` / `--engine`. */
export const ENGINE_NAMES = ['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;

/** Schema of the `scoring` block (docs/method.md §5, Eq. 4). */
export const scoringSchema = z
  .object({
    name: z.string().min(1).default('eq4'),
    alpha: z.number().min(0).default(0),
    beta: z.number().min(0).default(0),
  })
  .strict();

/** Schema of the `reduction` block (docs/method.md, Algorithm 1 lines 1–5). */
export const reductionSchema = z
  .object({
    keep: z.number().int().min(1).default(4),
    exploringIndex: z.number().int().min(1).default(10),
    exploringLayers: z.number().int().min(0).default(4),
    /** Which statistic of a measurement ranks operators: p10 (default: noise only adds time), median or mean. */
    statistic: z.enum(['p10', 'median', 'mean']).default('p10'),
    /** Relative latency difference that always counts as a tie, however precise the measurement. */
    tieTolerance: z.number().min(0).max(1).default(0.03),
    /** Paired contexts: also a tie when a difference is within this many standard deviations of the pair's measured spread (0: off). */
    tieSpread: z.number().min(0).max(10).default(2),
    /**
     * The order within a tie: `estimate` (default) keeps the measured order, so a tie is marked in
     * Table 1 without moving the kept set; `capacity` orders tied operators by the score's other
     * terms, then FLOPs, params and name (on the host measured this made kept sets differ between
     * profiles more often: docs/profiling.md).
     */
    tieBreak: z.enum(['estimate', 'capacity']).default('estimate'),
    /** Bootstrap resamples over the measurement rounds behind each kept operator's confidence (0: none). */
    bootstrap: z.number().int().min(0).max(10_000).default(200),
    /** A layer whose kept operators stay in the top `keep` in fewer of the resamples than this is reported unstable. */
    minConfidence: z.number().min(0).max(1).default(0.9),
    /**
     * The skip operator (the paper's Appendix B): `true` offers Skip (the identity) beside the kept
     * operators in every layer whose input and output shapes match, a list offers it in those layers
     * only (counting from 1, as architectures do), `false` nowhere. Profiled like the others.
     */
    skip: z.union([z.boolean(), z.array(z.number().int().min(1)).min(1)]).default(false),
  })
  .strict();

/** Schema of the `train` block (supernet training, docs/method.md §7; `hurricane train`). */
export const trainSchema = z
  .object({
    /**
     * `mnist` (embedded in the package), `cifar10` (binary batches in `dataDir`), `idx` (MNIST-format
     * IDX files in `dataDir`, e.g. Fashion-MNIST) or `folder` (one sub-folder per class in `dataDir`).
     */
    dataset: z.enum(['mnist', 'cifar10', 'idx', 'folder']).default('mnist'),
    dataDir: z.string().min(1).optional(),
    steps: z.number().int().min(1).default(1000),
    batchSize: z.number().int().min(1).default(64),
    /** SPOS's recipe at batch 64: lr 0.1, momentum 0.9, weight decay 4e-5, label smoothing 0.1, linear decay. */
    lr: z.number().positive().default(0.1),
    momentum: z.number().min(0).max(1).default(0.9),
    weightDecay: z.number().min(0).default(4e-5),
    labelSmoothing: z.number().min(0).max(1).default(0.1),
    schedule: z.enum(['linear', 'cosine']).default('linear'),
    /** Stop once the training-loss EMA reaches this value (the paper stops at the SPOS baseline's loss). */
    lossTarget: z.number().positive().optional(),
    /**
     * After the loss target is reached at step s, train round(coolDown·s) more steps with the
     * learning rate decaying linearly to 0 from its value there (0: stop at once, at a high rate).
     */
    coolDown: z.number().min(0).max(1).default(0.1),
    /** Linear learning-rate warm-up over this many supernet steps (0: none). */
    warmupSteps: z.number().int().min(0).default(0),
    /** Start every residual block of a supernet as the identity (γ = 0 in the last BatchNorm of each residual branch). */
    zeroInitResidual: z.boolean().default(false),
    checkpointEvery: z.number().int().min(1).default(50),
    /** Data-parallel worker threads: `auto` = one per core on the wasm and cpu engines, 1 on tfjs-node (native, already multi-threaded). */
    workers: z.union([z.literal('auto'), z.number().int().min(1)]).default('auto'),
    /** Validation images held out of the training set per class (seeded). */
    validationPerClass: z.number().int().min(1).default(50),
  })
  .strict();

/**
 * Schema of the `predictor` block (docs/method.md §6): the model by name (`gp`, `lasso`,
 * `bayesian-ridge`, `lut`, `auto`, or one a plugin adds) and its options, which the model's factory
 * validates.
 */
export const predictorSchema = z.object({ model: z.string().min(1).default('auto') }).catchall(z.unknown());

/** One limit of `search.constraints`: latency on the run's hardware (by the predictor), or an exact cost of the architecture. */
export const constraintSchema = z.discriminatedUnion('metric', [
  z
    .object({
      metric: z.literal('latency'),
      /** ms, or `auto` (as `search.budgetMs: auto`). */
      max: z.union([z.literal('auto'), z.number().positive()]),
      /** Accept only when `P(latency ≤ max) ≥ confidence` under the predictor's std (default: its mean ≤ max). */
      confidence: z.number().gt(0).lt(1).optional(),
      /** The target the limit is on, by name (default: the run's one target). */
      target: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({
      /** Multiply-adds (`flops`), trainable parameters (`params`) or peak activation bytes (`peakMemory`, float32, batch 1). */
      metric: z.enum(['flops', 'params', 'peakMemory']),
      max: z.number().positive(),
    })
    .strict(),
]);

/** The checks across keys of the `search` block: one limit per metric, and `budgetMs` / `confidence` as shorthands only. */
function checkLimits(
  s: { budgetMs: unknown; confidence?: number; constraints?: { metric: string; target?: string }[] },
  ctx: z.RefinementCtx,
): void {
  if (!s.constraints) return;
  const seen = new Set<string>();
  const latencies = s.constraints.filter((c) => c.metric === 'latency').length;
  s.constraints.forEach((c, k) => {
    const key = c.metric === 'latency' && latencies > 1 ? `latency on ${c.target}` : c.metric;
    if (c.metric === 'latency' && latencies > 1 && c.target === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['constraints', k, 'target'],
        message: "with a latency limit on each of several targets, every latency limit names its target (target: '<name>')",
      });
    else if (seen.has(key))
      ctx.addIssue({
        code: 'custom',
        path: ['constraints', k],
        message: `a second ${key} limit: keep one per ${c.metric === 'latency' ? 'target' : 'metric'}`,
      });
    seen.add(key);
  });
  if (s.budgetMs !== 'auto')
    ctx.addIssue({
      code: 'custom',
      path: ['budgetMs'],
      message:
        "the shorthand for one latency limit cannot stand beside search.constraints: put { metric: 'latency', max: N } in search.constraints and remove search.budgetMs",
    });
  if (s.confidence !== undefined)
    ctx.addIssue({
      code: 'custom',
      path: ['confidence'],
      message:
        "cannot stand beside search.constraints: give the confidence in the latency limit ({ metric: 'latency', max: N, confidence: 0.9 }) and remove search.confidence",
    });
}

/** Schema of the `search` block (`hurricane search`, docs/method.md §2 and §7). */
export const searchSchema = z
  .object({
    /** The latency budget `LatC_h` in ms, or `auto`: the median predicted latency of the first step's sub-space (of the reduced space for the SPOS baseline). */
    budgetMs: z.union([z.literal('auto'), z.number().positive()]).default('auto'),
    /** Accept a candidate only when `P(latency ≤ budget) ≥ confidence` under the predictor's std (default: its mean ≤ budget). */
    confidence: z.number().gt(0).lt(1).optional(),
    /**
     * Several limits at once, any mix of latency (by the predictor), FLOPs, params and peak
     * activation memory (exact): a candidate must meet all of them. Replaces `budgetMs` and
     * `confidence`, which stay the shorthand for one latency limit.
     */
    constraints: z.array(constraintSchema).min(1).optional(),
    /**
     * How the targets of a search under latency limits on several targets share one reduced space:
     * `worst` keeps, per layer, the `reduction.keep` operators whose worst score over the targets
     * (relative to each target's best in that layer) is highest; `union` merges the targets' kept
     * sets by best rank, cut at `reduction.keep` (docs/search.md, "Several targets").
     */
    sharedSpace: z.enum(['worst', 'union']).default('worst'),
    /**
     * Search with a latency predictor that cannot rank the measured latencies (cross-validated
     * Kendall τ at chance, or no better than predicting the mean). Default: the run stops before
     * any supernet training, saying why.
     */
    allowWeakPredictor: z.boolean().default(false),
    /** `I`: coordinate-ascent iterations. */
    iterations: z.number().int().min(1).default(1),
    /** `t`: the layer split between the two coordinate groups. */
    t: z.number().int().min(1).default(8),
    /** Run the SPOS baseline instead: every layer active in one step over every operator, no reduction. */
    baseline: z.boolean().default(false),
    /**
     * The baseline's space: `full`, every operator of the preset in every layer (SPOS as published),
     * or `reduced`, the hardware's reduced space (Table 1), as the paper compares the latency tasks
     * "on the same search space"; the reduced one answers to the fitted predictor.
     */
    baselineSpace: z.enum(['full', 'reduced']).default('full'),
    /** Supernet training steps per iteration (stops earlier at `train.lossTarget`). */
    supernetSteps: z.number().int().min(1).default(500),
    /** SPOS's evolution: population 50, 20 generations, top 10, 25 mutations (p = 0.1), 25 crossovers. */
    population: z.number().int().min(1).default(50),
    generations: z.number().int().min(1).default(20),
    topK: z.number().int().min(1).default(10),
    mutations: z.number().int().min(0).default(25),
    crossovers: z.number().int().min(0).default(25),
    mutationProb: z.number().min(0).max(1).default(0.1),
    /** Top candidates of each evolution scored again after recalibration on an independent sample (the fitness-noise check; 0: none). */
    noiseCheck: z.number().int().min(0).default(50),
    /**
     * The best candidates of the last step measured on the hardware before retraining: the winner
     * is the most accurate one whose measured latency meets the budget (0: the evolution's best, unmeasured).
     */
    verifyTopK: z.number().int().min(0).max(50).default(5),
    /**
     * The rank check: paths of the last step spread over its fitness range (the winner among them),
     * each trained on its own for `rankCheckSteps` to compare supernet fitness with standalone
     * accuracy (0: none). Changing either re-runs only the check and the report.
     */
    rankCheck: z.number().int().min(0).default(0),
    rankCheckSteps: z.number().int().min(1).default(300),
    /** BatchNorm recalibration before each evaluation: batches and images per batch (SPOS: 200 of 128). */
    recalibrationBatches: z.number().int().min(1).default(5),
    recalibrationBatchSize: z.number().int().min(1).default(64),
    /** Architectures measured for the predictor's data set, and how many of them twice (noise floor). */
    datasetSize: z.number().int().min(10).default(150),
    datasetRepeats: z.number().int().min(0).default(15),
    /** Retraining the winner from scratch: steps, base learning rate (cosine decay to 0). */
    retrainSteps: z.number().int().min(1).default(1000),
    retrainLr: z.number().positive().default(0.1),
  })
  .strict()
  .superRefine(checkLimits);

/** Schema of the `farm` block: measuring on a device farm through BullMQ on Redis (docs/device-farm.md). */
export const farmSchema = z
  .object({
    /** The farm's Redis: `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. Unset: measure on this machine. */
    url: z
      .string()
      .regex(/^rediss?:\/\/[^\s]+$/, 'a Redis URL such as redis://localhost:6379 or rediss://:password@lab-redis:6380')
      .optional(),
    /** Which device of the farm, when agents serve several for the run's hardware: its fingerprint, or a part of its device name. */
    device: z.string().min(1).optional(),
    /** A CA certificate (PEM file) to trust for `rediss://`, e.g. a self-signed lab certificate. */
    caFile: z.string().min(1).optional(),
    /** Requester: how long a job may wait with no agent serving its device before the run fails (ms). */
    timeoutMs: z.number().int().min(1000).default(120_000),
    /** Tries per measurement: a device error is retried with exponential backoff, then reported. */
    attempts: z.number().int().min(1).max(20).default(3),
    /** First retry delay (ms); it doubles with each retry. */
    backoffMs: z.number().int().min(0).default(2000),
    /** Largest model an agent accepts (MiB); larger jobs are refused. */
    maxModelMiB: z.number().positive().max(512).default(64),
    /** Agent: how long a job's lock lasts without renewal; a killed agent's job is taken over after it (ms). */
    lockMs: z.number().int().min(500).default(30_000),
    /** Agent: how often agents look for jobs whose agent died (ms). */
    stalledCheckMs: z.number().int().min(100).default(15_000),
    /** Agent: take the next job while measuring, to fetch its model meanwhile (off for a host-CPU device whose measurement the transfer would disturb). */
    prefetch: z.boolean().default(true),
    /** Agent: its name in provenance and progress (default `<host>:<pid>`). */
    agentName: z
      .string()
      .regex(/^[\w.:-]+$/, 'letters, digits and . _ : - only')
      .optional(),
    /** Prefix of every Redis key Hurricane writes (two farms can share one Redis). */
    prefix: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, _ and -')
      .default('hurricane'),
  })
  .strict();

/** The core blocks (objects of their own keys), by name: the one list every block-wise step reads. */
export const CORE_BLOCKS = {
  scoring: scoringSchema,
  reduction: reductionSchema,
  train: trainSchema,
  predictor: predictorSchema,
  search: searchSchema,
  farm: farmSchema,
} as const;
export type CoreBlockName = keyof typeof CORE_BLOCKS;

/** An adapter id (`arm-cpu`, `snpe-dsp`, `openvino`, …). */
const adapterIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'an adapter id such as "arm-cpu" or "snpe-dsp"');

/**
 * One named target of `targets`: an adapter instance with its own options. `adapter` is the adapter
 * id; the other keys are the options of the plugin that provides it (its block's keys, e.g.
 * `threads`, `serial`, `device`), which override that block for this target and are checked by the
 * plugin's schema; `farmDevice` picks the farm device that measures it (as `farm.device`).
 */
export const targetSchema = z
  .object({
    adapter: adapterIdSchema,
    /** With `farm.url`: the farm device of this target, its fingerprint or a part of its device name. */
    farmDevice: z.string().min(1).optional(),
  })
  .catchall(z.unknown());

/** The `targets` block: target names (which name folders and hints) to adapter instances. */
export const targetsSchema = z.record(z.string(), targetSchema).superRefine((t, ctx) => {
  if (Object.keys(t).length === 0)
    ctx.addIssue({ code: 'custom', message: 'name at least one target, or remove the block and use hardware' });
  for (const name of Object.keys(t))
    if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(name))
      ctx.addIssue({
        code: 'custom',
        path: [name],
        message: 'rename the target: lower-case letters, digits, _ and - only (it names a folder)',
      });
});

/** The core keys of a config besides `plugins`, each with its default; blocks default to their leaves' defaults. */
const settingsSchema = z
  .object({
    /** The one-target shorthand: the adapter id of the run's only target (named after it). */
    hardware: adapterIdSchema.default('arm-cpu'),
    /** Several targets, by name: each an adapter instance with its own options (replaces `hardware`). */
    targets: targetsSchema.optional(),
    preset: z.enum(PRESET_NAMES).default('cifar'),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(0),
    workDir: z.string().min(1).default('.hurricane'),
    logLevel: z.enum(LOG_LEVELS).default('info'),
    engine: z.enum(ENGINE_NAMES).default('auto'),
    scoring: scoringSchema.prefault({}),
    reduction: reductionSchema.prefault({}),
    train: trainSchema.prefault({}),
    predictor: predictorSchema.prefault({}),
    search: searchSchema.prefault({}),
    farm: farmSchema.prefault({}),
  })
  .strict();

/** The `plugins` key: package names, short names or paths. */
export const pluginsSchema = z.array(z.string().min(1, 'a plugin name cannot be empty'));

/** Schema of the core keys of a Hurricane config (defaults applied). Plugin blocks are validated by each plugin. */
export const coreConfigSchema = settingsSchema.extend({ plugins: pluginsSchema });

/** The core part of a resolved config, every key present. */
export type CoreConfig = z.output<typeof coreConfigSchema>;

/** Top-level keys owned by core; every other top-level key must belong to a loaded plugin. */
export const CORE_KEYS = Object.keys(coreConfigSchema.shape) as (keyof CoreConfig)[];

/** The keys of a core block, for "did you mean" on a misspelt one. */
export function blockKeys(block: string): readonly string[] {
  return block in CORE_BLOCKS ? Object.keys(CORE_BLOCKS[block as CoreBlockName].shape) : [];
}

/**
 * The core settings with every default applied, or the schema's issues: what the resolver layers
 * (file < flags) is validated here in one pass.
 */
export function parseSettings(raw: Record<string, unknown>): ReturnType<typeof settingsSchema.safeParse> {
  return settingsSchema.safeParse(raw);
}

/** What a user writes in a config file: every core key optional, plugin blocks by their key. */
export type UserConfig = Partial<z.input<typeof coreConfigSchema>> & {
  /** Plugin blocks, e.g. `snpe: { serial: '3a7c328c' }`, `openvino: { device: 'MYRIAD' }`. */
  [pluginKey: string]: unknown;
};

/** Typed identity helper for `hurricane.config.ts` / `.mjs`: `export default defineConfig({...})`. */
export function defineConfig(config: UserConfig): UserConfig {
  return config;
}

/** Defaults of the core keys (`plugins` is filled by discovery when the file gives none), read off the schema. */
export function coreDefaults(): Omit<CoreConfig, 'plugins'> {
  return settingsSchema.parse({});
}
