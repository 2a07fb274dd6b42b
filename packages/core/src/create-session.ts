// The composition root: a session with core's services and the plugins' (`session/`), and, when
// `farm.url` is set, the device farm's requester standing in for each target of the run (`farm/`,
// loaded only then). The one place where the session and the farm meet.
import type { Environment } from './contracts/environment.js';
import { HurricaneSession, type SessionOptions } from './session/session.js';
import path from 'node:path';

/** Creates a {@link HurricaneSession}; the programmatic entry point the CLI is built on. */
export async function createSession(options: SessionOptions = {}): Promise<HurricaneSession> {
  const session = await HurricaneSession.create(options);
  const { core, workDir } = session.config;
  if (core.farm.url === undefined) return session;
  try {
    // measured on the farm: the agents have the devices and their plugins, this host needs neither
    const { FarmAdapter } = await import('./farm/farm-adapter.js');
    const { logger, env } = session.services;
    for (const t of session.config.targets) {
      const farm = new FarmAdapter(t.adapter, {
        url: core.farm.url,
        farm: t.farmDevice !== undefined ? { ...core.farm, device: t.farmDevice } : core.farm,
        env: env as Environment as NodeJS.ProcessEnv,
        log: (line) => logger.info(session.config.targets.length > 1 ? `${t.name}: ${line}` : line),
        memoryFile: path.join(workDir, 'farm-devices.json'),
        memoryKey: t.name,
      });
      session.registry.useRemote(t.name, farm);
    }
    return session;
  } catch (error) {
    await session.dispose();
    throw error;
  }
}
