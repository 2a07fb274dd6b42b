#!/usr/bin/env node
// npm run bench:search -- --table3 — the paper's Table 3, small: HURRICANE with I = 1 and I = 2
// against the SPOS baseline on Fashion-MNIST (Debian's dataset-fashion-mnist, installed when
// missing), the `mnist` preset and this host's CPU (`arm-cpu`), with the same latency budget.
// The baseline runs first; HURRICANE's supernets stop at the training loss the baseline reached
// (`train.lossTarget`, as the paper does) or at the same step cap. Every run is a `hurricane search`
// run folder under .bench-work/table3, so a killed benchmark resumes where it stopped.
// Sizes (override with flags): --supernet-steps 1500 --retrain-steps 1500 --generations 20 (SPOS: population 50).
// Usage: node bench/table3.mjs [--json] [--work-dir .bench-work/table3]
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
function run(name, extra) {
  const config = {
    plugins: ['@hurricane/hw-arm-cpu', '@hurricane/predictors'],
    hardware: 'arm-cpu',
    preset: 'mnist',
    seed: 0,
    workDir: work,
    train: { dataset: 'idx', dataDir: DATA, validationPerClass: 50, ...(extra.train ?? {}) },
    search: { budgetMs: 'auto', ...sizes, ...(extra.search ?? {}) },
  };
  const file = path.join(work, `${name}.config.json`);
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  log(`\n== ${name}: hurricane search --config ${path.relative(process.cwd(), file)} --name ${name}`);
  const t0 = performance.now();
  const out = execFileSync(process.execPath, [cli, '--config', file, 'search', '--name', name, '--json'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 256 * 1024 * 1024,
  });
  times[name] = (times[name] ?? 0) + (performance.now() - t0) / 1000;
  writeFileSync(timesFile, `${JSON.stringify(times, null, 2)}\n`);
  return JSON.parse(out);
}

const spos = run('spos', { search: { baseline: true } });
const lossTarget = Number(spos.iterations[0].lossEma.toFixed(4));
log(`\nthe baseline's supernet reached a training-loss EMA of ${lossTarget}: HURRICANE's supernets stop there`);
// every row answers to the baseline's budget (auto would take HURRICANE's from its first step's sub-space)
const same = { budgetMs: spos.budgetMs };
const i1 = run('hurricane-i1', { train: { lossTarget }, search: { iterations: 1, ...same } });
const i2 = run('hurricane-i2', { train: { lossTarget }, search: { iterations: 2, ...same } });
const rows = [
  ['SPOS (baseline)', spos],
  ['HURRICANE I = 1', i1],
  ['HURRICANE I = 2', i2],
].map(([method, s], k) => ({
  method,
  testAccuracy: s.retrain.testAccuracy,
  supernetSteps: s.supernetSteps,
  stepsVsSpos: s.supernetSteps / spos.supernetSteps,
  measuredMs: s.verify.measuredMs,
  withinBudget: s.verify.withinBudget,
  wallS: times[['spos', 'hurricane-i1', 'hurricane-i2'][k]],
  winner: s.winner.join(' '),
}));
if (json) process.stdout.write(`${JSON.stringify({ sizes, budgetMs: spos.budgetMs, lossTarget, rows }, null, 2)}\n`);
else {
  process.stdout.write(
    `Fashion-MNIST, preset mnist, arm-cpu, budget ${spos.budgetMs} ms; supernet ≤ ${sizes.supernetSteps} steps, ${sizes.generations} generations × 50, retrain ${sizes.retrainSteps} steps\n`,
  );
  process.stdout.write('| method | test accuracy | supernet iterations | vs SPOS | measured latency | within budget | wall time |\n');
  process.stdout.write('|---|---|---|---|---|---|---|\n');
  for (const r of rows)
    process.stdout.write(
      `| ${r.method} | ${(r.testAccuracy * 100).toFixed(2)} % | ${r.supernetSteps} | ${(r.stepsVsSpos * 100).toFixed(0)} % | ${r.measuredMs.toFixed(3)} ms | ${r.withinBudget ? 'yes' : 'no'} | ${(r.wallS / 60).toFixed(1)} min |\n`,
    );
}
