#!/usr/bin/env node
// npm run bench:search -- --random — does the search beat chance? Takes a finished `hurricane
// search` run, draws N random architectures of its reduced space that meet the same budget by the
// run's own predictor (seeded), and retrains each of them and the winner from scratch with the
// winner's schedule (search.retrainSteps, search.retrainLr, cosine) under S seeds. Reports the
// winner's test accuracy (mean ± std over seeds) against the random ones (mean, best, std). Every
// retraining is written to <run>/random-baseline.json as it finishes and resumes from its
// checkpoint, so a killed benchmark continues where it stopped.
// Usage: node bench/random-baseline.mjs [--project .] [--run hurricane] [-n 6] [--seeds 3] [--json]
import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Rng, architectureCosts, createSession, preset, retrainArchitecture } from '@hurricane/core';
import { predictorLatencyModel, readPredictorFile, restorePredictor } from '@hurricane/core/predict';
import { LatencyConstraint, LimitSet, SearchSpace } from '@hurricane/core/search';
import writeFileAtomic from 'write-file-atomic';

const args = process.argv.slice(2);
const opt = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const log = (s) => process.stderr.write(`${s}\n`);
const project = path.resolve(opt('--project', '.'));
const runName = opt('--run', 'hurricane');
const n = Number(opt('-n', '6'));
const seeds = Number(opt('--seeds', '3'));
if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(seeds) && seeds >= 2)) {
  log('-n must be a whole number ≥ 1 and --seeds one ≥ 2 (a std needs two)');
  process.exit(2);
}

const base = await createSession({ cwd: project });
const run = path.join(base.config.workDir, 'runs', runName);
const state = existsSync(path.join(run, 'state.json')) ? JSON.parse(readFileSync(path.join(run, 'state.json'), 'utf8')) : {};
if (!state.search || !state['search:budget'] || !state.space) {
  log(`${run} has no finished search: run 'hurricane search --name ${runName}' in ${project} first`);
  process.exit(2);
}
const winner = state.search.winner;
const { budgetMs, costLimits = [] } = state['search:budget'];
const space = JSON.parse(readFileSync(state.space.file, 'utf8'));
const predictorFile = path.join(run, 'predictor.json');
const model = predictorLatencyModel(restorePredictor(predictorFile, readPredictorFile(predictorFile), base.predictorFactories()), space);
const sc = base.config.core.search;
const confidence = sc.constraints?.find((l) => l.metric === 'latency')?.confidence ?? sc.confidence;
const latency =
  budgetMs === undefined ? undefined : new LatencyConstraint(model, { budgetMs, ...(confidence !== undefined ? { confidence } : {}) });
// the run's cost limits (search.constraints) hold for the random architectures too
const costsOf = architectureCosts(preset(base.config.core.preset));
const constraint =
  latency && costLimits.length === 0 ? latency : new LimitSet({ ...(latency ? { latency } : {}), model, limits: costLimits, costsOf });
const accept = (a) => constraint.check([a])[0]?.ok === true;

// N distinct random architectures of the whole reduced space within the budget, seeded by the run's seed
const whole = SearchSpace.whole(space.candidates);
const rng = new Rng(base.config.core.seed + 7919);
const randoms = [];
const seen = new Set([winner.join(',')]);
for (let tries = 0; randoms.length < n && tries < 100 * n; tries++) {
  const a = whole.sampleWithin(rng, accept);
  if (!seen.has(a.join(','))) {
    seen.add(a.join(','));
    randoms.push(a);
  }
}
await base.dispose();

const resultsFile = path.join(run, 'random-baseline.json');
const results = existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : { format: 'hurricane-random-baseline', runs: {} };
const save = () => writeFileAtomic.sync(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
const jobs = [];
for (let s = 0; s < seeds; s++) {
  const seed = base.config.core.seed + s;
  jobs.push({ who: 'winner', arch: winner, seed });
  for (const [i, arch] of randoms.entries()) jobs.push({ who: `random ${i + 1}`, arch, seed });
}
for (const [k, job] of jobs.entries()) {
  const key = `${job.arch.join(',')}@${job.seed}`;
  if (results.runs[key]) continue;
  log(`[${k + 1}/${jobs.length}] ${job.who}, seed ${job.seed}: retraining ${sc.retrainSteps} steps`);
  const session = await createSession({ cwd: project, overrides: { seed: job.seed } });
  try {
    const dir = path.join(run, 'random-baseline', `${job.who.replace(' ', '-')}-s${job.seed}`);
    const r = await retrainArchitecture(session, job.arch, { dir });
    results.runs[key] = { who: job.who, arch: job.arch, seed: job.seed, testAccuracy: r.testAccuracy, testImages: r.testImages };
    save();
    log(`  test accuracy ${(r.testAccuracy * 100).toFixed(2)} %`);
  } finally {
    await session.dispose();
  }
}

const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
const std = (v) => Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1));
const accOf = (arch) =>
  Array.from({ length: seeds }, (_, s) => results.runs[`${arch.join(',')}@${base.config.core.seed + s}`].testAccuracy);
const w = accOf(winner);
const perRandom = randoms.map(accOf);
const allRandom = perRandom.flat();
const randomMeans = perRandom.map(mean);
const summary = {
  run,
  budgetMs,
  retrainSteps: sc.retrainSteps,
  seeds,
  winner: { arch: winner, mean: mean(w), std: std(w), runs: w },
  random: {
    n: randoms.length,
    mean: mean(allRandom),
    std: std(allRandom),
    best: Math.max(...randomMeans),
    stdOfMeans: std(randomMeans),
    perArchitecture: randoms.map((arch, i) => ({ arch, mean: randomMeans[i], runs: perRandom[i] })),
  },
};
summary.leadInSeedStds = (summary.winner.mean - summary.random.mean) / summary.winner.std;
if (args.includes('--json')) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
else {
  const pct = (v) => `${(v * 100).toFixed(2)} %`;
  const points = (v) => `${(v * 100).toFixed(2)} points`;
  process.stdout.write(
    [
      `random baseline of ${run}: ${[...(budgetMs !== undefined ? [`budget ${budgetMs} ms`] : []), ...costLimits.map((l) => `${l.metric} ≤ ${l.max}`)].join(', ')}, ${sc.retrainSteps} retraining steps, ${seeds} seeds`,
      '| architectures | test accuracy, mean | std | best |',
      '|---|---|---|---|',
      `| the search's winner | ${pct(summary.winner.mean)} | ${points(summary.winner.std)} (over seeds) | — |`,
      `| ${randoms.length} random within the budget | ${pct(summary.random.mean)} | ${points(summary.random.std)} (over architectures and seeds) | ${pct(summary.random.best)} (mean over seeds) |`,
      `the winner leads the random mean by ${((summary.winner.mean - summary.random.mean) * 100).toFixed(2)} points, ${summary.leadInSeedStds.toFixed(2)} times its seed std (goal: more than 2)`,
      '',
    ].join('\n'),
  );
}
