import type { HurricaneSession } from '../../session/session.js';
import { ExitCode } from '../../errors.js';
import type { SearchPhase } from '../../workflows/run-folder.js';
import { type SearchSummary, search } from '../../workflows/search-run.js';
import { admittedShares, agreementLine, noRejectionAdvice, noiseLine } from '../../report/search-report.js';
import { onHardStop, onInterrupt } from '../interrupt.js';
import { type CliIO, relPath as rel } from '../output.js';
import { cliProgress } from '../progress.js';

/** What the latency constraint did: its admitted share and rejections, with a warning when it rejected nothing. */
function constraintLine(s: SearchSummary): string {
  const shares = admittedShares(s.admitted, s.iterations);
  const what = s.costLimits ? 'limits' : 'latency constraint';
  const line = `${what}: ${shares ? `admits ${shares}, ` : ''}rejected ${s.rejected} draws of the evolution`;
  return s.rejected === 0
    ? `${line}\nWARNING: the ${what} rejected nothing: ${noRejectionAdvice(s.admitted, s.iterations, s.costLimits !== undefined)}`
    : line;
}

/** The run's limits, e.g. "budget 0.2 ms, params ≤ 150000". */
function limitsOf(s: SearchSummary): string {
  const parts = [
    ...(s.budgetMs !== undefined ? [`budget ${s.budgetMs} ms${s.targets ? ` on ${s.hardware.split(', ')[0]}` : ''}`] : []),
    ...(s.targets ?? []).map((t) => `${t.budgetMs} ms on ${t.target}`),
    ...(s.costLimits ?? []).map((l) => `${l.metric} ≤ ${l.max}`),
  ];
  return parts.join(', ');
}

/** The winner's latency: on the one target against the budget, or on each target against its own. */
function latencyLines(s: SearchSummary): string[] {
  const v = s.verify;
  const line = (on: string, measured: number, predicted: number, verdict: string) =>
    `latency${on} ${measured.toFixed(3)} ms measured, ${predicted.toFixed(3)} ms predicted${verdict}`;
  if (!v.targets)
    return [
      line(
        '',
        v.measuredMs,
        v.predictedMs,
        s.budgetMs === undefined ? '' : ` — ${v.withinBudget ? 'within the budget' : 'OVER THE BUDGET'}`,
      ),
    ];
  const first = s.hardware.split(', ')[0];
  const met = s.budgetMs === undefined || v.measuredMs <= s.budgetMs;
  return [
    line(` on ${first}`, v.measuredMs, v.predictedMs, ` — ${met ? 'within its budget' : 'OVER ITS BUDGET'}`),
    ...v.targets.map((t) => line(` on ${t.target}`, t.measuredMs, t.predictedMs, ` — ${t.met ? 'within its budget' : 'OVER ITS BUDGET'}`)),
  ];
}

/** Which of the verified top candidates was retrained, when they were measured. */
function shortlistLine(s: SearchSummary): string[] {
  const l = s.shortlist;
  if (!l) return [];
  const met = l.candidates.filter((c) => c.met).length;
  return [
    s.targets
      ? `verified top ${l.candidates.length} on ${s.hardware}: ${met} meet every budget; retrained #${l.chosen + 1}${l.met ? '' : ' (the fastest measured: NONE meets every budget)'}`
      : `verified top ${l.candidates.length} on the hardware: ${met} meet the budget; retrained #${l.chosen + 1}${l.met ? '' : ' (the fastest measured: NONE meets the budget)'}`,
  ];
}

/** The last step's fitness-noise line (the winner's), when the check ran. */
function noiseSummary(s: SearchSummary): string[] {
  const n = s.iterations.at(-1)?.noise;
  return n ? [noiseLine(n)] : [];
}

/** `hurricane search`: HURRICANE end to end in a resumable run folder (Ctrl-C keeps every finished step). */
export async function searchCommand(
  session: HurricaneSession,
  io: CliIO,
  opts: { from?: string; name?: string; json?: boolean; target?: string },
): Promise<number> {
  const controller = new AbortController();
  onInterrupt(() => controller.abort());
  onHardStop(() => 'finished phases, supernet checkpoints and every evaluated candidate are kept; run the same command to resume');
  try {
    const s = await search(session, {
      ...(opts.from ? { from: opts.from as SearchPhase } : {}),
      ...(opts.name ? { name: opts.name } : {}),
      ...(opts.target ? { target: opts.target } : {}),
      progress: cliProgress(io),
      signal: controller.signal,
      log: (line) => io.err(line),
    });
    if (opts.json) {
      io.out(JSON.stringify(s, null, 2));
      return ExitCode.Success;
    }
    const v = s.verify;
    io.out(
      [
        `${s.baseline ? 'SPOS baseline' : 'HURRICANE'} on ${s.hardware} (${v.device}), preset ${s.preset}, ${limitsOf(s)}`,
        `winner: ${s.winner.join(' ')}`,
        `test accuracy ${(s.retrain.testAccuracy * 100).toFixed(2)} % (${s.retrain.testImages} images, retrained ${s.retrain.steps} steps)`,
        ...latencyLines(s),
        ...(v.limits ?? [])
          .filter((l) => l.metric !== 'latency')
          .map((l) => `${l.metric} ${Math.round(l.value)} (limit ${l.max}) — ${l.met ? 'met' : 'NOT MET'}`),
        constraintLine(s),
        ...shortlistLine(s),
        ...noiseSummary(s),
        ...(s.rankCheck?.agreement ? [`rank check: ${agreementLine(s.rankCheck.agreement)}`] : []),
        `${(v.flops / 1e6).toFixed(2)} M FLOPs, ${(v.params / 1e6).toFixed(3)} M params, ${s.supernetSteps} supernet training iterations over ${s.iterations.length} step(s), ${(s.wallMs / 1000).toFixed(0)} s`,
        `model: ${rel(s.export.file)}`,
        `report: ${rel(s.report.html)} (and ${rel(s.report.markdown)})`,
      ].join('\n'),
    );
    return ExitCode.Success;
  } finally {
    onInterrupt(null);
    onHardStop(null);
  }
}
