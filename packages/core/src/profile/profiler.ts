import path from 'node:path';
import { failingChecks } from '../adapter-kit/checks.js';
import { type MeasureJob, type MeasuringAdapter, measuringAdapter } from '../adapter-kit/measuring-adapter.js';
import { HurricaneError } from '../errors.js';
import type {
  HardwareAdapter,
  HardwareDescription,
  LatencyMeasurement,
  MeasureOptions,
  PreparedModel,
} from '../contracts/hardware-adapter.js';
import { exportOperator } from '../onnx/model-files.js';
import { layerContexts, profiledOperators, type Backbone, type LayerContext } from '../space/backbone.js';
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
  /** Only these layer contexts (default: all of the preset). */
  readonly contexts?: readonly string[];
  /** Measurement options for the adapter, e.g. `minRuns` for more rounds. */
  readonly measure?: MeasureOptions;
  /** Layers (0-based) where `reduction.skip` offers Skip: their contexts profile it too. */
  readonly skipLayers?: readonly number[];
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

/** The device and runtime the adapter measures on; a {@link HurricaneError} when it cannot name them (no stable store key). */
async function measuredDevice(adapter: MeasuringAdapter, doctorCommand: string): Promise<HardwareDescription> {
  await assertReady(adapter, doctorCommand);
  const d = await adapter.describe();
  if (d.deviceFingerprint === 'unknown' || d.runtimeVersion === 'unknown') {
    throw new HurricaneError(
      `${adapter.id} cannot name its device or runtime version, so its measurements could not be stored under a stable key`,
    );
  }
  return d;
}

/** Exports and prepares every pending operator: one job each, grouped by layer context, keyed by its store key. */
async function operatorJobs(o: ProfileOptions, pending: readonly Pending[], keyOf: (t: Pending) => OperatorKey): Promise<MeasureJob[]> {
  const jobs: MeasureJob[] = [];
  for (const t of pending) {
    if (o.signal?.aborted) throw new HurricaneError('profiling aborted; finished measurements are kept, run it again to resume');
    const model = await prepareOperator(o, t.ctx, t.operator);
    jobs.push({ model, key: `operator:${Object.values(keyOf(t)).join('|')}`, group: t.ctx.contextId });
  }
  return jobs;
}

/** One operator in one layer context still to measure. */
interface Pending {
  readonly ctx: LayerContext;
  readonly operator: string;
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
  const d = await measuredDevice(adapter, o.doctorCommand ?? 'hurricane doctor');
  const { deviceFingerprint, runtimeVersion } = d;
  const keyOf = (t: Pending): OperatorKey => ({
    adapterId: adapter.id,
    deviceFingerprint,
    runtimeVersion,
    operator: t.operator,
    contextId: t.ctx.contextId,
  });
  const contexts = distinctContexts(o.backbone).filter((c) => !o.contexts || o.contexts.includes(c.contextId));
  const all = contexts.flatMap((ctx) =>
    profiledOperators(o.backbone, ctx.contextId, o.skipLayers ?? []).map((operator) => ({ ctx, operator })),
  );
  const pending = all.filter((t) => o.force || !o.store.getOperator(keyOf(t)));
  const results: { key: OperatorKey; measurement: LatencyMeasurement }[] = [];
  progress.start(all.length, all.length - pending.length, `profiling ${adapter.id} (${d.device}), preset ${o.backbone.name}`);
  try {
    const onResult = (i: number, m: LatencyMeasurement, note: string) => {
      const t = pending[i] as Pending;
      o.store.putOperator(keyOf(t), m);
      results.push({ key: keyOf(t), measurement: m });
      progress.advance(1, `${t.ctx.contextId} ${t.operator} ${m.medianMs.toFixed(3)} ms · ${note}`);
    };
    const options = {
      ...o.measure,
      ...(o.batchSize !== undefined ? { batchSize: o.batchSize } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    };
    await adapter.measureMany(await operatorJobs(o, pending, keyOf), onResult, options);
  } finally {
    progress.stop();
  }
  const timedMs = results.reduce((a, r) => a + (r.measurement.timedMs ?? 0), 0);
  const summary = { adapterId: adapter.id, device: d.device, deviceFingerprint, runtimeVersion, total: all.length };
  return {
    ...summary,
    measured: pending.length,
    reused: all.length - pending.length,
    wallMs: performance.now() - started,
    timedMs,
    results,
  };
}
