import type { HurricaneSession } from '../../session/session.js';
import { ExitCode } from '../../errors.js';
import type { CliIO } from '../output.js';

const MARK = { ok: 'ok', warn: 'warn', missing: 'MISSING', error: 'ERROR' } as const;

/**
 * `hurricane doctor`: every adapter's health check, or each target's with a `targets` block. Exits
 * 0 when the selected adapter (`hardware`) or every selected target is ready, 1 when one is not
 * (other adapters are reported, not required).
 */
export async function doctorCommand(session: HurricaneSession, io: CliIO, opts: { json?: boolean; target?: string[] }): Promise<number> {
  const targets = session.targets(opts.target);
  // Fail early (exit 2) when a selected target's adapter is not provided by any plugin.
  for (const t of targets) session.forTarget(t.name).adapter();
  const report = await session.doctor(opts.target);
  if (opts.json) {
    io.out(JSON.stringify(report, null, 2));
  } else {
    const lines: string[] = [];
    for (const r of report.reports) {
      const sel = r.adapterId === report.selected && session.config.core.targets === undefined ? ' (selected)' : '';
      lines.push(`${r.adapterId}${sel}: ${r.ready ? 'ready' : 'NOT READY'}`);
      let lastFix: string | undefined;
      for (const c of r.checks) {
        lines.push(`  ${MARK[c.status].padEnd(8)}${c.name.padEnd(22)}${c.detail}`);
        if (c.fix && c.status !== 'ok') {
          lines.push(`  ${''.padEnd(8)}${''.padEnd(22)}fix: ${c.fix === lastFix ? 'as above' : c.fix}`);
          lastFix = c.fix;
        }
      }
    }
    const what = session.config.core.targets === undefined ? 'hardware' : targets.length > 1 ? 'targets' : 'target';
    lines.push(
      report.selectedReady
        ? `The selected ${what} '${report.selected}' ${targets.length > 1 ? 'are' : 'is'} ready.`
        : `The selected ${what} '${report.selected}' ${targets.length > 1 ? 'are' : 'is'} not ready: apply the fixes above, or pick another with ${what === 'hardware' ? '--hardware' : '--target'}.`,
    );
    io.out(lines.join('\n'));
  }
  return report.selectedReady ? ExitCode.Success : ExitCode.RunFailed;
}
