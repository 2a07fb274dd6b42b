#!/usr/bin/env node
// npm run bench:recalibrate — how many networks measured after a runtime update bring a predictor
// back. A simulated device (latency from the ONNX file size, ±1 % wobble) measures a cifar data
// set under runtime 1 and a Lasso predictor is fitted on it; then the runtime "updates" (every
// latency × scale + offset), a second data set is measured as the truth, and the predictor is
// recalibrated from k = 3 … 50 networks measured under the new runtime, each scored on the new data.
// Usage: node bench/recalibrate.mjs [--n 400] [--scale 1.3] [--offset 0.05] [--json]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const n = Number(opt('--n', '400'));
const scale = Number(opt('--scale', '1.3'));
const offset = Number(opt('--offset', '0.05'));
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = path.join(root, '.bench-work', 'recalibrate');
const cli = path.join(root, 'packages', 'core', 'bin', 'hurricane.js');
const log = (s) => process.stderr.write(`${s}\n`);

rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, 'sim.mjs'), "export { simulatedDevicePlugin as default } from '@hurricane/core/testing/simulated';\n");
const device = { device: 'sim device', samples: 1, wobble: true };
// seed 0 samples the data set the predictor is fitted on; seed 99 another one, the truth after the update
const config = (simDevice, seed) =>
  writeFileSync(
    path.join(dir, 'hurricane.config.json'),
    JSON.stringify({ plugins: ['./sim.mjs', '@hurricane/predictors'], hardware: 'sim', preset: 'cifar', seed, simDevice }),
  );
const hurricane = (...a) => execFileSync(process.execPath, [cli, ...a], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const mape = (file, csv) => JSON.parse(hurricane('predictor', 'eval', file, '--input', csv, '--json')).metrics.mapePct;

config(device, 0);
log(`runtime 1: measuring ${n} networks and fitting Lasso`);
const before = JSON.parse(hurricane('predictor', 'dataset', '-n', String(n), '--repeats', '50', '-o', 'old.csv', '--json'));
const fit = JSON.parse(hurricane('predictor', 'fit', '--model', 'lasso', '--train', 'old.csv', '-o', 'p.json', '--json'));
config({ ...device, runtimeVersion: '2', runtimeScale: scale, runtimeOffsetMs: offset }, 99);
log(`runtime 2 (× ${scale} + ${offset} ms): profiling again (the canaries' line below), then ${n} networks as the truth`);
const profiled = spawnSync(process.execPath, [cli, 'profile'], { cwd: dir, encoding: 'utf8' });
if (profiled.status !== 0) throw new Error(`profile failed: ${profiled.stderr}`);
const canaryLine = profiled.stderr.split('\n').find((l) => /canar/.test(l)) ?? '(no canary line)';
const after = JSON.parse(hurricane('predictor', 'dataset', '-n', String(n), '--repeats', '50', '-o', 'new.csv', '--json'));
const rows = [];
for (const k of [3, 5, 10, 20, 50]) {
  const r = JSON.parse(hurricane('predictor', 'recalibrate', 'p.json', '-o', `r${k}.json`, '-n', String(k), '--json'));
  rows.push({ networks: k, scale: r.calibration.scale, offset_ms: r.calibration.offset, mape_new_pct: mape(`r${k}.json`, 'new.csv') });
}
const result = {
  n,
  update: { scale, offset_ms: offset },
  noise_floor_mape_pct: { runtime1: before.noiseFloor?.mapePct ?? null, runtime2: after.noiseFloor?.mapePct ?? null },
  predictor_holdout_mape_pct: fit.metrics.holdout?.mapePct ?? null,
  canaries: canaryLine,
  stale_mape_pct: mape('p.json', 'new.csv'),
  recalibrated: rows,
};
if (args.includes('--json')) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else {
  const lines = [
    `bench:recalibrate — simulated runtime update × ${scale} + ${offset} ms, cifar, ${n} networks per data set`,
    `noise floor (repeat MAPE): ${result.noise_floor_mape_pct.runtime1?.toFixed(2)} % before, ${result.noise_floor_mape_pct.runtime2?.toFixed(2)} % after; Lasso held-out MAPE before the update ${result.predictor_holdout_mape_pct?.toFixed(2)} %`,
    `canaries after the update: ${canaryLine}`,
    `the stale predictor on the new runtime: MAPE ${result.stale_mape_pct.toFixed(2)} %`,
    '| networks measured | scale | offset (ms) | MAPE on the new runtime |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.networks} | ${r.scale.toFixed(4)} | ${r.offset_ms.toFixed(4)} | ${r.mape_new_pct.toFixed(2)} % |`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
