import path from 'node:path';
import { failingChecks } from '../adapter-kit/checks.js';
import { type MeasureJob, measuringAdapter } from '../adapter-kit/measuring-adapter.js';
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

/** The ONNX model of one operator in its layer context, exported (seeded weights) and prepared by the adapter. */
async function prepareOperator(o: ProfileOptions, ctx: LayerContext, operator: string): Promise<PreparedModel> {
  const file = path.join(o.workDir, 'models', ctx.contextId, `${operator}.onnx`);
  exportOperator({ backbone: o.backbone, layer: ctx.layer, operator, output: file, seed: o.seed });
  return o.adapter.prepare(
    { path: file, inputName: 'input', inputShape: [1, ctx.cin, ctx.h, ctx.w], outputName: 'output' },
    { workDir: o.workDir, ...(o.signal ? { signal: o.signal } : {}) },
  );
}

/**
 * Algorithm 1's profiling: every allowed operator in every distinct layer context is exported to
 * ONNX, prepared by the adapter and measured through its one `measureMany` call (the operators of
 * a context interleaved in batches when the adapter measures batches), and each result is
 * committed to the store as it arrives. What the store already holds for this device and runtime
 * version is skipped, so a killed run resumes.
 */
export async function profileOperators(o: ProfileOptions): Promise<ProfileSummary> {
  const started = performance.now();
  const progress = o.progress ?? silentProgress;
  const adapter = measuringAdapter(o.adapter);
  await assertReady(adapter, o.doctorCommand ?? 'hurricane doctor');
  const d = await adapter.describe();
  if (d.deviceFingerprint === 'unknown' || d.runtimeVersion === 'unknown') {
    throw new HurricaneError(
      `${adapter.id} cannot name its device or runtime version, so its measurements could not be stored under a stable key`,
    );
  }
  const contexts = distinctContexts(o.backbone);
  const keyOf = (operator: string, contextId: string): OperatorKey => ({
    adapterId: adapter.id,
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
  progress.start(total, total - pending.length, `profiling ${adapter.id} (${d.device}), preset ${o.backbone.name}`);
  try {
    const jobs: MeasureJob[] = [];
    for (const t of pending) {
      if (o.signal?.aborted) throw new HurricaneError('profiling aborted; finished measurements are kept, run it again to resume');
      const key = keyOf(t.operator, t.ctx.contextId);
      jobs.push({
        model: await prepareOperator(o, t.ctx, t.operator),
        key: `operator:${Object.values(key).join('|')}`,
        group: t.ctx.contextId,
      });
    }
    await adapter.measureMany(
      jobs,
      (i, m, note) => {
        const t = pending[i] as { ctx: LayerContext; operator: string };
        const key = keyOf(t.operator, t.ctx.contextId);
        o.store.putOperator(key, m);
        results.push({ key, measurement: m });
        timedMs += m.timedMs ?? 0;
        progress.advance(1, `${t.ctx.contextId} ${t.operator} ${m.medianMs.toFixed(3)} ms · ${note}`);
      },
      { ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}), ...(o.signal ? { signal: o.signal } : {}) },
    );
  } finally {
    progress.stop();
  }
  return {
    adapterId: adapter.id,
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
