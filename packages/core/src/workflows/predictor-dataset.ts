import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomicSync } from '../atomic-write.js';
import type { MeasureJob, MeasuringAdapter } from '../adapter-kit/measuring-adapter.js';
import type { LatencyMeasurement } from '../contracts/hardware-adapter.js';
import { HurricaneError } from '../errors.js';
import { exportArchitecture, networkFileName } from '../onnx/model-files.js';
import { type Encoding, encodeArchitecture, spaceEncoding } from '../predict/encoding.js';
import { writeLatencyCsv } from '../predict/csv-data.js';
import { type PredictionMetrics, predictionMetrics } from '../predict/metrics.js';
import { sampleArchitectures } from '../predict/sample.js';
import { type NetworkKey, type SqliteLatencyStore, operatorLatencies } from '../profile/latency-store.js';
import { assertReady } from '../profile/profiler.js';
import type { ReducedSpace } from '../profile/reduction.js';
import { readSpace } from '../profile/space-file.js';
import { type ProgressReporter, silentProgress } from '../progress.js';
import type { HurricaneSession } from '../session/session.js';
import { type Backbone, layerContexts, preset } from '../space/backbone.js';
import type { Architecture } from '../space/architecture.js';
import { checkCanaries } from './canary-run.js';
import { buildSpace, openLatencyStore, profile, spacePath } from './profile-run.js';

/** The hardware a data set was measured on. */
export interface DatasetHardware {
  readonly adapterId: string;
  readonly device: string;
  readonly deviceFingerprint: string;
  readonly runtimeVersion: string;
}

/** The sidecar `<dataset>.meta.json` of a CSV written by {@link measureDataset}. */
export interface DatasetMeta {
  readonly format: 'hurricane-predictor-dataset';
  readonly version: 1;
  readonly encoding: Encoding;
  readonly hardware: DatasetHardware;
  readonly seed: number;
  /** The statistic of each measurement in `latency_ms`. */
  readonly statistic: 'median';
  /** Row i of the CSV is `architectures[i]`. */
  readonly architectures: readonly string[];
  /** Per column, the profiled latency (ms, median) of that operator in that layer: the lookup-table baseline's table. */
  readonly operatorLatencyMs: readonly number[];
  /** Second measurements of the first `pairs` architectures scored against the first: the best any model can do. */
  readonly noiseFloor: (PredictionMetrics & { readonly pairs: number }) | null;
}

/** Options of {@link measureDataset}. */
export interface DatasetOptions {
  /** Architectures to sample and measure. */
  readonly n: number;
  /** Sampling seed (default: the run's seed). */
  readonly seed?: number;
  /** How many of them to measure a second time for the noise floor (default: min(n, max(50, n/10))). */
  readonly repeats?: number;
  /** The CSV to write (default `<workDir>/<hardware>/<preset>/predictor-dataset.csv`). */
  readonly output?: string;
  /** Networks measured together per device round-trip (default 8). */
  readonly batchSize?: number;
  readonly progress?: ProgressReporter;
  readonly signal?: AbortSignal;
  /** Where the canaries' line goes (see {@link checkCanaries}). */
  readonly log?: (line: string) => void;
  /**
   * The space to sample (default: the target's own `space.json`, profiling and reducing first when
   * there is none): a search on several targets measures each one on the space they share.
   */
  readonly space?: ReducedSpace;
}

/** What {@link measureDataset} did. */
export interface DatasetSummary {
  readonly csv: string;
  readonly meta: DatasetMeta;
  readonly measured: number;
  readonly reused: number;
  readonly wallMs: number;
}

/** Where the session's predictor data set goes by default. */
export function datasetPath(session: HurricaneSession): string {
  return path.join(path.dirname(spacePath(session)), 'predictor-dataset.csv');
}

/** Where `hurricane search` lists the winners it measured (they join every later data set of this space). */
export function verifiedPath(session: HurricaneSession): string {
  return path.join(path.dirname(spacePath(session)), 'verified-architectures.json');
}

/** The verified winners of the session's space. */
export function verifiedArchitectures(session: HurricaneSession): Architecture[] {
  const file = verifiedPath(session);
  if (!existsSync(file)) return [];
  const v = JSON.parse(readFileSync(file, 'utf8')) as { architectures?: string[] };
  return (v.architectures ?? []).map((a) => a.split(','));
}

/** Adds a measured winner to the verified list (atomically). */
export function addVerifiedArchitecture(session: HurricaneSession, arch: Architecture): void {
  const all = new Set([...verifiedArchitectures(session).map((a) => a.join(',')), arch.join(',')]);
  writeFileAtomicSync(verifiedPath(session), `${JSON.stringify({ architectures: [...all] }, null, 2)}\n`);
}

const inSpace = (space: ReducedSpace, a: Architecture) =>
  a.length === space.candidates.length && a.every((op, l) => space.candidates[l]?.includes(op));

/** The sidecar file of a data set CSV. */
export function metaPathOf(csv: string): string {
  return `${csv.replace(/\.csv$/i, '')}.meta.json`;
}

async function spaceOrBuild(session: HurricaneSession, progress: ProgressReporter, signal?: AbortSignal): Promise<ReducedSpace> {
  if (existsSync(spacePath(session))) return readSpace(spacePath(session));
  await profile(session, { progress, canaries: false, ...(signal ? { signal } : {}) });
  return (await buildSpace(session)).space;
}

interface Job {
  readonly arch: Architecture;
  readonly trial: number;
}

/** Exports, prepares and measures the networks through the adapter's one measure call, storing each result as it arrives. */
async function measureJobs(
  session: HurricaneSession,
  adapter: MeasuringAdapter,
  backbone: Backbone,
  jobs: readonly Job[],
  o: {
    store: SqliteLatencyStore;
    keyOf: (a: Architecture) => NetworkKey;
    batchSize: number;
    progress: ProgressReporter;
    signal?: AbortSignal;
  },
): Promise<void> {
  const { workDir, core } = { workDir: session.config.workDir, core: session.config.core };
  // chunks of 256 prepared at a time (a farm keeps one job per device in flight); measured in batches of batchSize
  const step = Math.max(256, o.batchSize);
  for (let i = 0; i < jobs.length; i += step) {
    if (o.signal?.aborted)
      throw new HurricaneError('measuring the data set was stopped; finished measurements are kept, run it again to resume');
    const chunk = jobs.slice(i, i + step);
    const many: MeasureJob[] = [];
    for (const job of chunk) {
      const file = path.join(workDir, 'networks', backbone.name, networkFileName({ backbone, arch: job.arch, seed: core.seed }));
      if (!existsSync(file)) exportArchitecture({ backbone, arch: job.arch, output: file, seed: core.seed });
      const model = { path: file, inputName: 'input', inputShape: [1, ...backbone.input], outputName: 'output' };
      const prepared = await adapter.prepare(model, { workDir, ...(o.signal ? { signal: o.signal } : {}) });
      many.push({ model: prepared, key: `network:${Object.values(o.keyOf(job.arch)).join('|')}|${job.trial}` });
    }
    await adapter.measureMany(
      many,
      (j, m, note) => {
        const job = chunk[j] as Job;
        o.store.putNetwork(o.keyOf(job.arch), m, job.trial);
        o.progress.advance(1, `${m.medianMs.toFixed(3)} ms${job.trial ? ' (repeat)' : ''} · ${note}`);
      },
      { batchSize: o.batchSize, ...(o.signal ? { signal: o.signal } : {}) },
    );
  }
}

/**
 * Measures `archs` of the session's reduced space on its hardware now, stored as network
 * measurements of the current device and runtime (they join a later data set), and returns each
 * one's measurement in order. What the store already holds for this runtime is reused.
 */
export async function measureArchitectures(
  session: HurricaneSession,
  archs: readonly Architecture[],
  o: { progress?: ProgressReporter; signal?: AbortSignal } = {},
): Promise<{ hardware: DatasetHardware; space: ReducedSpace; measurements: LatencyMeasurement[] }> {
  const space = readSpace(spacePath(session));
  const hw = await datasetHardware(session, space);
  const keyOf = (a: Architecture): NetworkKey => ({ ...hw, preset: space.preset, arch: a.join(',') });
  const store = openLatencyStore(session);
  const progress = o.progress ?? silentProgress;
  try {
    const jobs = archs.map((arch) => ({ arch, trial: 0 })).filter((j) => !store.getNetwork(keyOf(j.arch)));
    progress.start(archs.length, archs.length - jobs.length, `measuring ${archs.length} ${space.preset} networks on ${hw.adapterId}`);
    const options = { store, keyOf, batchSize: 8, progress, ...(o.signal ? { signal: o.signal } : {}) };
    await measureJobs(session, session.adapter(), preset(space.preset), jobs, options).finally(() => progress.stop());
    const measurements = archs.map((a) => store.getNetwork(keyOf(a)) as LatencyMeasurement);
    return { hardware: hw, space, measurements };
  } finally {
    store.close();
  }
}

function operatorTable(store: SqliteLatencyStore, hw: DatasetHardware, backbone: Backbone, space: ReducedSpace): number[] {
  const byKey = operatorLatencies(store, hw);
  const contexts = layerContexts(backbone);
  return space.candidates.flatMap((ops, layer) =>
    ops.map((op) => {
      const v = byKey.get(`${op}@${contexts[layer]?.contextId}`);
      if (v === undefined)
        throw new HurricaneError(`the latency store has no profile of ${op} in layer ${layer}: run 'hurricane profile' first`);
      return v;
    }),
  );
}

/** The session's hardware, checked against the device `space` was reduced for (when given). */
async function datasetHardware(session: HurricaneSession, space: ReducedSpace | undefined): Promise<DatasetHardware> {
  const adapter = session.adapter();
  await assertReady(adapter, session.command('doctor'));
  const d = await adapter.describe();
  const hw = { adapterId: adapter.id, device: d.device, deviceFingerprint: d.deviceFingerprint, runtimeVersion: d.runtimeVersion };
  if (space !== undefined && hw.deviceFingerprint !== space.deviceFingerprint) {
    throw new HurricaneError(
      `${spacePath(session)} was reduced for device ${space.deviceFingerprint}, but ${adapter.id} now measures ${hw.deviceFingerprint}: run '${session.command('space')}' again`,
    );
  }
  return hw;
}

/** Writes the encoded CSV (first measurements) and its sidecar (encoding, hardware, operator latencies, noise floor from the repeats). */
function writeDataset(
  csv: string,
  store: SqliteLatencyStore,
  d: { space: ReducedSpace; hw: DatasetHardware; archs: readonly Architecture[]; repeats: number; seed: number },
): DatasetMeta {
  const keyOf = (a: Architecture): NetworkKey => ({ ...d.hw, preset: d.space.preset, arch: a.join(',') });
  const latency = (a: Architecture, trial: number): number => (store.getNetwork(keyOf(a), trial) as LatencyMeasurement).medianMs;
  const repeated = d.archs.slice(0, d.repeats);
  const [first, second] = [repeated.map((a) => latency(a, 0)), repeated.map((a) => latency(a, 1))];
  const encoding = spaceEncoding(d.space);
  const meta: DatasetMeta = {
    ...{ format: 'hurricane-predictor-dataset', version: 1, encoding, hardware: d.hw, seed: d.seed, statistic: 'median' },
    architectures: d.archs.map((a) => a.join(',')),
    operatorLatencyMs: operatorTable(store, d.hw, preset(d.space.preset), d.space),
    noiseFloor: d.repeats >= 2 ? { pairs: d.repeats, ...predictionMetrics(second, first) } : null,
  };
  const rows = d.archs.map((a) => encodeArchitecture(d.space, a));
  writeLatencyCsv(
    csv,
    encoding.columns,
    rows,
    d.archs.map((a) => latency(a, 0)),
  );
  writeFileAtomicSync(metaPathOf(csv), `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}

/**
 * `hurricane predictor dataset` (docs/method.md §6): samples `n` architectures uniformly from the session's
 * reduced space (profiling and reducing first when there is none), measures each whole network on
 * the session's hardware into the latency store (committed as each arrives: a killed run resumes), measures
 * `repeats` of them a second time for the noise floor, and writes the encoded CSV with its sidecar.
 */
export async function measureDataset(session: HurricaneSession, o: DatasetOptions): Promise<DatasetSummary> {
  const started = performance.now();
  const progress = o.progress ?? silentProgress;
  const space = o.space ?? (await spaceOrBuild(session, progress, o.signal));
  // a space shared by several targets was reduced for none of them alone: no device to check it against
  const hw = await datasetHardware(session, o.space ? undefined : space);
  await checkCanaries(session, { ...(o.log ? { log: o.log } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  const seed = o.seed ?? session.config.core.seed;
  const sampled = sampleArchitectures(space, o.n, seed);
  // winners that `hurricane search` measured on the hardware join the data set (the next predictor learns from them)
  const keys = new Set(sampled.map((a) => a.join(',')));
  const archs = [...sampled, ...verifiedArchitectures(session).filter((a) => inSpace(space, a) && !keys.has(a.join(',')))];
  const repeats = Math.min(o.n, o.repeats ?? Math.max(50, Math.round(o.n / 10)));
  const keyOf = (a: Architecture): NetworkKey => ({ ...hw, preset: space.preset, arch: a.join(',') });
  const store = openLatencyStore(session);
  try {
    const jobs: Job[] = [...archs.map((arch) => ({ arch, trial: 0 })), ...archs.slice(0, repeats).map((arch) => ({ arch, trial: 1 }))];
    const pending = jobs.filter((j) => !store.getNetwork(keyOf(j.arch), j.trial));
    const label = `measuring ${o.n} ${space.preset} networks (+${repeats} repeats) on ${hw.adapterId} (${hw.device})`;
    progress.start(jobs.length, jobs.length - pending.length, label);
    const options = { store, keyOf, batchSize: o.batchSize ?? 8, progress, ...(o.signal ? { signal: o.signal } : {}) };
    await measureJobs(session, session.adapter(), preset(space.preset), pending, options).finally(() => progress.stop());
    const csv = o.output ?? datasetPath(session);
    const meta = writeDataset(csv, store, { space, hw, archs, repeats, seed });
    return { csv, meta, measured: pending.length, reused: jobs.length - pending.length, wallMs: performance.now() - started };
  } finally {
    store.close();
  }
}
