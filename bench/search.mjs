#!/usr/bin/env node
// npm run bench:search — images/s through SPOS's evaluation of one path (BatchNorm recalibration on
// R training batches of B images, then validation of V images in batches of E) for the `cifar`-
// preset network with MB_3_3 in every layer, against PyTorch CPU doing the same on the same machine
// (bench/search_torch.py, Debian's python3-torch, one thread per core). Rows: Hurricane's
// PathEvaluator (both halves on ONNX Runtime, what `hurricane search` uses) and the TF.js
// recalibration + ONNX Runtime validation it replaced. Goal: PathEvaluator ≥ 1.0× PyTorch.
// Usage: node bench/search.mjs [--json] [--rounds N]        (Table 3: --table3; the random baseline of a finished run: --random)
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { PRESETS } from '@hurricane/core';
import { PathEvaluator, Supernet, evaluate, recalibrateBatchNorm, selectEngine } from '@hurricane/core/train';
import { syntheticData } from './synthetic-data.mjs';

const args = process.argv.slice(2);
if (args.includes('--table3')) {
  await import('./table3.mjs');
} else if (args.includes('--random')) {
  await import('./random-baseline.mjs');
} else {
  const json = args.includes('--json');
  const rounds = args.includes('--rounds') ? Number(args[args.indexOf('--rounds') + 1]) : 5;
  const log = (s) => process.stderr.write(`${s}\n`);
  const [R, B, V, E] = [20, 64, 1000, 500];
  const threads = os.availableParallelism();
  const backbone = PRESETS.cifar();
  const arch = Array(20).fill('MB_3_3');
  const dataOf = (n, seed) => syntheticData(backbone, n, seed, (rng) => rng.normal());
  const train = dataOf(R * B, 1);
  const valid = dataOf(V, 2);
  const engine = await selectEngine('auto');
  const net = new Supernet(
    backbone,
    0,
    arch.map((op) => [op]),
  );
  const images = R * B + V;
  const timeIt = async (fn) => {
    await fn();
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) await fn();
    return (performance.now() - t0) / 1000 / rounds;
  };
  log(`PathEvaluator (ONNX Runtime, ${threads} threads): ${rounds} rounds…`);
  const pe = await PathEvaluator.create(net, train, valid, { recalibrationBatches: R, recalibrationBatchSize: B, batchSize: E, threads });
  const fast = await timeIt(() => pe.evaluate(arch));
  log(`TF.js ${engine.engine} recalibration + ONNX Runtime validation: ${rounds} rounds…`);
  const old = await timeIt(async () => {
    recalibrateBatchNorm(net, arch, train, { batches: R, batchSize: B, seed: 0 });
    await evaluate(net, arch, valid, { batchSize: E, threads });
  });
  log('PyTorch reference…');
  const py = JSON.parse(
    execFileSync(
      '/usr/bin/python3',
      [fileURLToPath(new URL('search_torch.py', import.meta.url)), ...[threads, R, B, V, E, rounds].map(String)],
      {
        encoding: 'utf8',
        timeout: 1_800_000,
      },
    ),
  );
  const rows = [
    { engine: `Hurricane PathEvaluator (onnxruntime-node, ${threads} threads)`, seconds: fast },
    { engine: `TF.js ${engine.engine} recalibration + onnxruntime validation (before)`, seconds: old },
    { engine: py.engine, seconds: py.seconds_per_path },
  ].map((r) => ({ ...r, imagesPerSecond: images / r.seconds, vsPyTorch: py.seconds_per_path / r.seconds }));
  if (json) process.stdout.write(`${JSON.stringify({ R, B, V, E, rounds, rows }, null, 2)}\n`);
  else {
    process.stdout.write(
      `one path of the cifar network (MB_3_3 everywhere): recalibrate ${R}×${B} + validate ${V} (batches of ${E}), mean of ${rounds}\n`,
    );
    process.stdout.write('| engine | s / path | images/s | × PyTorch |\n');
    process.stdout.write('|---|---|---|---|\n');
    for (const r of rows)
      process.stdout.write(
        `${`| ${r.engine} | ${r.seconds.toFixed(3)} | ${r.imagesPerSecond.toFixed(0)} | ${r.vsPyTorch.toFixed(2)} |`}\n`,
      );
  }
  net.dispose();
}
