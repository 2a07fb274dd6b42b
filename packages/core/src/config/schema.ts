import { z } from 'zod';

/** Names of the search-space presets (SPEC §3; the operators arrive with the search-space work). */
export const PRESET_NAMES = ['imagenet', 'spos', 'cifar', 'mnist'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** Schema of the `scoring` block. */
export const scoringSchema = z
  .object({
    name: z.string().min(1),
    alpha: z.number().min(0),
    beta: z.number().min(0),
  })
  .strict();

/** Schema of the `reduction` block (Algorithm 1 lines 1–5). */
export const reductionSchema = z
  .object({
    keep: z.number().int().min(1),
    exploringIndex: z.number().int().min(1),
    exploringLayers: z.number().int().min(0),
    /** Which statistic of a measurement ranks operators: p10 (default: noise only adds time), median or mean. */
    statistic: z.enum(['p10', 'median', 'mean']),
  })
  .strict();

/** Schema of the `train` block (supernet training, SPEC §7; `hurricane train`). */
export const trainSchema = z
  .object({
    /**
     * `mnist` (embedded in the package), `cifar10` (binary batches in `dataDir`), `idx` (MNIST-format
     * IDX files in `dataDir`, e.g. Fashion-MNIST) or `folder` (one sub-folder per class in `dataDir`).
     */
    dataset: z.enum(['mnist', 'cifar10', 'idx', 'folder']),
    dataDir: z.string().min(1).optional(),
    steps: z.number().int().min(1),
    batchSize: z.number().int().min(1),
    lr: z.number().positive(),
    momentum: z.number().min(0).max(1),
    weightDecay: z.number().min(0),
    labelSmoothing: z.number().min(0).max(1),
    schedule: z.enum(['linear', 'cosine']),
    /** Stop once the training-loss EMA reaches this value (the paper stops at the SPOS baseline's loss). */
    lossTarget: z.number().positive().optional(),
    checkpointEvery: z.number().int().min(1),
    /** Data-parallel worker threads: `auto` = one per core on the wasm and cpu engines, 1 on tfjs-node (native, already multi-threaded). */
    workers: z.union([z.literal('auto'), z.number().int().min(1)]),
    /** Validation images held out of the training set per class (seeded). */
    validationPerClass: z.number().int().min(1),
  })
  .strict();

/**
 * Schema of the `predictor` block (SPEC §6): the model by name (`gp`, `lasso`, `bayesian-ridge`,
 * `lut`, `auto`, or one a plugin adds) and its options, which the model's factory validates.
 */
export const predictorSchema = z.object({ model: z.string().min(1) }).catchall(z.unknown());

/** Schema of the `search` block (`hurricane search`, SPEC §2 and §7). */
export const searchSchema = z
  .object({
    /** The latency budget `LatC_h` in ms, or `auto`: the median predicted latency of the reduced space. */
    budgetMs: z.union([z.literal('auto'), z.number().positive()]),
    /** Accept a candidate only when `P(latency ≤ budget) ≥ confidence` under the predictor's std (default: its mean ≤ budget). */
    confidence: z.number().gt(0).lt(1).optional(),
    /** `I`: coordinate-ascent iterations. */
    iterations: z.number().int().min(1),
    /** `t`: the layer split between the two coordinate groups. */
    t: z.number().int().min(1),
    /** Run the SPOS baseline instead: every layer active in one step over every operator, no reduction. */
    baseline: z.boolean(),
    /** Supernet training steps per iteration (stops earlier at `train.lossTarget`). */
    supernetSteps: z.number().int().min(1),
    population: z.number().int().min(1),
    generations: z.number().int().min(1),
    topK: z.number().int().min(1),
    mutations: z.number().int().min(0),
    crossovers: z.number().int().min(0),
    mutationProb: z.number().min(0).max(1),
    /** BatchNorm recalibration before each evaluation: batches and images per batch (SPOS: 200 of 128). */
    recalibrationBatches: z.number().int().min(1),
    recalibrationBatchSize: z.number().int().min(1),
    /** Architectures measured for the predictor's data set, and how many of them twice (noise floor). */
    datasetSize: z.number().int().min(10),
    datasetRepeats: z.number().int().min(0),
    /** Retraining the winner from scratch: steps, base learning rate (cosine decay to 0). */
    retrainSteps: z.number().int().min(1),
    retrainLr: z.number().positive(),
  })
  .strict();

/** Schema of the `farm` block: measuring on a device farm through BullMQ on Redis (docs/device-farm.md). */
export const farmSchema = z
  .object({
    /** The farm's Redis: `redis://[user:password@]host:port[/db]`, or `rediss://` for TLS. Unset: measure on this machine. */
    url: z.string().regex(/^rediss?:\/\/[^\s]+$/, 'a Redis URL such as redis://localhost:6379 or rediss://:password@lab-redis:6380'),
    /** Which device of the farm, when agents serve several for the run's hardware: its fingerprint, or a part of its device name. */
    device: z.string().min(1),
    /** A CA certificate (PEM file) to trust for `rediss://`, e.g. a self-signed lab certificate. */
    caFile: z.string().min(1),
    /** Requester: how long a job may wait with no agent serving its device before the run fails (ms). */
    timeoutMs: z.number().int().min(1000),
    /** Tries per measurement: a device error is retried with exponential backoff, then reported. */
    attempts: z.number().int().min(1).max(20),
    /** First retry delay (ms); it doubles with each retry. */
    backoffMs: z.number().int().min(0),
    /** Largest model an agent accepts (MiB); larger jobs are refused. */
    maxModelMiB: z.number().positive().max(512),
    /** Agent: how long a job's lock lasts without renewal; a killed agent's job is taken over after it (ms). */
    lockMs: z.number().int().min(500),
    /** Agent: how often agents look for jobs whose agent died (ms). */
    stalledCheckMs: z.number().int().min(100),
    /** Agent: take the next job while measuring, to fetch its model meanwhile (off for a host-CPU device whose measurement the transfer would disturb). */
    prefetch: z.boolean(),
    /** Agent: its name in provenance and progress (default `<host>:<pid>`). */
    agentName: z.string().regex(/^[\w.:-]+$/, 'letters, digits and . _ : - only'),
    /** Prefix of every Redis key Hurricane writes (two farms can share one Redis). */
    prefix: z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'lower-case letters, digits, _ and -'),
  })
  .partial({ url: true, device: true, caFile: true, agentName: true })
  .strict();

/** Schema of the core keys of a Hurricane config. Plugin blocks are validated by each plugin. */
export const coreConfigSchema = z
  .object({
    plugins: z.array(z.string().min(1, 'a plugin name cannot be empty')),
    hardware: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'an adapter id such as "arm-cpu" or "snpe-dsp"'),
    preset: z.enum(PRESET_NAMES),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1),
    workDir: z.string().min(1),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']),
    engine: z.enum(['auto', 'tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu']),
    scoring: scoringSchema,
    reduction: reductionSchema,
    train: trainSchema,
    predictor: predictorSchema,
    search: searchSchema,
    farm: farmSchema,
  })
  .strict();

/** The core part of a resolved config, every key present. */
export type CoreConfig = z.infer<typeof coreConfigSchema>;

/** Top-level keys owned by core; every other top-level key must belong to a loaded plugin. */
export const CORE_KEYS = Object.keys(coreConfigSchema.shape) as (keyof CoreConfig)[];

/** What a user writes in a config file: every core key optional, plugin blocks by their key. */
export type UserConfig = Partial<Omit<CoreConfig, 'scoring' | 'reduction' | 'train' | 'predictor' | 'search' | 'farm'>> & {
  search?: Partial<CoreConfig['search']>;
  farm?: Partial<CoreConfig['farm']>;
  predictor?: Partial<CoreConfig['predictor']>;
  scoring?: Partial<CoreConfig['scoring']>;
  reduction?: Partial<CoreConfig['reduction']>;
  train?: Partial<CoreConfig['train']>;
  /** Plugin blocks, e.g. `snpe: { serial: '3a7c328c' }`, `openvino: { device: 'MYRIAD' }`. */
  [pluginKey: string]: unknown;
};

/** Typed identity helper for `hurricane.config.ts` / `.mjs`: `export default defineConfig({...})`. */
export function defineConfig(config: UserConfig): UserConfig {
  return config;
}

/** Defaults of the core keys (`plugins` is filled by discovery when the file gives none). */
export function coreDefaults(): Omit<CoreConfig, 'plugins'> {
  return {
    hardware: 'arm-cpu',
    preset: 'cifar',
    seed: 0,
    workDir: '.hurricane',
    logLevel: 'info',
    engine: 'auto',
    scoring: { name: 'eq4', alpha: 0, beta: 0 },
    reduction: { keep: 4, exploringIndex: 10, exploringLayers: 4, statistic: 'p10' },
    train: {
      dataset: 'mnist',
      steps: 1000,
      batchSize: 64,
      lr: 0.1,
      momentum: 0.9,
      weightDecay: 4e-5,
      labelSmoothing: 0.1,
      schedule: 'linear',
      checkpointEvery: 50,
      workers: 'auto',
      validationPerClass: 50,
    },
    predictor: { model: 'auto' },
    search: {
      budgetMs: 'auto',
      iterations: 1,
      t: 8,
      baseline: false,
      supernetSteps: 500,
      ...{ population: 50, generations: 20, topK: 10, mutations: 25, crossovers: 25, mutationProb: 0.1 },
      recalibrationBatches: 5,
      recalibrationBatchSize: 64,
      datasetSize: 150,
      datasetRepeats: 15,
      retrainSteps: 1000,
      retrainLr: 0.1,
    },
    farm: {
      timeoutMs: 120_000,
      attempts: 3,
      backoffMs: 2000,
      maxModelMiB: 64,
      lockMs: 30_000,
      stalledCheckMs: 15_000,
      prefetch: true,
      prefix: 'hurricane',
    },
  };
}

/** Schema of the core keys as a file or the command line gives them: everything optional, `scoring` partial. */
export const partialCoreSchema = coreConfigSchema
  .omit({ plugins: true })
  .extend({
    scoring: scoringSchema.partial(),
    reduction: reductionSchema.partial(),
    train: trainSchema.partial(),
    predictor: predictorSchema.partial(),
    search: searchSchema.partial(),
    farm: farmSchema.partial(),
  })
  .partial();
