#!/usr/bin/env node
// npm run bench:train — training and inference images/s of the `cifar`-preset network (MB_3_3 in
// every layer, and the 32-operator supernet with a random path per step) at batch 64 on every
// TF.js engine available here, in one thread and with data-parallel worker threads (one per core),
// evaluation through evaluate() (ONNX Runtime when installed, all cores), and PyTorch CPU
// (bench/train_torch.py, Debian's python3-torch, 2 threads) as the reference.
// Usage: node bench/train.mjs [--json] [--engines wasm,cpu]
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { PRESETS, coreDefaults } from '@hurricane/core';
import { syntheticData } from './synthetic-data.mjs';
import { StandaloneNetwork, Supernet, evaluate, selectEngine, trainNetwork } from '@hurricane/core/train';
import * as tf from '@tensorflow/tfjs';

/** SPOS's recipe at batch 64: the config's `train` defaults. */
function sposRecipe() {
  const { lr, momentum, weightDecay, labelSmoothing, schedule } = coreDefaults().train;
  return { lr, momentum, weightDecay, labelSmoothing, schedule };
}

const args = process.argv.slice(2);
const json = args.includes('--json');
const engines = args.includes('--engines') ? args[args.indexOf('--engines') + 1].split(',') : ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];
const log = (s) => process.stderr.write(`${s}\n`);
let B = 64;
const backbone = PRESETS.cifar();
const arch = Array(20).fill('MB_3_3');
const [C, H, W] = backbone.input;
const data = syntheticData(backbone, 8 * B, 0);

/** Images/s of `steps` training steps after `warm` untimed ones (time limit: stop early after `maxS`). */
async function trainRate(net, steps, warm, maxS, workers = 1) {
  const times = [];
  let last = performance.now();
  const controller = new AbortController();
  await trainNetwork(net, data, {
    ...sposRecipe(),
    batchSize: B,
    steps: warm + steps,
    seed: 1,
    workers,
    signal: controller.signal,
    onStep: (s) => {
      const now = performance.now();
      if (s.step > warm) times.push(now - last);
      last = now;
      if (times.length > 0 && times.reduce((a, b) => a + b, 0) > maxS * 1000) controller.abort();
    },
  }).catch((e) => {
    if (!String(e.message).startsWith('training stopped')) throw e;
  });
  return (times.length * B) / (times.reduce((a, b) => a + b, 0) / 1000);
}

function evalRate(net, maxS) {
  const x = tf.tensor4d(
    data.batch(
      Array.from({ length: B }, (_, i) => i),
      null,
    ).x,
    [B, H, W, C],
  );
  net.predict(x).dispose();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < maxS * 1000 || n < 1) {
    net.predict(x).dispose();
    n++;
  }
  x.dispose();
  return (n * B) / ((performance.now() - t0) / 1000);
}

const results = [];
const worker = args.includes('--worker')
  ? { engine: args[args.indexOf('--worker') + 1], batch: Number(args[args.indexOf('--worker') + 2]) }
  : null;
const cores = os.availableParallelism();
if (worker) {
  const choice = await selectEngine(worker.engine);
  const slow = choice.engine === 'cpu';
  B = worker.batch;
  const net = new StandaloneNetwork(backbone, arch, 1);
  const rows = [];
  for (const workers of slow ? [1] : [1, cores]) {
    const train = await trainRate(net, slow ? 1 : 12, slow ? 0 : 2, slow ? 1 : 90, workers);
    const superTrain = await (async () => {
      const supernet = new Supernet(backbone, 1);
      try {
        return await trainRate(supernet, slow ? 1 : 12, slow ? 0 : 2, slow ? 1 : 90, workers);
      } finally {
        supernet.dispose();
      }
    })();
    rows.push({ workers, train, superTrain });
  }
  B = 64;
  const tfjsEval = evalRate(net, slow ? 1 : 15);
  // evaluate(): 4,096 validation images in batches of 64, the runtime it picks (ONNX Runtime when installed)
  const evalData = { ...data, size: 4096, batch: (idx) => data.batch(idx.map((i) => i % data.size)) };
  const ev = await evaluate(net, arch, evalData, { batchSize: 64 });
  net.dispose();
  for (const r of rows)
    process.stdout.write(
      `${JSON.stringify({ engine: choice.engine, reason: choice.reason, workers: r.workers, train_batch: worker.batch, train_images_per_s: +r.train.toFixed(2), supernet_train_images_per_s: +r.superTrain.toFixed(2), eval_images_per_s: +ev.imagesPerSecond.toFixed(1), eval_runtime: ev.runtime, tfjs_eval_images_per_s: +tfjsEval.toFixed(1) })}\n`,
    );
  process.exit(0);
}
for (const name of engines) {
  let r = null;
  for (const batch of [64, 32]) {
    try {
      // Each engine runs in its own process: a wasm heap that overflows (4 GiB) aborts the process.
      r = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--worker', name, String(batch)], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      })
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      break;
    } catch (e) {
      const why =
        String(e.stderr ?? e.message)
          .split('\n')
          .find((l) => /^\w*Error: |^Aborted|out of bounds/.test(l)) ?? 'failed';
      log(`${name} at batch ${batch}: ${why.trim()}`);
      if (/not available/.test(why)) break;
    }
  }
  if (!r) continue;
  log(`${r[0].engine}: ${r[0].reason}`);
  for (const row of r) {
    delete row.reason;
    results.push(row);
    log(JSON.stringify(row));
  }
}

try {
  const torch = JSON.parse(
    execFileSync('/usr/bin/python3', [fileURLToPath(new URL('./train_torch.py', import.meta.url)), '2'], { encoding: 'utf8' }),
  );
  results.push({
    engine: torch.engine,
    workers: 1,
    train_batch: 64,
    train_images_per_s: torch.train_images_per_s,
    supernet_train_images_per_s: null,
    eval_images_per_s: torch.eval_images_per_s,
    eval_runtime: 'pytorch',
    tfjs_eval_images_per_s: null,
  });
} catch (e) {
  log(`pytorch reference skipped: ${String(e.message).split('\n')[0]} (apt-get install python3-torch)`);
}

if (json) for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
else {
  process.stdout.write(
    '| engine | threads | train batch | train images/s (MB_3_3 net) | train images/s (supernet, random path) | evaluation images/s (runtime) | TF.js inference images/s |\n|---|---|---|---|---|---|---|\n',
  );
  for (const r of results)
    process.stdout.write(
      `| ${r.engine} | ${r.workers} | ${r.train_batch} | ${r.train_images_per_s} | ${r.supernet_train_images_per_s ?? '—'} | ${r.eval_images_per_s} (${r.eval_runtime}) | ${r.tfjs_eval_images_per_s ?? '—'} |\n`,
    );
}
