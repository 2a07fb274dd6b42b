import path from 'node:path';
import type { HurricaneSession } from '../../session/session.js';
import type { ValueSource } from '../../config/resolve.js';
import { ExitCode } from '../../errors.js';
import { redactUrl } from '../../redact.js';
import { table, type CliIO } from '../output.js';

function sourceText(s: ValueSource | undefined): string {
  if (!s) return 'default';
  switch (s.kind) {
    case 'default':
      return 'default';
    case 'discovered':
      return 'default (installed plugins)';
    case 'file':
      return `file ${path.relative(process.cwd(), s.file) || s.file}`;
    case 'flag':
      return `flag ${s.flag}`;
  }
}

function flatten(value: unknown, prefix: string, out: [string, unknown][]): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.push([prefix, value]);
}

/** `hurricane config`: the resolved config and where each value came from. */
export function configCommand(session: HurricaneSession, io: CliIO, opts: { json?: boolean }): number {
  const { core, plugins, filepath, sources } = session.config;
  // the farm URL may hold the Redis password: shown redacted
  const resolved: Record<string, unknown> = {
    ...core,
    farm: { ...core.farm, ...(core.farm.url ? { url: redactUrl(core.farm.url) } : {}) },
  };
  for (const p of plugins) if (p.plugin.configKey) resolved[p.plugin.configKey] = p.options;
  if (opts.json) {
    io.out(JSON.stringify({ file: filepath, config: resolved, sources: Object.fromEntries(sources) }, null, 2));
    return ExitCode.Success;
  }
  const rows: [string, unknown][] = [];
  flatten(resolved, '', rows);
  io.out(
    [
      `config file: ${filepath ?? 'none (defaults and flags only)'}`,
      table([['key', 'value', 'source'], ...rows.map(([k, v]) => [k, JSON.stringify(v) ?? 'undefined', sourceText(sources.get(k))])]),
    ].join('\n'),
  );
  return ExitCode.Success;
}
