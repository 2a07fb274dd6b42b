// `--target <name>` of the commands that measure or read one target's data (`profile`, `space`,
// `latency`, `predictor dataset`): the command runs once per target it picks, every target of the
// run by default. With several picked, each one's output comes under a heading, and `--json`
// prints one object keyed by target name.
import { Option } from 'commander';
import type { HurricaneSession } from '../session/session.js';
import type { CliIO } from './output.js';

/** The repeatable `--target <name>` option. */
export function targetOption(): Option {
  return new Option('--target <name>', 'a target of the run (default: every target); repeat for several').argParser(
    (v: string, prev: string[] = []) => [...prev, v],
  );
}

/** Runs `fn` on each target `opts.target` picks; the exit code is the worst of theirs. */
export async function eachTarget(
  session: HurricaneSession,
  io: CliIO,
  opts: { target?: readonly string[]; json?: boolean },
  fn: (s: HurricaneSession, io: CliIO) => Promise<number>,
): Promise<number> {
  const targets = session.targets(opts.target);
  // one target (the config's only one, or the one --target picks): its output as it is
  if (targets.length === 1) return fn(session.forTarget((targets[0] ?? session.target).name), io);
  let code = 0;
  const json: Record<string, unknown> = {};
  for (const t of targets) {
    if (!opts.json) io.out(`== target ${t.name} (${t.adapter}) ==`);
    const printed: string[] = [];
    const own: CliIO = opts.json ? { ...io, out: (text) => printed.push(text) } : io;
    code = Math.max(code, await fn(session.forTarget(t.name), own));
    if (opts.json) json[t.name] = JSON.parse(printed.join('') || 'null');
  }
  if (opts.json) io.out(JSON.stringify(json, null, 2));
  return code;
}
