#!/usr/bin/env node
// npm run bench:shared-space — how two targets share one reduced space (issue 23, item 3), on two
// real targets of this machine: the host CPU at 1 and at 2 ONNX Runtime threads (arm-cpu), or with
// `--pair fusion` at one thread with and without ONNX Runtime's graph fusions. Both are
// profiled for real (resumable, in --work-dir), each reduced on its own, and the two rules of
// profile/shared-space.ts build the shared space: `worst` (each operator by its worst score relative
// to its layer's best, keep 4) and `union` (the kept sets merged by best rank, cut at 4; and uncut).
// For each space and target it reports, from the measured operator latencies (a lookup table, the
// sum over layers): the space's size, its fastest network and how much slower that is than the
// fastest of the target's own reduced space, the median of 2,000 seeded random networks, and the
// share of them that meets both targets' budgets at once (each budget the median of the target's
// own space). The fastest network of each space on each target is then measured for real.
// Usage: node bench/shared-space.mjs [--pair threads|fusion] [--preset cifar] [--work-dir DIR] [--samples N] [--json]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '@hurricane/core';
import { shareSpace } from '@hurricane/core/profile';

const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const json = args.includes('--json');
const presetName = arg('--preset', 'cifar');
const samples = Number(arg('--samples', '2000'));
if (!Number.isInteger(samples) || samples < 10) {
  process.stderr.write('bench:shared-space: --samples takes a whole number ≥ 10\n');
  process.exit(2);
}
const dir = arg('--work-dir', undefined) ?? mkdtempSync(path.join(os.tmpdir(), 'hurricane-shared-space-'));
mkdirSync(dir, { recursive: true });
// --pair threads (default): the host at 1 and 2 threads; --pair fusion: one thread with and without ONNX Runtime's graph fusions
const pair = arg('--pair', 'threads');
const PAIRS = {
  threads: { one: { adapter: 'arm-cpu', threads: 1 }, two: { adapter: 'arm-cpu', threads: 2 } },
  fusion: { one: { adapter: 'arm-cpu', threads: 1 }, two: { adapter: 'arm-cpu', threads: 1, graphOptimization: 'disabled' } },
};
const TARGETS = PAIRS[pair];
if (!TARGETS) {
  process.stderr.write(`bench:shared-space: --pair takes threads or fusion, got '${pair}'\n`);
  process.exit(2);
}
writeFileSync(
  path.join(dir, 'hurricane.config.json'),
  JSON.stringify({ plugins: ['@hurricane/hw-arm-cpu'], preset: presetName, targets: TARGETS }, null, 2),
);
const cli = fileURLToPath(new URL('../packages/core/bin/hurricane.js', import.meta.url));
const log = (s) => process.stderr.write(`${s}\n`);
const hurricane = (extra) =>
  execFileSync(process.execPath, [cli, ...extra], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 2 ** 26 });

log(`profiling preset ${presetName} on targets one and two (${JSON.stringify(TARGETS)}) in ${dir} (resumable)`);
hurricane(['profile', '--json']);
const own = JSON.parse(hurricane(['space', '--json']));
const names = Object.keys(TARGETS);

/** Lookup-table latency of `arch` on target `t`: the sum of its operators' measured latencies (the reduction's statistic). */
const lut = (t, arch) =>
  arch.reduce((sum, op, l) => sum + (own[t].layers[l].ranking.find((r) => r.operator === op)?.latencyMs ?? Number.NaN), 0);
const fastestOn = (t, candidates) =>
  candidates.map((ops, l) =>
    ops.reduce((a, b) =>
      (own[t].layers[l].ranking.find((r) => r.operator === a)?.latencyMs ?? Infinity) <=
      (own[t].layers[l].ranking.find((r) => r.operator === b)?.latencyMs ?? Infinity)
        ? a
        : b,
    ),
  );
const randomArchs = (candidates) => {
  const rng = new Rng(0);
  return Array.from({ length: samples }, () => candidates.map((ops) => ops[rng.int(0, ops.length - 1)]));
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const kept = (t) => own[t].layers.map((l) => l.kept);

const spaces = {
  'own one': kept('one'),
  'own two': kept('two'),
  'worst (keep 4)': shareSpace([own.one, own.two], { rule: 'worst', keep: 4 }).candidates,
  'union (cap 4)': shareSpace([own.one, own.two], { rule: 'union', keep: 4, cap: 4 }).candidates,
  'union (no cap)': shareSpace([own.one, own.two], { rule: 'union', keep: 4 }).candidates,
};
const budgets = Object.fromEntries(names.map((t) => [t, median(randomArchs(kept(t)).map((a) => lut(t, a)))]));
const overlap = kept('one').map((k, l) => k.filter((op) => kept('two')[l].includes(op)).length);
log(
  `kept sets: ${overlap.reduce((a, b) => a + b, 0) / overlap.length} of 4 operators shared per layer on average; budgets ${names.map((t) => `${t} ${budgets[t].toFixed(3)} ms`).join(', ')}`,
);

const rows = [];
for (const [name, candidates] of Object.entries(spaces)) {
  const archs = randomArchs(candidates);
  const joint = archs.filter((a) => names.every((t) => lut(t, a) <= budgets[t])).length / archs.length;
  const row = { space: name, log10Size: candidates.reduce((a, ops) => a + Math.log10(ops.length), 0), joint, targets: {} };
  for (const t of names) {
    const fastest = fastestOn(t, candidates);
    const ownFastest = lut(t, fastestOn(t, kept(t)));
    log(`measuring the fastest network of '${name}' on ${t}`);
    const measured = JSON.parse(hurricane(['latency', '--target', t, '--arch', fastest.join(','), '--json'])).median_ms;
    row.targets[t] = {
      fastestLutMs: lut(t, fastest),
      regret: lut(t, fastest) / ownFastest - 1,
      medianLutMs: median(archs.map((a) => lut(t, a))),
      fastestMeasuredMs: measured,
    };
  }
  rows.push(row);
}

if (json) process.stdout.write(`${JSON.stringify({ preset: presetName, samples, budgets, overlap, rows }, null, 2)}\n`);
else {
  const pct = (x) => `${(x * 100).toFixed(1)} %`;
  const out = [
    `| space | log10 size | ${names.map((t) => `${t}: fastest (LUT) / regret / measured | ${t}: median (LUT)`).join(' | ')} | meets both budgets |`,
    `|---|---|${names.map(() => '---|---|').join('')}---|`,
    ...rows.map(
      (r) =>
        `| ${r.space} | ${r.log10Size.toFixed(1)} | ${names
          .map((t) => {
            const x = r.targets[t];
            return `${x.fastestLutMs.toFixed(3)} ms / +${pct(x.regret)} / ${x.fastestMeasuredMs.toFixed(3)} ms | ${x.medianLutMs.toFixed(3)} ms`;
          })
          .join(' | ')} | ${pct(r.joint)} |`,
    ),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
