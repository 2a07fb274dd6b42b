#!/usr/bin/env node
// npm run bench:train — training and inference images/s of the `cifar`-preset network (MB_3_3 in
// every layer, and the 32-operator supernet with a random path per step) at batch 64 on every
// TF.js engine available here, ONNX Runtime for inference, and PyTorch CPU (bench/train_torch.py,
// Debian's python3-torch, 2 threads) as the reference. Usage: node bench/train.mjs [--json] [--engines wasm,cpu]
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { PRESETS, Rng, SPOS_TRAINING, StandaloneNetwork, Supernet, exportArchitecture, selectEngine, trainSupernet } from '@hurricane/core';
import * as tf from '@tensorflow/tfjs';

const args = process.argv.slice(2);
const json = args.includes('--json');
const engines = args.includes('--engines') ? args[args.indexOf('--engines') + 1].split(',') : ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'];
const log = (s) => process.stderr.write(`${s}\n`);
let B = 64;
const backbone = PRESETS.cifar();
const arch = Array(20).fill('MB_3_3');
const [C, H, W] = backbone.input;
const rng = new Rng(0);
const images = Float32Array.from({ length: 8 * B * H * W * C }, () => rng.next() * 2 - 1);
const labels = Int32Array.from({ length: 8 * B }, () => rng.int(0, 9));
const data = {
  size: 8 * B,
  inputShape: backbone.input,
  numClasses: 10,
  batch: (idx) => {
    const x = new Float32Array(idx.length * H * W * C);
    for (const [k, i] of idx.entries()) x.set(images.subarray(i * H * W * C, (i + 1) * H * W * C), k * H * W * C);
    return { x, labels: Int32Array.from(idx, (i) => labels[i]) };
  },
};

/** Images/s of `steps` training steps after `warm` untimed ones (time limit: stop early after `maxS`). */
async function trainRate(net, steps, warm, maxS) {
  const times = [];
  let last = performance.now();
  const controller = new AbortController();
  await trainSupernet(net, data, {
    ...SPOS_TRAINING,
    batchSize: B,
    steps: warm + steps,
    seed: 1,
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
  const x = tf.tensor4d(images.subarray(0, B * H * W * C), [B, H, W, C]);
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
if (worker) {
  const choice = await selectEngine(worker.engine);
  const slow = choice.engine === 'cpu';
  B = worker.batch;
  const net = new StandaloneNetwork(backbone, arch, 1);
  const train = await trainRate(net, slow ? 1 : 10, slow ? 0 : 2, slow ? 1 : 60);
  B = 64;
  const evalIps = evalRate(net, slow ? 1 : 15);
  net.dispose();
  B = worker.batch;
  const supernet = new Supernet(backbone, 1);
  const superTrain = await trainRate(supernet, slow ? 1 : 10, slow ? 0 : 2, slow ? 1 : 60);
  supernet.dispose();
  process.stdout.write(
    `${JSON.stringify({ engine: choice.engine, reason: choice.reason, train_batch: worker.batch, train_images_per_s: +train.toFixed(2), eval_images_per_s: +evalIps.toFixed(1), supernet_train_images_per_s: +superTrain.toFixed(2) })}\n`,
  );
  process.exit(0);
}
for (const name of engines) {
  let r = null;
  for (const batch of [64, 32]) {
    try {
      // Each engine runs in its own process: a wasm heap that overflows (4 GiB) aborts the process.
      r = JSON.parse(
        execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--worker', name, String(batch)], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'pipe'],
        })
          .trim()
          .split('\n')
          .at(-1),
      );
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
  log(`${r.engine}: ${r.reason}`);
  delete r.reason;
  results.push(r);
  log(JSON.stringify(r));
}

// ONNX Runtime inference of the same network (what validation of candidates can use).
const dir = mkdtempSync(path.join(os.tmpdir(), 'hurricane-bench-train-'));
const file = path.join(dir, 'mb33.onnx');
exportArchitecture({ backbone, arch, output: file, seed: 1 });
for (const threads of [1, 2]) {
  const { InferenceSession, Tensor } = ort;
  // batch-64 model: re-export is static batch 1, so run 64 single-image calls per "batch"
  const s = await InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  const x = new Tensor('float32', new Float32Array(C * H * W).fill(0.1), [1, C, H, W]);
  for (let i = 0; i < 20; i++) await s.run({ input: x });
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < 10_000) {
    await s.run({ input: x });
    n++;
  }
  results.push({
    engine: `onnxruntime (${threads} thread${threads > 1 ? 's' : ''}, batch 1, inference only)`,
    train_images_per_s: null,
    eval_images_per_s: +(n / ((performance.now() - t0) / 1000)).toFixed(1),
    supernet_train_images_per_s: null,
  });
  await s.release();
}

try {
  const torch = JSON.parse(
    execFileSync('/usr/bin/python3', [fileURLToPath(new URL('./train_torch.py', import.meta.url)), '2'], { encoding: 'utf8' }),
  );
  results.push({
    engine: torch.engine,
    train_images_per_s: torch.train_images_per_s,
    eval_images_per_s: torch.eval_images_per_s,
    supernet_train_images_per_s: null,
  });
} catch (e) {
  log(`pytorch reference skipped: ${String(e.message).split('\n')[0]} (apt-get install python3-torch)`);
}

if (json) for (const r of results) process.stdout.write(`${JSON.stringify(r)}\n`);
else {
  process.stdout.write(
    '| engine | train batch | train images/s (MB_3_3 net) | train images/s (supernet, random path) | inference images/s (batch 64) |\n|---|---|---|---|---|\n',
  );
  for (const r of results)
    process.stdout.write(
      `| ${r.engine} | ${r.train_images_per_s === null ? '—' : (r.train_batch ?? 64)} | ${r.train_images_per_s ?? '—'} | ${r.supernet_train_images_per_s ?? '—'} | ${r.eval_images_per_s} |\n`,
    );
}
