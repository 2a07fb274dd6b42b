import path from 'node:path';
import type { HurricaneSession } from '../../session/session.js';
import { ConfigError, ExitCode } from '../../errors.js';
import { exportArchitecture, exportOperator } from '../../onnx/model-files.js';
import { validateLayerOperator } from '../../space/architecture.js';
import { preset } from '../../space/backbone.js';
import type { CliIO } from '../output.js';
import { backboneAndArch } from './inspect.js';

/** `hurricane export`: an architecture (or one operator in a layer's context) as an ONNX model. */
export function exportCommand(
  session: HurricaneSession,
  io: CliIO,
  opts: { arch?: string; output: string; weights?: string; layer?: string; operator?: string },
): number {
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
