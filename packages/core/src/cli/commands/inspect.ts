import { readFileSync } from 'node:fs';
import type { HurricaneSession } from '../../session/session.js';
import { ExitCode } from '../../errors.js';
import { ArchitectureError, parseArchitecture, type Architecture } from '../../space/architecture.js';
import { preset, type Backbone } from '../../space/backbone.js';
import { inspectArchitecture } from '../../space/inspect.js';
import { table, type CliIO } from '../output.js';

/** The preset of the session and the architecture of `--arch` (a list, JSON, or `@file`). */
export function backboneAndArch(session: HurricaneSession, archArg: string): { backbone: Backbone; arch: Architecture } {
  const backbone = preset(session.config.core.preset);
  let text = archArg;
  let source = '--arch';
  if (archArg.startsWith('@')) {
    const file = archArg.slice(1);
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      throw new ArchitectureError(`--arch ${archArg}: cannot read ${file}: ${(error as Error).message}`);
    }
    source = file;
  }
  return { backbone, arch: parseArchitecture(text, backbone, { source }) };
}

const fmt = (n: number) => n.toLocaleString('en-US');
const mega = (n: number) => `${(n / 1e6).toFixed(2)} M`;

/** `hurricane inspect`: FLOPs, params and a per-layer table of an architecture. */
export function inspectCommand(session: HurricaneSession, io: CliIO, opts: { arch: string; json?: boolean }): number {
  const { backbone, arch } = backboneAndArch(session, opts.arch);
  const r = inspectArchitecture(backbone, arch);
  if (opts.json) {
    io.out(JSON.stringify(r, null, 2));
    return ExitCode.Success;
  }
  const [c, h, w] = backbone.input;
  const rows = [
    ['layer', 'stage', 'input', 'C_in→C_out', 'stride', 'operator', 'FLOPs', 'params'],
    [
      'stem',
      '',
      `${h}x${w}x${c}`,
      `${c}→${backbone.stemChannels}`,
      String(backbone.stemStride),
      'conv3x3',
      fmt(r.stem.flops),
      fmt(r.stem.params),
    ],
    ...r.layers.map((l) => [
      String(l.layer + 1),
      String(l.stage + 1),
      `${l.h}x${l.w}`,
      `${l.cin}→${l.cout}`,
      String(l.stride),
      l.operator,
      fmt(l.flops),
      fmt(l.params),
    ]),
    [
      'head',
      '',
      '',
      `${backbone.stages.at(-1)?.channels}→${backbone.lastChannels}→${backbone.classes}`,
      '1',
      'conv1x1, pool, fc',
      fmt(r.head.flops),
      fmt(r.head.params),
    ],
  ];
  io.out(
    [
      `preset ${backbone.name}: ${h}x${w}x${c} input, ${backbone.classes} classes, ${r.layers.length} searchable layers`,
      table(rows),
      `FLOPs (multiply-adds): ${fmt(r.flops)} (${mega(r.flops)})`,
      `params: ${fmt(r.params)} (${mega(r.params)})`,
      `peak activation memory (batch 1, float32): ${fmt(r.peakActivationBytes)} bytes (${(r.peakActivationBytes / 2 ** 20).toFixed(2)} MiB)`,
    ].join('\n'),
  );
  return ExitCode.Success;
}
