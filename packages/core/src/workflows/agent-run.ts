import path from 'node:path';
import type { HurricaneSession } from '../session/session.js';
import { ConfigError } from '../errors.js';
import { suggestion } from '../config/format-issues.js';
import { FarmAgent } from '../farm/agent.js';

/**
 * Starts a device-farm agent for the session's host (`hurricane agent`): every installed adapter
 * (or those in `serve`) whose health check passes is served on the farm at `farm.url`. The agent
 * keeps received models and prepared artifacts in `<workDir>/agent/` and nowhere else.
 */
export async function startAgent(
  session: HurricaneSession,
  o: { serve?: readonly string[]; log: (line: string) => void; env?: NodeJS.ProcessEnv },
): Promise<FarmAgent> {
  const farm = session.config.core.farm;
  if (farm.url === undefined) {
    throw new ConfigError(
      "'hurricane agent' needs the farm's Redis: give --farm redis://host:6379 (or rediss:// for TLS), or farm.url in the config",
    );
  }
  let adapters = session.adapters();
  if (o.serve !== undefined) {
    const ids = adapters.map((a) => a.id);
    const unknown = o.serve.find((id) => !ids.includes(id));
    if (unknown !== undefined) {
      throw new ConfigError(
        `--serve '${unknown}' is not an installed adapter${suggestion(unknown, ids)}; available: ${ids.join(', ') || 'none'}`,
      );
    }
    adapters = adapters.filter((a) => o.serve?.includes(a.id));
  }
  return FarmAgent.start({
    adapters,
    url: farm.url,
    farm,
    workDir: path.join(session.config.workDir, 'agent'),
    env: o.env ?? process.env,
    log: o.log,
  });
}
