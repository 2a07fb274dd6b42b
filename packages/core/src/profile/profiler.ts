import path from 'node:path';
import { failingChecks } from '../adapter-kit/checks.js';
import { HurricaneError } from '../errors.js';
import type { HardwareAdapter, LatencyMeasurement, PreparedModel } from '../contracts/hardware-adapter.js';
import { exportOperator } from '../onnx/model-files.js';
import { layerContexts, type Backbone, type LayerContext } from '../space/backbone.js';
import type { LatencyStore, OperatorKey } from './latency-store.js';
import { type ProgressReporter, silentProgress } from '../progress.js';

/** Options of {@link profileOperators}. */
export interface ProfileOptions {
  readonly backbone: Backbone;
  readonly adapter: HardwareAdapter;
  readonly store: LatencyStore;
  /** Folder for the exported operator models. */
  readonly workDir: string;
  /** Re-measure what the store already has. */
  readonly force?: boolean;
  /** Seed of the exported operators' weights. */
  readonly seed: number;
  /** Operators measured together (interleaved) at most (default: all of a context; smaller batches lose less when killed, but rank worse on a noisy machine). */
  readonly batchSize?: number;
  readonly progress?: ProgressReporter;
  readonly signal?: AbortSignal;
  /** The doctor command to name when the adapter is not ready (default `hurricane doctor`). */
  readonly doctorCommand?: string;
}

/** What a profiling run did. */
export interface ProfileSummary {
  readonly adapterId: string;
  readonly device: string;
  readonly deviceFingerprint: string;
  readonly runtimeVersion: string;
  /** Distinct (operator, context) pairs of the preset. */
  readonly total: number;
  readonly measured: number;
  readonly reused: number;
  readonly wallMs: number;
  /** Time inside timed inference calls of this run (0 when nothing was measured or the adapter does not say). */
  readonly timedMs: number;
  /** The measurements of this run. */
  readonly results: readonly { readonly key: OperatorKey; readonly measurement: LatencyMeasurement }[];
}

/** Runs the adapter's health check; when it is not ready, fails with what is wrong (one line) and the doctor command. */
export async function assertReady(adapter: HardwareAdapter, doctorCommand: string): Promise<void> {
  const health = await adapter.healthCheck();
  if (health.ready) return;
  throw new HurricaneError(`${adapter.id} is not ready to measure: ${failingChecks(health)} (run '${doctorCommand}' for the fixes)`);
}

/** Distinct layer contexts of a backbone, in layer order. */
export function distinctContexts(backbone: Backbone): LayerContext[] {
  const seen = new Map<string, LayerContext>();
  for (const c of layerContexts(backbone)) if (!seen.has(c.contextId)) seen.set(c.contextId, c);
  return [...seen.values()];
}

/**
 * Algorithm 1's profiling: every allowed operator in every distinct layer context is exported to
 * ONNX, prepared by the adapter and measured (interleaved in batches when the adapter supports
 * it), and each result is committed to the store as soon as its batch finishes. What the store
 * already holds for this device and runtime version is skipped, so a killed run resumes.
 */
export async function profileOperators(o: ProfileOptions): Promise<ProfileSummary> {
  const started = performance.now();
  const progress = o.progress ?? silentProgress;
  await assertReady(o.adapter, o.doctorCommand ?? 'hurricane doctor');
  const d = await o.adapter.describe();
  if (d.deviceFingerprint === 'unknown' || d.runtimeVersion === 'unknown') {
    throw new HurricaneError(
      `${o.adapter.id} cannot name its device or runtime version, so its measurements could not be stored under a stable key`,
    );
  }
  const contexts = distinctContexts(o.backbone);
  const keyOf = (operator: string, contextId: string): OperatorKey => ({
    adapterId: o.adapter.id,
    deviceFingerprint: d.deviceFingerprint,
    runtimeVersion: d.runtimeVersion,
    operator,
    contextId,
  });
  const pending: { ctx: LayerContext; operator: string }[] = [];
  for (const ctx of contexts) {
    for (const operator of o.backbone.operators) {
      if (o.force || !o.store.getOperator(keyOf(operator, ctx.contextId))) pending.push({ ctx, operator });
    }
  }
  const total = contexts.length * o.backbone.operators.length;
  const results: { key: OperatorKey; measurement: LatencyMeasurement }[] = [];
  let timedMs = 0;
  progress.start(total, total - pending.length, `profiling ${o.adapter.id} (${d.device}), preset ${o.backbone.name}`);
  try {
    if (o.adapter.measureMany) {
      timedMs = await profileMany(o, o.adapter.measureMany.bind(o.adapter), pending, keyOf, results);
      return summary();
    }
    const batchSize = o.batchSize ?? Number.POSITIVE_INFINITY;
    for (const ctx of contexts) {
      const mine = pending.filter((t) => t.ctx.contextId === ctx.contextId);
      for (let i = 0; i < mine.length; i += batchSize) {
        if (o.signal?.aborted) throw new HurricaneError('profiling aborted; finished measurements are kept, run it again to resume');
        const batch = mine.slice(i, i + batchSize);
        const prepared: PreparedModel[] = [];
        for (const t of batch) {
          const file = path.join(o.workDir, 'models', ctx.contextId, `${t.operator}.onnx`);
          exportOperator({ backbone: o.backbone, layer: ctx.layer, operator: t.operator, output: file, seed: o.seed });
          prepared.push(
            await o.adapter.prepare(
              { path: file, inputName: 'input', inputShape: [1, ctx.cin, ctx.h, ctx.w], outputName: 'output' },
              { workDir: o.workDir, ...(o.signal ? { signal: o.signal } : {}) },
            ),
          );
        }
        const measurements = o.adapter.measureBatch
          ? await o.adapter.measureBatch(prepared, o.signal ? { signal: o.signal } : {})
          : await sequential(o.adapter, prepared, o.signal);
        batch.forEach((t, j) => {
          const m = measurements[j];
          if (!m) throw new HurricaneError(`${o.adapter.id} returned ${measurements.length} measurements for ${batch.length} models`);
          const key = keyOf(t.operator, ctx.contextId);
          o.store.putOperator(key, m);
          results.push({ key, measurement: m });
          timedMs += m.timedMs ?? 0;
        });
        progress.advance(
          batch.length,
          `${ctx.contextId}: ${batch.map((t, j) => `${t.operator} ${measurements[j]?.medianMs.toFixed(3)} ms`).join(', ')}`,
        );
      }
    }
  } finally {
    progress.stop();
  }
  return summary();

  function summary(): ProfileSummary {
    return {
      adapterId: o.adapter.id,
      device: d.device,
      deviceFingerprint: d.deviceFingerprint,
      runtimeVersion: d.runtimeVersion,
      total,
      measured: pending.length,
      reused: total - pending.length,
      wallMs: performance.now() - started,
      timedMs,
      results,
    };
  }
}

/** Exports and prepares every pending operator, then measures them all at once with `measureMany`, storing each result as it arrives. */
async function profileMany(
  o: ProfileOptions,
  measureMany: NonNullable<HardwareAdapter['measureMany']>,
  pending: readonly { ctx: LayerContext; operator: string }[],
  keyOf: (operator: string, contextId: string) => OperatorKey,
  results: { key: OperatorKey; measurement: LatencyMeasurement }[],
): Promise<number> {
  const jobs: { model: PreparedModel; key: string }[] = [];
  for (const t of pending) {
    if (o.signal?.aborted) throw new HurricaneError('profiling aborted; finished measurements are kept, run it again to resume');
    const file = path.join(o.workDir, 'models', t.ctx.contextId, `${t.operator}.onnx`);
    exportOperator({ backbone: o.backbone, layer: t.ctx.layer, operator: t.operator, output: file, seed: o.seed });
    const model = await o.adapter.prepare(
      { path: file, inputName: 'input', inputShape: [1, t.ctx.cin, t.ctx.h, t.ctx.w], outputName: 'output' },
      { workDir: o.workDir, ...(o.signal ? { signal: o.signal } : {}) },
    );
    jobs.push({ model, key: `operator:${Object.values(keyOf(t.operator, t.ctx.contextId)).join('|')}` });
  }
  let timedMs = 0;
  await measureMany(
    jobs,
    (i, m, note) => {
      const t = pending[i];
      if (!t) return;
      const key = keyOf(t.operator, t.ctx.contextId);
      o.store.putOperator(key, m);
      results.push({ key, measurement: m });
      timedMs += m.timedMs ?? 0;
      (o.progress ?? silentProgress).advance(1, `${t.ctx.contextId} ${t.operator} ${m.medianMs.toFixed(3)} ms · ${note}`);
    },
    o.signal ? { signal: o.signal } : {},
  );
  return timedMs;
}

async function sequential(adapter: HardwareAdapter, models: readonly PreparedModel[], signal?: AbortSignal): Promise<LatencyMeasurement[]> {
  const out: LatencyMeasurement[] = [];
  for (const m of models) out.push(await adapter.measure(m, signal ? { signal } : {}));
  return out;
}
