import path from 'node:path';
import { type MeasureJob, measuringAdapter } from '../adapter-kit/measuring-adapter.js';
import type { LatencyMeasurement } from '../contracts/hardware-adapter.js';
import { HurricaneError } from '../errors.js';
import { exportArchitecture, networkFileName } from '../onnx/model-files.js';
import { type CanaryShift, canaryArchitectures, canaryLine, compareCanaries } from '../profile/canaries.js';
import type { HurricaneSession } from '../session/session.js';
import { preset } from '../space/backbone.js';
import { SqliteLatencyStore } from '../profile/latency-store.js';

/**
 * Measures the preset's canary networks on the session's hardware, stores them as this run's
 * canaries and compares them with the device's previous run (any runtime version): a shift beyond
 * the noise floor, or a change of runtime or conditions, is one line to `log`. A canary that cannot
 * be measured does not stop the run it guards: that is one warning line too. Not through a device
 * farm: its queues are per runtime version already, and the agents of one queue may be several
 * machines of one kind, whose canaries would differ by machine rather than drift.
 */
export async function checkCanaries(
  session: HurricaneSession,
  o: { log?: (line: string) => void; signal?: AbortSignal } = {},
): Promise<CanaryShift | null> {
  if (session.config.core.farm.url !== undefined) return null;
  try {
    return await measureCanaries(session, o);
  } catch (error) {
    if (o.signal?.aborted) throw error;
    o.log?.(
      `warning: the canary networks could not be measured (${(error as Error).message.split('\n')[0]}); the run goes on without a drift check`,
    );
    return null;
  }
}

async function measureCanaries(
  session: HurricaneSession,
  o: { log?: (line: string) => void; signal?: AbortSignal },
): Promise<CanaryShift | null> {
  const backbone = preset(session.config.core.preset);
  const adapter = measuringAdapter(session.adapter());
  if (!(await adapter.healthCheck()).ready) return null; // the run itself says what is wrong
  const { workDir, core } = { workDir: session.config.workDir, core: session.config.core };
  const archs = canaryArchitectures(backbone);
  const jobs: MeasureJob[] = [];
  for (const arch of archs) {
    const file = path.join(workDir, 'networks', backbone.name, networkFileName({ backbone, arch, seed: core.seed }));
    exportArchitecture({ backbone, arch, output: file, seed: core.seed });
    const model = { path: file, inputName: 'input', inputShape: [1, ...backbone.input], outputName: 'output' };
    const prepared = await adapter.prepare(model, { workDir, ...(o.signal ? { signal: o.signal } : {}) });
    jobs.push({ model: prepared, key: `canary:${file}` });
  }
  const now = new Map<string, LatencyMeasurement>();
  await adapter.measureMany(jobs, (i, m) => now.set((archs[i] as string[]).join(','), m), {
    batchSize: archs.length,
    ...(o.signal ? { signal: o.signal } : {}),
  });
  const first = [...now.values()][0];
  if (!first || now.size !== archs.length) throw new HurricaneError(`${adapter.id} measured ${now.size} of ${archs.length} canaries`);
  const device = { adapterId: adapter.id, deviceFingerprint: first.provenance.deviceFingerprint, preset: backbone.name };
  const runtimeVersion = first.provenance.runtimeVersion;
  const store = new SqliteLatencyStore(path.join(workDir, 'latency.sqlite')); // the session's store (openLatencyStore)
  try {
    const previous = store.canaryRuns(device, 1)[0];
    const runAt = new Date().toISOString();
    for (const [arch, m] of now) store.putCanary({ ...device, runtimeVersion, arch }, runAt, m);
    const shift = previous ? compareCanaries(now, runtimeVersion, previous) : null;
    const line = canaryLine(shift, session.command('predictor recalibrate <predictor.json> -o <recalibrated.json>'));
    if (line) o.log?.(line);
    return shift;
  } finally {
    store.close();
  }
}
