import path from 'node:path';
import type { HurricaneSession } from '../../session/session.js';
import { ExitCode, HurricaneError } from '../../errors.js';
import { numberIn } from './numbers.js';
import { buildSpace, measureNetwork, profile, profileUntilStable } from '../../workflows/profile-run.js';
import { spaceTable, unstableContexts } from '../../profile/reduction.js';
import { preset } from '../../space/backbone.js';
import { type CliIO, relPath as rel } from '../output.js';
import { cliProgress } from '../progress.js';
import { backboneAndArch } from './inspect.js';
import { conditionsWarning } from '../../adapter-kit/host-conditions.js';

/** `hurricane profile`: measure every operator of the preset on the hardware (resumable). */
export async function profileCommand(
  session: HurricaneSession,
  io: CliIO,
  opts: { force?: boolean; json?: boolean; untilStable?: boolean; stableMinutes?: string },
): Promise<number> {
  const minutes =
    opts.stableMinutes === undefined ? 10 : numberIn(opts.stableMinutes, '--stable-minutes', 0, Number.POSITIVE_INFINITY, true);
  if (opts.stableMinutes !== undefined && !opts.untilStable)
    throw new HurricaneError('--stable-minutes goes with --until-stable', { exitCode: ExitCode.BadUsage });
  const controller = new AbortController();
  const o = { force: Boolean(opts.force), progress: cliProgress(io), signal: controller.signal, log: (l: string) => io.err(l) };
  const run = opts.untilStable
    ? await profileUntilStable(session, { ...o, limitMs: minutes * 60_000 })
    : { summary: await profile(session, o), stability: undefined };
  const s = run.summary;
  if (opts.json) {
    const { results, ...summary } = s;
    io.out(JSON.stringify({ ...summary, measurements: results.length, ...(run.stability ? { stability: run.stability } : {}) }, null, 2));
    return ExitCode.Success;
  }
  if (run.stability) {
    const { passes, unstable } = run.stability;
    io.out(
      `${passes.length} extra pass${passes.length === 1 ? '' : 'es'} over unstable contexts (${passes.reduce((a, p) => a + p.measured, 0)} measurements); ${unstable.length === 0 ? 'every kept set is stable' : `still unstable: ${unstable.join(', ')} (raise --stable-minutes, or accept the ties)`}`,
    );
  }
  io.out(
    `profiled ${s.adapterId} (${s.device}, runtime ${s.runtimeVersion}) for preset ${session.config.core.preset}: ` +
      `${s.total} operator measurements, ${s.measured} new, ${s.reused} reused from ${rel(path.join(session.config.workDir, 'latency.sqlite'))}, in ${(s.wallMs / 1000).toFixed(1)} s`,
  );
  const flagged = s.results.filter((r) => (r.measurement.conditions?.flags.length ?? 0) > 0);
  if (flagged.length > 0) {
    const names = { load: 'heavy load from other processes', throttled: 'CPU throttling' } as const;
    const why = [...new Set(flagged.flatMap((r) => r.measurement.conditions?.flags ?? []))].map((f) => names[f]).join(' or ');
    io.err(
      `warning: ${flagged.length} of the ${s.measured} new measurements were taken under ${why} (e.g. ${flagged[0]?.key.operator}@${flagged[0]?.key.contextId}); measure them again on a quiet machine with '${session.command('profile --force')}'`,
    );
  }
  return ExitCode.Success;
}

/** `hurricane space`: reduce the space from the stored latencies, write space.json, print Table 1. */
export async function spaceCommand(session: HurricaneSession, io: CliIO, opts: { json?: boolean }): Promise<number> {
  const { space, file } = await buildSpace(session);
  if (opts.json) io.out(JSON.stringify(space, null, 2));
  else io.out(`${spaceTable(space, preset(session.config.core.preset))}\n\nwritten to ${rel(file)}`);
  for (const u of unstableContexts(space)) {
    io.err(
      `warning: the kept set of context ${u.contextId} (layer${u.layers.length > 1 ? 's' : ''} ${u.layers.map((l) => l + 1).join(', ')}) is unstable (${u.weakest} of the bootstrap resamples): measure more rounds of it with '${session.command('profile --until-stable')}'`,
    );
  }
  return ExitCode.Success;
}

/** `hurricane latency`: measure one whole network now. */
export async function latencyCommand(
  session: HurricaneSession,
  io: CliIO,
  opts: { arch: string; weights?: string; json?: boolean },
): Promise<number> {
  const { backbone, arch } = backboneAndArch(session, opts.arch);
  const m = await measureNetwork(session, arch, opts.weights ? { weightsFile: opts.weights } : {});
  if (opts.json) {
    io.out(
      JSON.stringify(
        {
          preset: backbone.name,
          arch,
          median_ms: m.medianMs,
          mean_ms: m.meanMs,
          p10_ms: m.p10Ms,
          p90_ms: m.p90Ms,
          cov: m.cov,
          uncertainty_ms: m.uncertaintyMs ?? null,
          runs: m.runs ?? m.samplesMs.length,
          outliers: m.outlierIndices.length,
          fallback: m.fallback ?? null,
          conditions: m.conditions ?? null,
          provenance: m.provenance,
        },
        null,
        2,
      ),
    );
    return ExitCode.Success;
  }
  io.out(
    `${session.target.name} (${m.provenance.device}, ${m.provenance.runtime} ${m.provenance.runtimeVersion}): median ${m.medianMs.toFixed(3)} ms` +
      `${m.uncertaintyMs !== undefined ? ` ± ${m.uncertaintyMs.toFixed(3)}` : ''}, mean ${m.meanMs.toFixed(3)}, p10 ${m.p10Ms.toFixed(3)}, p90 ${m.p90Ms.toFixed(3)}, CoV ${m.cov.toFixed(3)}, ` +
      `${m.runs ?? m.samplesMs.length} runs, ${m.outlierIndices.length} outlier samples`,
  );
  const conditions = m.conditions ? conditionsWarning(m.conditions) : null;
  if (conditions) io.out(`warning: ${conditions}`);
  if (m.fallback)
    io.out(
      `warning: ${m.fallback.layers.length} ${m.fallback.layers.length === 1 ? 'layer' : 'layers'} ran on the ${m.fallback.to} (${m.fallback.layers.slice(0, 5).join(', ')}${m.fallback.layers.length > 5 ? ', …' : ''}): this latency is a mix of processors`,
    );
  return ExitCode.Success;
}
