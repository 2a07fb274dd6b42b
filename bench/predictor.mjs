#!/usr/bin/env node
// npm run bench:predictor — measures 2,000 architectures of the `cifar` preset with the `arm-cpu`
// adapter (plus 200 repeats for the noise floor) into a persistent work folder (resumable: a second
// run reuses the store), then fits every registered predictor on 80 % and reports, for each, every
// metric on the held-out 20 % beside the noise floor, the wall time to fit, and to predict 10,000
// freshly sampled architectures.
// Usage: node bench/predictor.mjs [--n 2000] [--repeats 200] [--work-dir .bench-work/predictor] [--json]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeArchitecture, holdoutSplit, pick, predictionMetrics, readLatencyCsv, sampleArchitectures } from '@hurricane/core/predict';
import { readSpace } from '@hurricane/core/profile';
import { bayesianRidgeFactory, gaussianProcessFactory, lassoFactory, lookupTableFactory } from '@hurricane/predictors';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const json = args.includes('--json');
const n = Number(opt('--n', '2000'));
const repeats = Number(opt('--repeats', '200'));
const root = fileURLToPath(new URL('..', import.meta.url));
const workDir = path.resolve(opt('--work-dir', path.join(root, '.bench-work', 'predictor')));
const cli = path.join(root, 'packages', 'core', 'bin', 'hurricane.js');
const log = (s) => process.stderr.write(`${s}\n`);

mkdirSync(workDir, { recursive: true });
log(`measuring ${n} cifar architectures (+${repeats} repeats) on arm-cpu into ${workDir} (resumable)`);
const t0 = performance.now();
const ds = JSON.parse(
  execFileSync(
    process.execPath,
    [
      cli,
      '--work-dir',
      workDir,
      '--preset',
      'cifar',
      '--hardware',
      'arm-cpu',
      'predictor',
      'dataset',
      '-n',
      String(n),
      '--repeats',
      String(repeats),
      '--json',
    ],
    {
      cwd: workDir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  ),
);
const measureS = (performance.now() - t0) / 1000;
const meta = JSON.parse(readFileSync(ds.meta, 'utf8'));
const table = readLatencyCsv(ds.csv, { requireLatency: true });
const space = readSpace(path.join(workDir, 'arm-cpu', 'cifar', 'space.json'));
const unseen = sampleArchitectures(space, n + 10_000, 12345)
  .slice(n)
  .map((a) => encodeArchitecture(space, a));
const split = holdoutSplit(table.x.length, 0.2, 0);
const features = { columns: table.columns, operatorLatencyMs: meta.operatorLatencyMs };
const rows = [];
for (const [factory, options] of [
  [gaussianProcessFactory, {}],
  [gaussianProcessFactory, { fixed: true, nu: 0.35, lengthScale: 1.5 }],
  [lassoFactory, {}],
  [bayesianRidgeFactory, {}],
  [lookupTableFactory, {}],
]) {
  const label = `${factory.kind}${
    Object.keys(options).length
      ? ` (${Object.entries(options)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')})`
      : ''
  }`;
  log(`fitting ${label} on ${split.train.length} rows`);
  const p = factory.create(options, features);
  let t = performance.now();
  await p.fit(pick(table.x, split.train), pick(table.y, split.train));
  const fitS = (performance.now() - t) / 1000;
  const pr = p.predict(pick(table.x, split.test));
  t = performance.now();
  p.predict(unseen);
  const predictS = (performance.now() - t) / 1000;
  rows.push({
    model: label,
    ...predictionMetrics(pick(table.y, split.test), pr.mean, pr.std),
    fitS,
    predictS,
    hyperparameters: p.serialize().hyperparameters,
  });
}
const nf = meta.noiseFloor;
const f = (v, d = 2) => (v === undefined ? '–' : v.toFixed(d));
const md = [
  `| model | RMSE ms | MAE ms | MAPE % | ±5 % | ±10 % | Kendall τ | ±1σ % | ±2σ % | fit s | predict 10k s |`,
  `|---|---|---|---|---|---|---|---|---|---|---|`,
  ...rows.map(
    (r) =>
      `| ${r.model} | ${f(r.rmseMs, 4)} | ${f(r.maeMs, 4)} | ${f(r.mapePct)} | ${f(r.within5Pct, 1)} | ${f(r.within10Pct, 1)} | ${f(r.kendallTau, 3)} | ${f(r.within1SigmaPct, 1)} | ${f(r.within2SigmaPct, 1)} | ${f(r.fitS, 1)} | ${f(r.predictS, 1)} |`,
  ),
  `| noise floor (${nf.pairs} repeats) | ${f(nf.rmseMs, 4)} | ${f(nf.maeMs, 4)} | ${f(nf.mapePct)} | ${f(nf.within5Pct, 1)} | ${f(nf.within10Pct, 1)} | ${f(nf.kendallTau, 3)} | – | – | – | – |`,
].join('\n');
const ys = table.y;
const summary = `${table.x.length} architectures, ${table.columns.length} features, latency ${Math.min(...ys).toFixed(3)}–${Math.max(...ys).toFixed(3)} ms (mean ${(ys.reduce((a, b) => a + b, 0) / ys.length).toFixed(3)}); measuring took ${measureS.toFixed(0)} s this run (${ds.measured} new, ${ds.reused} reused); held-out ${split.test.length}`;
if (json) process.stdout.write(`${JSON.stringify({ summary, rows, noiseFloor: nf }, null, 2)}\n`);
else process.stdout.write(`${summary}\n\n${md}\n`);
