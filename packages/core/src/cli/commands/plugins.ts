import path from 'node:path';
import type { HurricaneSession } from '../../session/session.js';
import { ExitCode } from '../../errors.js';
import type { CliIO } from '../output.js';

/** `hurricane plugins`: the loaded plugins, what each registered, and the selected hardware. */
export function pluginsCommand(session: HurricaneSession, io: CliIO, opts: { json?: boolean }): number {
  const plugins = session.plugins();
  const selected = session.config.core.hardware;
  const targets = session.config.core.targets === undefined ? undefined : session.targets();
  const used = new Set(targets ? targets.map((t) => t.adapter) : [selected]);
  if (opts.json) {
    io.out(JSON.stringify({ ...(targets ? { targets } : { selected }), plugins }, null, 2));
    return ExitCode.Success;
  }
  if (plugins.length === 0) {
    io.err(
      `No plugins loaded (looked in the node_modules folders from ${session.config.pluginSearchDirs.join(', ')} upwards). Install one for your hardware, e.g. 'npm install -D @hurricane/hw-arm-cpu', or list plugins in your config's 'plugins'.`,
    );
    return ExitCode.Success;
  }
  const lines: string[] = [];
  const idWidth = Math.max(12, ...plugins.flatMap((p) => p.adapters.map((a) => a.id.length)));
  for (const p of plugins) {
    lines.push(`${p.name}${p.version ? ` ${p.version}` : ''}  (${path.relative(process.cwd(), p.file) || p.file})`);
    if (p.description) lines.push(`  ${p.description}`);
    for (const a of p.adapters) lines.push(`  adapter    ${a.id.padEnd(idWidth)}  ${a.description}${used.has(a.id) ? '  [selected]' : ''}`);
    for (const s of p.scorers) lines.push(`  scoring    ${s}`);
    for (const k of p.predictors) lines.push(`  predictor  ${k}`);
    if (p.configKey) lines.push(`  options    '${p.configKey}' block of the config`);
  }
  const coreScorers = session
    .scorers()
    .filter((s) => s.owner === '@hurricane/core')
    .map((s) => s.name);
  lines.push(`@hurricane/core  scoring: ${coreScorers.join(', ')}  (config 'scoring.name' = ${session.config.core.scoring.name})`);
  lines.push(
    targets
      ? `targets: ${targets.map((t) => `${t.name} (${[t.adapter, ...Object.entries(t.options).map(([k, v]) => `${k} ${JSON.stringify(v)}`)].join(', ')})`).join('; ')}`
      : `selected hardware: ${selected}`,
  );
  io.out(lines.join('\n'));
  return ExitCode.Success;
}
