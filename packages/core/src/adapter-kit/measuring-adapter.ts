import type {
  HardwareAdapter,
  HardwareDescription,
  HealthReport,
  LatencyMeasurement,
  MeasureOptions,
  PreparedModel,
} from '../contracts/hardware-adapter.js';
import { HurricaneError } from '../errors.js';

/** One measurement to take: a prepared model, the key naming the measurement, and the batch it may share rounds with. */
export interface MeasureJob {
  readonly model: PreparedModel;
  /** Names the measurement (e.g. its latency-store key): the same key is the same measurement. */
  readonly key: string;
  /**
   * Jobs of one group may be measured together, their rounds interleaved (`measureBatch`): the
   * operators of one layer context, say. Consecutive jobs with the same group form a batch.
   */
  readonly group?: string;
}

/** Called with each job's index as its measurement arrives (in any order) and a one-line progress note. */
export type OnMeasured = (index: number, measurement: LatencyMeasurement, note: string) => void;

/** Options of {@link MeasuringAdapter.measureMany}. */
export interface MeasureManyOptions extends MeasureOptions {
  /** Largest batch handed to `measureBatch` (default: a whole group). */
  readonly batchSize?: number;
}

/**
 * A hardware adapter as the rest of Hurricane uses it: one `measureMany` call whatever tier the
 * adapter implements (`measureMany`, `measureBatch` or `measure`), and the health check and
 * description taken once per session (again on demand with `fresh`).
 */
export interface MeasuringAdapter extends HardwareAdapter {
  /** The adapter underneath. */
  readonly inner: HardwareAdapter;
  measureMany(jobs: readonly MeasureJob[], onResult: OnMeasured, options?: MeasureManyOptions): Promise<void>;
  /** The session's health report; `fresh` runs the checks again. */
  healthCheck(options?: { readonly fresh?: boolean }): Promise<HealthReport>;
  /** The session's description of device and runtime; `fresh` asks the adapter again. */
  describe(options?: { readonly fresh?: boolean }): Promise<HardwareDescription>;
}

/** Consecutive jobs of one group, at most `size` each: the batches `measureBatch` measures together. */
export function batchesOf(jobs: readonly MeasureJob[], size: number = Number.POSITIVE_INFINITY): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  jobs.forEach((job, i) => {
    const last = current.length > 0 ? jobs[current[0] as number] : undefined;
    if (current.length > 0 && (current.length >= size || last?.group !== job.group)) {
      out.push(current);
      current = [];
    }
    current.push(i);
  });
  if (current.length > 0) out.push(current);
  return out;
}

/** `measureBatch`, else `measure` one model at a time, over the batches of `jobs`, reporting each batch's results in order. */
async function measureInBatches(adapter: HardwareAdapter, jobs: readonly MeasureJob[], onResult: OnMeasured, o: MeasureManyOptions) {
  const { batchSize, ...options } = o;
  let done = 0;
  for (const batch of batchesOf(jobs, batchSize)) {
    if (options.signal?.aborted) throw new HurricaneError('measuring was stopped; finished measurements are kept, run it again to resume');
    const models = batch.map((i) => (jobs[i] as MeasureJob).model);
    const ms: LatencyMeasurement[] = [];
    if (adapter.measureBatch) ms.push(...(await adapter.measureBatch(models, options)));
    else for (const m of models) ms.push(await adapter.measure(m, options));
    if (ms.length !== batch.length) throw new HurricaneError(`${adapter.id} returned ${ms.length} measurements for ${batch.length} models`);
    done += batch.length;
    for (const [j, i] of batch.entries()) onResult(i, ms[j] as LatencyMeasurement, `${done}/${jobs.length}`);
  }
}

/** `get()` calls `fn` once and keeps its promise (a rejected one is forgotten); `fresh` calls it again. */
function once<T>(fn: () => Promise<T>): (o?: { readonly fresh?: boolean }) => Promise<T> {
  let kept: Promise<T> | undefined;
  return (o = {}) => {
    if (o.fresh || !kept)
      kept = fn().catch((error: unknown) => {
        kept = undefined;
        throw error;
      });
    return kept;
  };
}

/** Wraps `adapter` so that it has the one measure call and a per-session health check and description. */
export function measuringAdapter(adapter: HardwareAdapter): MeasuringAdapter {
  if ('inner' in adapter && typeof (adapter as MeasuringAdapter).measureMany === 'function') return adapter as MeasuringAdapter;
  return {
    inner: adapter,
    id: adapter.id,
    description: adapter.description,
    healthCheck: once(() => adapter.healthCheck()),
    describe: once(() => adapter.describe()),
    prepare: (model, options) => adapter.prepare(model, options),
    measure: (model, options) => adapter.measure(model, options),
    measureMany(jobs, onResult, options = {}) {
      if (!adapter.measureMany) return measureInBatches(adapter, jobs, onResult, options);
      const { batchSize: _, ...rest } = options;
      return adapter.measureMany(jobs, onResult, rest);
    },
  };
}

/** Most sessions per model a measurement may ask for (`MeasureOptions.minSessions`), and that an adapter opens. */
export const MAX_SESSIONS = 16;
