import path from 'node:path';
import type { HurricaneSession } from '../session/session.js';
import { ConfigError } from '../errors.js';
import { suggestion } from '../config/format-issues.js';
import { FarmAgent } from '../farm/agent.js';
import type { MeasuringAdapter } from '../adapter-kit/measuring-adapter.js';

/** What an agent serves: every installed adapter (or those `serve` names), or with a `targets` block every target (or those `serve` names). */
function servedAdapters(session: HurricaneSession, serve: readonly string[] | undefined): MeasuringAdapter[] {
  const targets = session.config.core.targets !== undefined;
  const all = targets
    ? session.targets().map((t) => ({ name: t.name, adapter: session.forTarget(t.name).localAdapter() }))
    : session.adapters().map((a) => ({ name: a.id, adapter: a }));
  if (serve === undefined) return all.map((x) => x.adapter);
  const names = all.map((x) => x.name);
  const unknown = serve.find((n) => !names.includes(n));
  if (unknown !== undefined) {
    throw new ConfigError(
      `--serve '${unknown}' is not ${targets ? 'a target of this config' : 'an installed adapter'}${suggestion(unknown, names)}; available: ${names.join(', ') || 'none'}`,
    );
  }
  return all.filter((x) => serve.includes(x.name)).map((x) => x.adapter);
}

/**
 * Starts a device-farm agent for the session's host (`hurricane agent`): every installed adapter
 * or target (or those in `serve`) whose health check passes is served on the farm at `farm.url`. The agent
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
  const adapters = servedAdapters(session, o.serve);
  return FarmAgent.start({
    adapters,
    url: farm.url,
    farm,
    workDir: path.join(session.config.workDir, 'agent'),
    env: o.env ?? process.env,
    log: o.log,
  });
}
