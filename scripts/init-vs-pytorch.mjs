#!/usr/bin/env node
// Dev script: Hurricane's early training-loss curve beside PyTorch's, on the same network and the
// same batches, to check that Hurricane's initialisation learns as fast as the reference
// (docs/training.md, "Initialisation").
//   node scripts/init-vs-pytorch.mjs [--steps 300] [--seeds 0,1] [--same-init] [--arch MB_3_3,...] [--data /usr/share/datasets/fashion-mnist]
// --same-init starts Hurricane from PyTorch's initial weights: what is left between the curves is
// then the training itself (forward, backward, SGD), not the initialisation.
// Needs Debian's dataset-fashion-mnist and python3-torch; run `npm run build` first. The network is
// the `mnist` preset with `--arch` (default: a mix of all four families); both sides train with
// SPOS's settings (lr 0.1 linear decay, momentum 0.9, weight decay 4e-5, label smoothing 0.1,
// batch 64) on identical, unaugmented batches; each seed of --seeds initialises both sides anew
// (the table shows the mean over seeds). PyTorch builds its copy from Hurricane's own graph
// (scripts/init_vs_pytorch.py) and initialises it as torchvision's MobileNetV2 does.
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { PRESETS, coreDefaults, layerContexts } from '@hurricane/core';
import {
  BatchSampler,
  StandaloneNetwork,
  channelStats,
  loadNetworkWeights,
  selectEngine,
  trainNetwork,
  trainingView,
} from '@hurricane/core/train';

const args = process.argv.slice(2);
const opt = (name, def) => (args.includes(name) ? args[args.indexOf(name) + 1] : def);
const steps = Number(opt('--steps', '300'));
const dataDir = opt('--data', '/usr/share/datasets/fashion-mnist');
const backbone = PRESETS.mnist();
const mix = ['MB_3_3', 'SEP_3', 'Choice_3', 'MB_5_6_SE', 'ChoiceX', 'MB_3_1'];
const arch = opt(
  '--arch',
  layerContexts(backbone)
    .map((_, i) => mix[i % mix.length])
    .join(','),
).split(',');
const seeds = opt('--seeds', '0').split(',').map(Number);
const seed = 0; // the batch order
const batchSize = 64;
const log = (s) => process.stderr.write(`${s}\n`);

/** An IDX file (the MNIST format): magic, dimensions, then the bytes. */
function idx(file) {
  const b = gunzipSync(readFileSync(file));
  const dims = b[3];
  const shape = Array.from({ length: dims }, (_, i) => b.readUInt32BE(4 + 4 * i));
  return { shape, data: b.subarray(4 + 4 * dims) };
}
for (const [what, ok, fix] of [
  [
    'Fashion-MNIST',
    () => readFileSync(path.join(dataDir, 'train-labels-idx1-ubyte.gz')),
    `apt-get install dataset-fashion-mnist, or pass --data <folder>`,
  ],
  ['PyTorch', () => execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }), 'apt-get install python3-torch'],
]) {
  try {
    ok();
  } catch {
    log(`init-vs-pytorch: ${what} is missing: ${fix}`);
    process.exit(2);
  }
}
const images = idx(path.join(dataDir, 'train-images-idx3-ubyte.gz'));
const labels = idx(path.join(dataDir, 'train-labels-idx1-ubyte.gz'));
const set = {
  name: 'fashion-mnist',
  shape: [1, 28, 28],
  numClasses: 10,
  classNames: [],
  pixels: images.data,
  labels: labels.data,
  count: images.shape[0],
};
const all = Array.from({ length: set.count }, (_, i) => i);
const { mean, std } = channelStats(set, all);
const view = trainingView(set, all, { augmentation: { cropPadding: 0, flip: false }, mean, std });
const data = { ...view, batch: (indices) => view.batch(indices, null) };

const dir = mkdtempSync(path.join(os.tmpdir(), 'hurricane-init-'));
try {
  // The batches, in the trainer's order, for PyTorch.
  const sampler = new BatchSampler(data.size, batchSize, seed);
  const chunks = [];
  for (let s = 0; s < steps; s++) {
    const b = data.batch(sampler.indices(s));
    const n = Buffer.alloc(4);
    n.writeUInt32LE(b.labels.length);
    chunks.push(n, Buffer.from(b.x.buffer), Buffer.from(b.labels.buffer));
  }
  writeFileSync(path.join(dir, 'batches.bin'), Buffer.concat(chunks));
  const g = new StandaloneNetwork(backbone, arch, 0).graph(arch);
  writeFileSync(
    path.join(dir, 'graph.json'),
    JSON.stringify({ input: g.input.id, output: g.output.id, inputShape: backbone.input, nodes: g.nodes }),
  );
  const py = fileURLToPath(new URL('./init_vs_pytorch.py', import.meta.url));
  const engine = await selectEngine('auto');
  const torchLoss = Array(steps).fill(0);
  const hurricaneLoss = Array(steps).fill(0);
  for (const s of seeds) {
    log(`seed ${s}: PyTorch, ${steps} steps of the mnist network (${arch.join(',')}) on Fashion-MNIST …`);
    const init = path.join(dir, `init-${s}.safetensors`);
    const pyArgs = [py, path.join(dir, 'graph.json'), path.join(dir, 'batches.bin'), '0.1', String(steps), String(s), init];
    const out = execFileSync('/usr/bin/python3', pyArgs, {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    });
    out
      .trim()
      .split('\n')
      .forEach((l, i) => {
        torchLoss[i] += Number(l) / seeds.length;
      });
    log(`seed ${s}: Hurricane (${engine.engine}), ${steps} steps …`);
    const net = new StandaloneNetwork(backbone, arch, s);
    if (args.includes('--same-init')) loadNetworkWeights(net, init);
    await trainNetwork(net, data, {
      ...(({ lr, momentum, weightDecay, labelSmoothing, schedule }) => ({ lr, momentum, weightDecay, labelSmoothing, schedule }))(
        coreDefaults().train,
      ),
      steps,
      batchSize,
      seed,
      workers: 1,
      onStep: (st) => {
        hurricaneLoss[st.step - 1] += st.loss / seeds.length;
        if (st.step % 50 === 0) log(`  step ${st.step}: loss ${st.loss.toFixed(3)}`);
      },
    });
    net.dispose();
  }
  const meanOf = (a, lo, hi) => a.slice(lo - 1, hi).reduce((x, y) => x + y, 0) / (hi - lo + 1);
  process.stdout.write(`| steps | Hurricane mean loss | PyTorch mean loss |  (seeds ${seeds.join(', ')})\n| --- | --- | --- |\n`);
  for (let lo = 1; lo <= steps; lo += 30) {
    const hi = Math.min(steps, lo + 29);
    process.stdout.write(`| ${lo}–${hi} | ${meanOf(hurricaneLoss, lo, hi).toFixed(3)} | ${meanOf(torchLoss, lo, hi).toFixed(3)} |\n`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
