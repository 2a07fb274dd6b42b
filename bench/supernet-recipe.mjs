#!/usr/bin/env node
// npm run bench:recipe — does the supernet learn on an operator set the reduction can produce?
// Trains the mnist-preset supernet with {SEP_3, MB_3_1, MB_5_6, Choice_7_SE} in every layer (the set
// on which SPOS's default recipe stays at chance loss) on the first 8,000 Fashion-MNIST training
// images, in Hurricane (TF.js, data-parallel workers) and in an independent PyTorch supernet with
// the same recipe (bench/supernet_recipe_torch.py), for each recipe variant: plain, a linear
// warm-up, zero-γ residual init, both. Prints the loss EMA at 25 %, 50 %, 75 % and 100 % of the
// steps and whether each variant helps both engines. Every finished run is written to
// <out>/recipe.json at once, so a killed benchmark continues where it stopped.
// Usage: node bench/supernet-recipe.mjs [--steps 300] [--warmup 100] [--seeds 0,1] [--lr 0.1] [--out .bench-work/recipe] [--json]
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { layerContexts, preset } from '@hurricane/core';
import { Supernet, channelStats, loadIdxFolder, selectEngine, trainNetwork, trainingView } from '@hurricane/core/train';
import writeFileAtomic from 'write-file-atomic';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const log = (s) => process.stderr.write(`${s}\n`);
const steps = Number(opt('--steps', '300'));
const warm = Number(opt('--warmup', '100'));
const lr = Number(opt('--lr', '0.1'));
const seeds = opt('--seeds', '0,1').split(',').map(Number);
const out = path.resolve(opt('--out', '.bench-work/recipe'));
const DATA = '/usr/share/datasets/fashion-mnist';
if (![steps, warm, lr, ...seeds].every((v) => Number.isFinite(v) && v >= 0) || steps < 4 || seeds.length < 1) {
  log('--steps must be ≥ 4, --warmup, --lr and every --seeds value numbers ≥ 0');
  process.exit(2);
}
if (!existsSync(DATA)) {
  log(`${DATA} is missing: run 'sudo apt-get install dataset-fashion-mnist' and start again`);
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const file = path.join(out, 'recipe.json');
const done = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
const OPS = ['SEP_3', 'MB_3_1', 'MB_5_6', 'Choice_7_SE'];
const VARIANTS = [
  { name: 'SPOS recipe', warmup: 0, zero: 0 },
  { name: `warm-up ${warm}`, warmup: warm, zero: 0 },
  { name: 'zero-γ', warmup: 0, zero: 1 },
  { name: `warm-up ${warm} + zero-γ`, warmup: warm, zero: 1 },
];
const marks = [0.25, 0.5, 0.75, 1].map((f) => Math.round(f * steps));

const engine = await selectEngine('auto');
const { train } = loadIdxFolder(DATA);
const idx = Array.from({ length: 8000 }, (_, i) => i);
const { mean, std } = channelStats(train, idx);
const data = trainingView(train, idx, { augmentation: { cropPadding: 2, flip: false }, mean, std });
const backbone = preset('mnist');

/** One Hurricane run: the loss EMA at each mark. */
async function hurricane(v, seed) {
  const net = new Supernet(
    backbone,
    seed,
    layerContexts(backbone).map(() => OPS),
  );
  const emas = [];
  try {
    await trainNetwork(net, data, {
      ...{ steps, batchSize: 64, lr, momentum: 0.9, weightDecay: 4e-5, labelSmoothing: 0.1, schedule: 'linear', seed },
      ...{ warmupSteps: v.warmup, zeroInitResidual: v.zero === 1, workers: 2 },
      onStep: (s) => {
        if (marks.includes(s.step)) emas.push(s.lossEma);
      },
    });
  } finally {
    net.dispose();
  }
  return emas;
}

/** One PyTorch run: the loss EMA at each mark (its script prints it every 25 steps). */
function pytorch(v, seed) {
  const script = fileURLToPath(new URL('./supernet_recipe_torch.py', import.meta.url));
  const argv = [script, String(steps), String(v.warmup), String(v.zero), String(lr), String(seed), DATA];
  const r = JSON.parse(execFileSync('/usr/bin/python3', argv, { encoding: 'utf8', timeout: 4 * 3_600_000 }));
  const every = r.emas.split(' ').map(Number);
  return marks.map((m) => (m % 25 === 0 ? every[m / 25 - 1] : Number.NaN));
}

log(
  `supernet recipe: mnist preset, {${OPS.join(', ')}} in every layer, 8,000 Fashion-MNIST images, ${steps} steps, lr ${lr}, seeds ${seeds.join(', ')}; Hurricane on ${engine.engine}`,
);
for (const v of VARIANTS) {
  for (const seed of seeds) {
    for (const [who, run] of [
      ['hurricane', hurricane],
      ['pytorch', pytorch],
    ]) {
      const key = `${who}|${v.warmup}|${v.zero}|${seed}|${steps}|${lr}`;
      if (done[key]) continue;
      const t0 = performance.now();
      const emas = await run(v, seed);
      done[key] = { emas, seconds: (performance.now() - t0) / 1000 };
      writeFileAtomic.sync(file, `${JSON.stringify(done, null, 2)}\n`);
      log(`${who} ${v.name}, seed ${seed}: loss EMA ${emas.map((e) => e.toFixed(3)).join(' → ')}`);
    }
  }
}

const meanOf = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const rows = VARIANTS.map((v) => {
  const of = (who) => seeds.map((seed) => done[`${who}|${v.warmup}|${v.zero}|${seed}|${steps}|${lr}`].emas);
  const avg = (who) => marks.map((_, k) => meanOf(of(who).map((e) => e[k])));
  return { variant: v.name, hurricane: avg('hurricane'), pytorch: avg('pytorch') };
});
if (args.includes('--json')) process.stdout.write(`${JSON.stringify({ steps, lr, seeds, marks, rows }, null, 2)}\n`);
else {
  const base = rows[0];
  process.stdout.write(
    `| variant | Hurricane loss EMA at ${marks.join(' / ')} steps | PyTorch loss EMA at ${marks.join(' / ')} | final vs SPOS recipe (Hurricane / PyTorch) |\n|---|---|---|---|\n`,
  );
  for (const r of rows) {
    const d = (who) => (r[who].at(-1) - base[who].at(-1)).toFixed(3);
    process.stdout.write(
      `| ${r.variant} | ${r.hurricane.map((e) => e.toFixed(3)).join(' / ')} | ${r.pytorch.map((e) => e.toFixed(3)).join(' / ')} | ${d('hurricane')} / ${d('pytorch')} |\n`,
    );
  }
  process.stdout.write(`\nmean over seeds ${seeds.join(', ')}; ln 10 = 2.303 is chance (a little higher with label smoothing 0.1)\n`);
}
