import path from 'node:path';
import type { HurricaneSession } from '../session/session.js';
import { HurricaneError } from '../errors.js';
import type { LatencyMeasurement } from '../contracts/hardware-adapter.js';
import { exportArchitecture, networkFileName } from '../onnx/model-files.js';
import { writeSpace } from '../profile/space-file.js';
import type { Architecture } from '../space/architecture.js';
import { preset } from '../space/backbone.js';
import { SqliteLatencyStore, operatorLatencies } from '../profile/latency-store.js';
import { type ProfileSummary, assertReady, distinctContexts, profileOperators } from '../profile/profiler.js';
import type { ProgressReporter } from '../progress.js';
import { type ReducedSpace, latencyStatistic, reduceSpace } from '../profile/reduction.js';

/** The run's latency store: `<workDir>/latency.sqlite`. */
export function openLatencyStore(session: HurricaneSession): SqliteLatencyStore {
  return new SqliteLatencyStore(path.join(session.config.workDir, 'latency.sqlite'));
}

/** Where the reduced space of the session's hardware and preset is written. */
export function spacePath(session: HurricaneSession, presetName: string = session.config.core.preset): string {
  return path.join(session.config.workDir, session.config.core.hardware, presetName, 'space.json');
}

/** Profiles every operator of the session's preset on its hardware (see {@link profileOperators}). */
export async function profile(
  session: HurricaneSession,
  o: { force?: boolean; progress?: ProgressReporter; signal?: AbortSignal } = {},
): Promise<ProfileSummary> {
  const store = openLatencyStore(session);
  try {
    return await profileOperators({
      backbone: preset(session.config.core.preset),
      adapter: session.adapter(),
      store,
      workDir: session.config.workDir,
      seed: session.config.core.seed,
      doctorCommand: session.command('doctor'),
      ...o,
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
  const backbone = preset(session.config.core.preset);
  const adapter = session.adapter();
  const d = await adapter.describe();
  const store = openLatencyStore(session);
  let latencies: Map<string, number>;
  try {
    const device = { adapterId: adapter.id, deviceFingerprint: d.deviceFingerprint, runtimeVersion: d.runtimeVersion };
    latencies = operatorLatencies(store, device, (m) => latencyStatistic(m, session.config.core.reduction.statistic));
  } finally {
    store.close();
  }
  const needed = distinctContexts(backbone).length * backbone.operators.length;
  const have = distinctContexts(backbone).reduce(
    (a, c) => a + backbone.operators.filter((op) => latencies.has(`${op}@${c.contextId}`)).length,
    0,
  );
  if (have < needed) {
    throw new HurricaneError(
      `${needed - have} of ${needed} operator latencies of preset '${backbone.name}' are missing for ${adapter.id} on ${d.device} (runtime ${d.runtimeVersion}): run '${session.command('profile')}' first`,
    );
  }
  const { scoring, reduction } = session.config.core;
  const space = reduceSpace(
    backbone,
    (op, ctx) => latencies.get(`${op}@${ctx}`),
    session.scorer(),
    { adapterId: adapter.id, device: d.device, deviceFingerprint: d.deviceFingerprint, runtimeVersion: d.runtimeVersion, scoring },
    reduction,
  );
  const file = spacePath(session);
  writeSpace(file, space);
  return { space, file };
}

/** Measures one whole network now on the session's hardware and stores the result. */
export async function measureNetwork(
  session: HurricaneSession,
  arch: Architecture,
  o: { signal?: AbortSignal; weightsFile?: string } = {},
): Promise<LatencyMeasurement> {
  const backbone = preset(session.config.core.preset);
  const adapter = session.adapter();
  await assertReady(adapter, session.command('doctor'));
  const seed = session.config.core.seed;
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
  // stored as the result arrives: a farm keeps its job until then, so a store that fails loses nothing
  const store = openLatencyStore(session);
  let measured: LatencyMeasurement | undefined;
  try {
    const put = (m: LatencyMeasurement) => {
      const key = { adapterId: adapter.id, deviceFingerprint: m.provenance.deviceFingerprint, runtimeVersion: m.provenance.runtimeVersion };
      store.putNetwork({ ...key, preset: backbone.name, arch: arch.join(',') }, m);
      measured = m;
    };
    await adapter.measureMany([{ model: prepared, key: `network:${file}` }], (_, m) => put(m), o.signal ? { signal: o.signal } : {});
  } finally {
    store.close();
  }
  if (!measured) throw new HurricaneError(`${adapter.id} returned no measurement for ${file}`);
  const m: LatencyMeasurement = measured;
  return m;
}
