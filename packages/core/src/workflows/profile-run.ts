import path from 'node:path';
import type { HurricaneSession } from '../session/session.js';
import { HurricaneError } from '../errors.js';
import type { LatencyMeasurement, MeasureOptions } from '../contracts/hardware-adapter.js';
import { exportArchitecture, networkFileName } from '../onnx/model-files.js';
import { writeSpace } from '../profile/space-file.js';
import type { Architecture } from '../space/architecture.js';
import { preset, profiledOperators, skipLayersEnabled } from '../space/backbone.js';
import { type OperatorKey, SqliteLatencyStore } from '../profile/latency-store.js';
import { type ProfileSummary, assertReady, distinctContexts, profileOperators } from '../profile/profiler.js';
import type { ProgressReporter } from '../progress.js';
import { checkCanaries } from './canary-run.js';
import { MAX_SESSIONS } from '../adapter-kit/measuring-adapter.js';
import { type LatencyEvidence, type ReducedSpace, latencyStatistic, reduceSpace, unstableContexts } from '../profile/reduction.js';

/** The run's latency store: `<workDir>/latency.sqlite`. */
export function openLatencyStore(session: HurricaneSession): SqliteLatencyStore {
  return new SqliteLatencyStore(path.join(session.config.workDir, 'latency.sqlite'));
}

/** Where the reduced space of the session's hardware and preset is written. */
export function spacePath(session: HurricaneSession, presetName: string = session.config.core.preset): string {
  return path.join(session.config.workDir, session.target.name, presetName, 'space.json');
}

/** Profiles every operator of the session's preset on its hardware (see {@link profileOperators}). */
export async function profile(
  session: HurricaneSession,
  o: {
    force?: boolean;
    progress?: ProgressReporter;
    signal?: AbortSignal;
    contexts?: readonly string[];
    measure?: MeasureOptions;
    /** Where the canaries' line goes (see {@link checkCanaries}). */
    log?: (line: string) => void;
    /** Measure the canary networks first (default: yes, unless only some contexts are measured again). */
    canaries?: boolean;
  } = {},
): Promise<ProfileSummary> {
  if (o.canaries ?? !o.contexts) {
    await checkCanaries(session, { ...(o.log ? { log: o.log } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  }
  const { log: _, canaries: __, ...rest } = o;
  const store = openLatencyStore(session);
  try {
    const backbone = preset(session.config.core.preset);
    return await profileOperators({
      backbone,
      skipLayers: skipLayersEnabled(backbone, session.config.core.reduction.skip),
      adapter: session.adapter(),
      store,
      workDir: session.config.workDir,
      seed: session.config.core.seed,
      doctorCommand: session.command('doctor'),
      ...rest,
    });
  } finally {
    store.close();
  }
}

/**
 * Scores the stored operator latencies of the session's hardware, reduces the space and writes
 * `space.json` atomically. Fails with the count of missing measurements when the profile is incomplete.
 */
export async function buildSpace(session: HurricaneSession): Promise<{ space: ReducedSpace; file: string }> {
  const space = await reduceStored(session);
  const file = spacePath(session);
  writeSpace(file, space);
  return { space, file };
}

/** The reduced space of the stored operator latencies (not written). */
async function reduceStored(session: HurricaneSession): Promise<ReducedSpace> {
  const backbone = preset(session.config.core.preset);
  const adapter = session.adapter();
  const d = await adapter.describe();
  const evidence = storedEvidence(session, {
    adapterId: adapter.id,
    deviceFingerprint: d.deviceFingerprint,
    runtimeVersion: d.runtimeVersion,
  });
  const skip = skipLayersEnabled(backbone, session.config.core.reduction.skip);
  const profiled = (c: { contextId: string }) => profiledOperators(backbone, c.contextId, skip);
  const needed = distinctContexts(backbone).reduce((a, c) => a + profiled(c).length, 0);
  const have = distinctContexts(backbone).reduce((a, c) => a + profiled(c).filter((op) => evidence.has(`${op}@${c.contextId}`)).length, 0);
  if (have < needed) {
    throw new HurricaneError(
      `${needed - have} of ${needed} operator latencies of preset '${backbone.name}' are missing for ${adapter.id} on ${d.device} (runtime ${d.runtimeVersion}): run '${session.command('profile')}' first`,
    );
  }
  const { scoring, reduction, seed } = session.config.core;
  return reduceSpace(
    backbone,
    (op, ctx) => evidence.get(`${op}@${ctx}`),
    session.scorer(),
    { adapterId: adapter.id, device: d.device, deviceFingerprint: d.deviceFingerprint, runtimeVersion: d.runtimeVersion, scoring },
    reduction,
    seed,
  );
}

/** What `profile --until-stable` did: the passes over unstable contexts and what stayed unstable. */
export interface StabilityRun {
  /** Each pass: the contexts measured again, the runs asked of each model, and how many measurements it took. */
  readonly passes: readonly {
    readonly contexts: readonly string[];
    readonly minRuns: number;
    /** Sessions asked of each model (adapters that load a model once ignore it). */
    readonly minSessions: number;
    readonly measured: number;
  }[];
  readonly unstable: readonly string[];
}

/**
 * Profiles, then measures again, in more rounds and more sessions each time (twice the runs, 6 →
 * 12 → 16 sessions where the adapter opens several), the layer contexts whose kept set is unstable
 * (a kept operator below `reduction.minConfidence` in the bootstrap over rounds and sessions),
 * until none is or `limitMs` has passed. A context measured again is measured whole, in one batch
 * (fresh sessions), and replaces its earlier measurements.
 */
export async function profileUntilStable(
  session: HurricaneSession,
  o: { limitMs: number; progress?: ProgressReporter; signal?: AbortSignal; log?: (line: string) => void },
): Promise<{ summary: ProfileSummary; stability: StabilityRun }> {
  const started = performance.now();
  const { log = () => {}, limitMs, ...rest } = o;
  const summary = await profile(session, { ...rest, log });
  const passes: { contexts: string[]; minRuns: number; minSessions: number; measured: number }[] = [];
  let minRuns = 60;
  let minSessions = 6;
  for (;;) {
    const unstable = unstableContexts(await reduceStored(session));
    if (unstable.length === 0 || performance.now() - started >= limitMs || o.signal?.aborted) {
      return {
        summary: { ...summary, wallMs: performance.now() - started },
        stability: { passes, unstable: unstable.map((u) => u.contextId) },
      };
    }
    const contexts = unstable.map((u) => u.contextId);
    log(
      `unstable kept sets: ${unstable.map((u) => `${u.contextId} (${u.weakest})`).join(', ')}; measuring them again with at least ${minRuns} runs in ${minSessions} sessions each`,
    );
    const again = await profile(session, { ...rest, force: true, contexts, measure: { minRuns, minSessions } });
    passes.push({ contexts, minRuns, minSessions, measured: again.measured });
    minRuns *= 2;
    minSessions = Math.min(2 * minSessions, MAX_SESSIONS);
  }
}

/** Per `operator@context`: the configured statistic of its stored measurement, its uncertainty and its rounds. */
function storedEvidence(session: HurricaneSession, device: Omit<OperatorKey, 'operator' | 'contextId'>): Map<string, LatencyEvidence> {
  const store = openLatencyStore(session);
  try {
    const statistic = session.config.core.reduction.statistic;
    return new Map(
      store
        .listOperators(device)
        .map(({ key, measurement: m }) => [
          `${key.operator}@${key.contextId}`,
          { latencyMs: latencyStatistic(m, statistic), uncertaintyMs: m.uncertaintyMs, rounds: m.rounds, fallback: m.fallback },
        ]),
    );
  } finally {
    store.close();
  }
}

/** Measures one whole network now on the session's hardware and stores the result. */
export async function measureNetwork(
  session: HurricaneSession,
  arch: Architecture,
  o: { signal?: AbortSignal; weightsFile?: string } = {},
): Promise<LatencyMeasurement> {
  return (await measureNetworks(session, [arch], o))[0] as LatencyMeasurement;
}

/**
 * Measures whole networks now on the session's hardware in one batch (an adapter that measures in
 * rounds interleaves them, so that drift hits them alike) and stores each result as it arrives.
 * Returns the measurements in the order of `archs`.
 */
export async function measureNetworks(
  session: HurricaneSession,
  archs: readonly Architecture[],
  o: { signal?: AbortSignal; weightsFile?: string } = {},
): Promise<LatencyMeasurement[]> {
  const backbone = preset(session.config.core.preset);
  const adapter = session.adapter();
  await assertReady(adapter, session.command('doctor'));
  const seed = session.config.core.seed;
  const jobs = [];
  for (const arch of archs) {
    const file = path.join(
      session.config.workDir,
      'networks',
      backbone.name,
      networkFileName({ backbone, arch, seed, weightsFile: o.weightsFile }),
    );
    exportArchitecture({ backbone, arch, output: file, seed, weightsFile: o.weightsFile });
    const prepared = await adapter.prepare(
      { path: file, inputName: 'input', inputShape: [1, ...backbone.input], outputName: 'output' },
      { workDir: session.config.workDir, ...(o.signal ? { signal: o.signal } : {}) },
    );
    jobs.push({ model: prepared, key: `network:${file}` });
  }
  // stored as each result arrives: a farm keeps its job until then, so a store that fails loses nothing
  const store = openLatencyStore(session);
  const measured: (LatencyMeasurement | undefined)[] = archs.map(() => undefined);
  try {
    const put = (i: number, m: LatencyMeasurement) => {
      const key = { adapterId: adapter.id, deviceFingerprint: m.provenance.deviceFingerprint, runtimeVersion: m.provenance.runtimeVersion };
      store.putNetwork({ ...key, preset: backbone.name, arch: (archs[i] as Architecture).join(',') }, m);
      measured[i] = m;
    };
    await adapter.measureMany(jobs, put, { batchSize: jobs.length, ...(o.signal ? { signal: o.signal } : {}) });
  } finally {
    store.close();
  }
  const missing = measured.findIndex((m) => m === undefined);
  if (missing >= 0)
    throw new HurricaneError(`${adapter.id} returned no measurement for network ${(archs[missing] as Architecture).join(',')}`);
  return measured as LatencyMeasurement[];
}
