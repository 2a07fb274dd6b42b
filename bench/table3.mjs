#!/usr/bin/env node
// npm run bench:search -- --table3 — the paper's Table 3, small: HURRICANE with I = 1 and I = 2
// against SPOS on the same reduced space (the paper's comparison for latency tasks, §4.4), with
// SPOS on the full 32-operator space as an extra row, on Fashion-MNIST (Debian's
// dataset-fashion-mnist, installed when missing), the `mnist` preset and this host's CPU
// (`arm-cpu`), every row at the same latency budget, under each seed (mean ± std over seeds).
// Per seed the reduced-space baseline runs first: its auto budget is every row's budget, and
// HURRICANE's supernets stop at the training loss it reached (`train.lossTarget`, as the paper
// does; then `train.coolDown`) or at the same step cap. Every run is a `hurricane search` run folder
// under .bench-work/table3, so a killed benchmark resumes where it stopped. The FLOPs-constrained
// task of the paper (SPOS's own space under a FLOPs limit) is not here: Hurricane has no FLOPs
// constraint yet.
// Sizes (override with flags): --supernet-steps 1500 --retrain-steps 1500 --generations 20 (SPOS: population 50).
// Usage: node bench/table3.mjs [--json] [--seeds 0,1,2] [--work-dir .bench-work/table3]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const json = args.includes('--json');
const root = fileURLToPath(new URL('..', import.meta.url));
const work = path.resolve(opt('--work-dir', path.join(root, '.bench-work', 'table3')));
const cli = path.join(root, 'packages', 'core', 'bin', 'hurricane.js');
const log = (s) => process.stderr.write(`${s}\n`);
const DATA = '/usr/share/datasets/fashion-mnist';
const seeds = opt('--seeds', '0,1,2').split(',').map(Number);
const sizes = {
  supernetSteps: Number(opt('--supernet-steps', '1500')),
  retrainSteps: Number(opt('--retrain-steps', '1500')),
  generations: Number(opt('--generations', '20')),
};

if (!existsSync(path.join(DATA, 'train-images-idx3-ubyte.gz'))) {
  log(`${DATA} is missing: installing Debian's dataset-fashion-mnist`);
  const r = spawnSync('apt-get', ['install', '-y', 'dataset-fashion-mnist'], { stdio: 'inherit' });
  if (r.status !== 0) {
    log('could not install dataset-fashion-mnist: run `sudo apt-get install dataset-fashion-mnist` and start again');
    process.exit(1);
  }
}
mkdirSync(work, { recursive: true });
const timesFile = path.join(work, 'times.json');
const times = existsSync(timesFile) ? JSON.parse(readFileSync(timesFile, 'utf8')) : {};

/** Writes a run's config and runs `hurricane search` on it (resuming its run folder), timing each call. */
function run(name, seed, extra) {
  const config = {
    plugins: ['@hurricane/hw-arm-cpu', '@hurricane/predictors'],
    hardware: 'arm-cpu',
    preset: 'mnist',
    seed,
    workDir: work,
    train: { dataset: 'idx', dataDir: DATA, validationPerClass: 50, ...(extra.train ?? {}) },
    search: { budgetMs: 'auto', ...sizes, ...(extra.search ?? {}) },
  };
  const file = path.join(work, `${name}.seed${seed}.config.json`);
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  log(`\n== ${name}: hurricane search --config ${path.relative(process.cwd(), file)} --name ${name}-seed${seed}`);
  const t0 = performance.now();
  const out = execFileSync(process.execPath, [cli, '--config', file, 'search', '--name', `${name}-seed${seed}`, '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
  });
  times[`${name}-seed${seed}`] = (times[`${name}-seed${seed}`] ?? 0) + (performance.now() - t0) / 1000;
  writeFileSync(timesFile, `${JSON.stringify(times, null, 2)}\n`);
  return JSON.parse(out);
}

const METHODS = [
  ['SPOS, reduced space (baseline)', 'spos-reduced'],
  ['HURRICANE I = 1', 'hurricane-i1'],
  ['HURRICANE I = 2', 'hurricane-i2'],
  ['SPOS, full 32-operator space', 'spos-full'],
];
const perSeed = seeds.map((seed) => {
  const base = run('spos-reduced', seed, { search: { baseline: true, baselineSpace: 'reduced' } });
  const lossTarget = Number(base.iterations[0].lossEma.toFixed(4));
  log(`\nseed ${seed}: the baseline's supernet reached a training-loss EMA of ${lossTarget}: HURRICANE's supernets stop there`);
  // every row answers to the baseline's budget (auto would take HURRICANE's from its first step's sub-space)
  const same = { budgetMs: base.budgetMs };
  return {
    seed,
    budgetMs: base.budgetMs,
    lossTarget,
    runs: {
      'spos-reduced': base,
      'hurricane-i1': run('hurricane-i1', seed, { train: { lossTarget }, search: { iterations: 1, ...same } }),
      'hurricane-i2': run('hurricane-i2', seed, { train: { lossTarget }, search: { iterations: 2, ...same } }),
      'spos-full': run('spos-full', seed, { search: { baseline: true, baselineSpace: 'full', ...same } }),
    },
  };
});
const meanStd = (xs) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : Number.NaN;
  return { mean: m, std: sd };
};
const rows = METHODS.map(([method, key]) => {
  const of = (f) => meanStd(perSeed.map((p) => f(p.runs[key], p)));
  return {
    method,
    testAccuracy: of((s) => s.retrain.testAccuracy),
    supernetSteps: of((s) => s.supernetSteps),
    stepsVsBaseline: of((s, p) => s.supernetSteps / p.runs['spos-reduced'].supernetSteps),
    measuredMs: of((s) => s.verify.measuredMs),
    withinBudget: perSeed.filter((p) => p.runs[key].verify.withinBudget).length,
    wallS: of((_, p) => times[`${key}-seed${p.seed}`]),
    winners: perSeed.map((p) => p.runs[key].winner.join(' ')),
  };
});
const budgets = perSeed.map((p) => p.budgetMs);
if (json)
  process.stdout.write(`${JSON.stringify({ sizes, seeds, budgets, lossTargets: perSeed.map((p) => p.lossTarget), rows }, null, 2)}\n`);
else {
  const pm = (v, f) => `${f(v.mean)} ± ${Number.isFinite(v.std) ? f(v.std) : '–'}`;
  process.stdout.write(
    `Fashion-MNIST, preset mnist, arm-cpu, seeds ${seeds.join(', ')}, budgets ${budgets.join(' / ')} ms; supernet ≤ ${sizes.supernetSteps} steps, ${sizes.generations} generations × 50, retrain ${sizes.retrainSteps} steps\n`,
  );
  process.stdout.write(
    '| method | test accuracy | supernet iterations | vs the baseline | measured latency | within budget | wall time |\n',
  );
  process.stdout.write('|---|---|---|---|---|---|---|\n');
  for (const r of rows)
    process.stdout.write(
      `| ${r.method} | ${pm(r.testAccuracy, (v) => `${(v * 100).toFixed(2)} %`)} | ${pm(r.supernetSteps, (v) => v.toFixed(0))} | ${pm(r.stepsVsBaseline, (v) => `${(v * 100).toFixed(0)} %`)} | ${pm(r.measuredMs, (v) => `${v.toFixed(3)} ms`)} | ${r.withinBudget} of ${seeds.length} | ${pm(r.wallS, (v) => `${(v / 60).toFixed(1)} min`)} |\n`,
    );
}
