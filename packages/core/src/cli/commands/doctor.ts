import type { HurricaneSession } from '../../session/session.js';
import { ExitCode } from '../../errors.js';
import type { CliIO } from '../output.js';

const MARK = { ok: 'ok', warn: 'warn', missing: 'MISSING', error: 'ERROR' } as const;

/**
 * `hurricane doctor`: every adapter's health check. Exits 0 when the selected adapter
 * (`hardware`) is ready, 1 when it is not (the others are reported, not required).
 */
export async function doctorCommand(session: HurricaneSession, io: CliIO, opts: { json?: boolean }): Promise<number> {
  // Fail early (exit 2) when the selected hardware is not provided by any plugin.
  session.adapter();
  const report = await session.doctor();
  if (opts.json) {
    io.out(JSON.stringify(report, null, 2));
  } else {
    const lines: string[] = [];
    for (const r of report.reports) {
      const sel = r.adapterId === report.selected ? ' (selected)' : '';
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
    lines.push(
      report.selectedReady
        ? `The selected hardware '${report.selected}' is ready.`
        : `The selected hardware '${report.selected}' is not ready: apply the fixes above, or pick another with --hardware.`,
    );
    io.out(lines.join('\n'));
  }
  return report.selectedReady ? ExitCode.Success : ExitCode.RunFailed;
}
