import path from 'node:path';
import type { HurricaneSession } from '../../session/session.js';
import { ConfigError, ExitCode } from '../../errors.js';
import { exportArchitecture, exportOperator } from '../../onnx/model-files.js';
import { validateLayerOperator } from '../../space/architecture.js';
import { preset } from '../../space/backbone.js';
import type { CliIO } from '../output.js';
import { backboneAndArch } from './inspect.js';
import { onHardStop, onInterrupt } from '../interrupt.js';
import { cliProgress } from '../progress.js';

/** Options of `hurricane export`. */
interface ExportOptions {
  arch?: string;
  output: string;
  weights?: string;
  layer?: string;
  operator?: string;
  fromPareto?: string;
  run?: string;
}

/** `hurricane export --from-pareto N`: the N-th candidate of a search's Pareto front, retrained and exported. */
async function paretoExportCommand(session: HurricaneSession, io: CliIO, opts: ExportOptions): Promise<number> {
  if (opts.arch !== undefined || opts.weights !== undefined || opts.layer !== undefined || opts.operator !== undefined)
    throw new ConfigError(
      'export: --from-pareto retrains and exports a candidate of a search; give it without --arch, --weights, --layer or --operator',
    );
  const rank = /^\s*\d+\s*$/.test(opts.fromPareto ?? '') ? Number(opts.fromPareto) : 0;
  if (rank < 1) throw new ConfigError(`export: --from-pareto must be a rank of pareto.json (1, 2, …), got '${opts.fromPareto}'`);
  const { exportFromPareto } = await import('../../workflows/search-pareto.js');
  const controller = new AbortController();
  onInterrupt(() => controller.abort());
  onHardStop(() => 'the retraining checkpoint is kept; run the same command to resume');
  try {
    const r = await exportFromPareto(session, {
      ...{ run: opts.run ?? 'hurricane', rank, output: opts.output },
      ...{ progress: cliProgress(io), log: (line) => io.err(line), signal: controller.signal },
    });
    const e = r.entry;
    io.out(
      [
        `Pareto candidate ${rank}: ${e.arch.join(' ')}`,
        `supernet accuracy ${(e.accuracy * 100).toFixed(2)} % (step ${e.step}), latency ${e.latencyMs.toFixed(3)} ms predicted${e.measuredMs !== undefined ? `, ${e.measuredMs.toFixed(3)} ms measured` : ''}`,
        `retrained ${r.retrain.steps} steps: ${(r.retrain.testAccuracy * 100).toFixed(2)} % test accuracy on ${r.retrain.testImages} images`,
        `wrote ${r.file} (${r.bytes} bytes) with the trained weights; measure it with '${session.command('latency', '--arch', e.arch.join(','))}'`,
      ].join('\n'),
    );
    return ExitCode.Success;
  } finally {
    onInterrupt(null);
    onHardStop(null);
  }
}

/** `hurricane export`: an architecture (or one operator in a layer's context) as an ONNX model, or a candidate of a search's Pareto front. */
export async function exportCommand(session: HurricaneSession, io: CliIO, opts: ExportOptions): Promise<number> {
  if (opts.fromPareto !== undefined) return paretoExportCommand(session, io, opts);
  if (opts.run !== undefined) throw new ConfigError('export: --run goes with --from-pareto');
  const seed = session.config.core.seed;
  if (opts.operator !== undefined || opts.layer !== undefined) {
    if (opts.operator === undefined || opts.layer === undefined || opts.arch !== undefined || opts.weights !== undefined) {
      throw new ConfigError('export: give either --arch (a whole network) or both --layer and --operator (one operator), not a mix');
    }
    const backbone = preset(session.config.core.preset);
    const layer = /^\s*\d+\s*$/.test(opts.layer) ? Number(opts.layer) : Number.NaN;
    if (Number.isNaN(layer)) throw new ConfigError(`export: --layer must be a layer number, got '${opts.layer}'`);
    validateLayerOperator(layer, opts.operator, backbone, { layer: '--layer', operator: '--operator' });
    const r = exportOperator({ backbone, layer: layer - 1, operator: opts.operator, output: opts.output, seed });
    const c = r.context;
    io.out(
      `wrote ${path.resolve(opts.output)} (${r.bytes} bytes): ${opts.operator} in layer ${layer} (${c.h}x${c.w}, ${c.cin}→${c.cout}, stride ${c.stride}), seeded weights (seed ${seed})`,
    );
    return ExitCode.Success;
  }
  if (opts.arch === undefined) throw new ConfigError('export: --arch is required (or --layer with --operator for one operator)');
  const { backbone, arch } = backboneAndArch(session, opts.arch);
  const r = exportArchitecture({ backbone, arch, output: opts.output, seed, weightsFile: opts.weights });
  io.out(
    `wrote ${path.resolve(opts.output)} (${r.bytes} bytes): preset ${backbone.name}, ${opts.weights ? `weights from ${opts.weights}` : `seeded initial weights (seed ${seed}); pass --weights for trained ones`}`,
  );
  return ExitCode.Success;
}
