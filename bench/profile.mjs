#!/usr/bin/env node
// npm run bench:profile — profiles the full 32-operator space of the `cifar` preset on this
// machine N times (`--runs N`, default 2), in separate processes, and reports wall time,
// measurements per minute, the median and worst coefficient of variation, the run-to-run agreement
// of runs A and B (per-operator differences and per-layer top-4 overlap) and the overhead ratio
// (wall time ÷ time inside timed inference). The kept sets of every pair of runs are compared as
// `hurricane space` reduces them and, on the same measurements, by two earlier rules: independent
// p10 with no ties, and the paired median of round minima with 3 % ties broken by capacity.
// `--load` runs a CPU-burning process beside the profiles (the loaded-machine figures).
// `--until-stable M` profiles with `hurricane profile --until-stable --stable-minutes M` (the wall
// time then includes the extra passes, which the overhead ratio does not count as timed).
// Usage: node bench/profile.mjs [--preset cifar] [--runs N] [--load] [--until-stable M] [--json]
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { preset } from '@hurricane/core';
import { reduceSpace } from '@hurricane/core/profile';

const args = process.argv.slice(2);
const json = args.includes('--json');
const presetName = args.includes('--preset') ? args[args.indexOf('--preset') + 1] : 'cifar';
const runCount = args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 2;
const stableMinutes = args.includes('--until-stable') ? args[args.indexOf('--until-stable') + 1] : undefined;
if (stableMinutes !== undefined && !(Number(stableMinutes) > 0)) {
  process.stderr.write('bench:profile: --until-stable takes the minutes it may take (a number > 0)\n');
  process.exit(2);
}
if (!Number.isInteger(runCount) || runCount < 2) {
  process.stderr.write('bench:profile: --runs takes a whole number ≥ 2 (the profiles to compare)\n');
  process.exit(2);
}
const cli = fileURLToPath(new URL('../packages/core/bin/hurricane.js', import.meta.url));
const log = (s) => process.stderr.write(`${s}\n`);

function run(workDir, extra) {
  return execFileSync(process.execPath, [cli, '--preset', presetName, '--work-dir', workDir, '--plugin', 'arm-cpu', ...extra], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  });
}

const burner = args.includes('--load')
  ? spawn(process.execPath, ['-e', 'for (;;) Math.sqrt(Math.random())'], { stdio: 'ignore' })
  : undefined;
burner?.unref(); // never keeps this process alive
process.on('exit', () => burner?.kill('SIGKILL'));
const runs = [];
for (const label of Array.from({ length: runCount }, (_, i) => String.fromCharCode(65 + i))) {
  const workDir = mkdtempSync(path.join(os.tmpdir(), `hurricane-bench-${label}-`));
  log(`run ${label}: profiling preset ${presetName} into ${workDir}`);
  const t0 = performance.now();
  const stable = stableMinutes ? ['--until-stable', '--stable-minutes', stableMinutes] : [];
  const summary = JSON.parse(run(workDir, ['profile', ...stable, '--json']));
  const wallMs = performance.now() - t0;
  const space = JSON.parse(run(workDir, ['space', '--json']));
  const db = new Database(path.join(workDir, 'latency.sqlite'), { readonly: true });
  const rows = db.prepare('SELECT operator, context_id, measurement FROM operator_latency').all();
  db.close();
  const m = new Map(rows.map((r) => [`${r.operator}@${r.context_id}`, JSON.parse(r.measurement)]));
  runs.push({ label, wallMs, summary, space, m });
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.ceil(pos)] - s[lo]) * (pos - lo);
};
burner?.kill('SIGKILL');
const [a, b] = runs;
const statistic = a.space.options.statistic;
const pick = (m, stat) => (stat === 'p10' ? m.p10Ms : stat === 'median' ? m.medianMs : m.meanMs);
const diffsOf = (stat) => {
  const out = [];
  for (const [key, ma] of a.m) {
    const mb = b.m.get(key);
    if (mb)
      out.push({
        key,
        rel: Math.abs(pick(ma, stat) - pick(mb, stat)) / ((pick(ma, stat) + pick(mb, stat)) / 2),
        a: pick(ma, stat),
        b: pick(mb, stat),
      });
  }
  return out;
};
const diffs = diffsOf(statistic);
const medianDiffs = diffsOf('median');
const covs = runs.flatMap((r) => [...r.m.values()].map((x) => x.cov));
const uncertainties = runs.flatMap((r) => [...r.m.values()].map((x) => (x.uncertaintyMs ?? 0) / x.medianMs));
const layers = a.space.layers.map((la, i) => {
  const lb = b.space.layers[i];
  const sa = new Set(la.kept);
  const overlap = lb.kept.filter((op) => sa.has(op)).length;
  return { layer: i + 1, same: overlap === la.kept.length && la.kept.length === lb.kept.length, overlap, a: la.kept, b: lb.kept };
});
const distinctLayers = [...new Map(a.space.layers.map((l, i) => [l.contextId, layers[i]])).values()];
// the earlier rule on the same measurements: per context the four best by the statistic alone
const legacyKept = (r, l) =>
  l.ranking
    .map((x) => ({ op: x.operator, v: pick(r.m.get(`${x.operator}@${l.contextId}`), statistic) }))
    .sort((x, y) => x.v - y.v || (x.op < y.op ? -1 : 1))
    .slice(0, l.kept.length)
    .map((x) => x.op);
const legacy = a.space.layers.map((la, i) => {
  const ka = legacyKept(a, la);
  const kb = legacyKept(b, b.space.layers[i]);
  return { same: ka.every((op) => kb.includes(op)), contextId: la.contextId };
});
const legacyContexts = [...new Map(legacy.map((l) => [l.contextId, l])).values()];
const tiesOf = (r) =>
  r.space.layers.filter((l) => new Set(l.ranking.filter((x) => x.tie !== null && x.tie !== undefined).map((x) => x.tie)).size > 0).length;
const unstableOf = (r) => [...new Set(r.space.layers.filter((l) => l.unstable).map((l) => l.contextId))];
const result = {
  preset: presetName,
  device: a.summary.device,
  runtime: a.summary.runtimeVersion,
  measurements_per_run: a.summary.total,
  runs: runs.map((r) => ({
    run: r.label,
    wall_s: +(r.wallMs / 1000).toFixed(1),
    measurements_per_min: +((r.summary.measured / r.wallMs) * 60_000).toFixed(0),
    timed_inference_s: +(r.summary.timedMs / 1000).toFixed(1),
    overhead_ratio: +(r.wallMs / r.summary.timedMs).toFixed(2),
  })),
  cov: { median: +quantile(covs, 0.5).toFixed(3), worst: +Math.max(...covs).toFixed(3) },
  relative_uncertainty_95: { median: +quantile(uncertainties, 0.5).toFixed(4), worst: +Math.max(...uncertainties).toFixed(4) },
  ranking_statistic: statistic,
  run_to_run_median_statistic: {
    median_rel_diff: +quantile(
      medianDiffs.map((d) => d.rel),
      0.5,
    ).toFixed(4),
    p90_rel_diff: +quantile(
      medianDiffs.map((d) => d.rel),
      0.9,
    ).toFixed(4),
    within_5pct: `${medianDiffs.filter((d) => d.rel <= 0.05).length}/${medianDiffs.length}`,
  },
  run_to_run: {
    median_rel_diff: +quantile(
      diffs.map((d) => d.rel),
      0.5,
    ).toFixed(4),
    p90_rel_diff: +quantile(
      diffs.map((d) => d.rel),
      0.9,
    ).toFixed(4),
    max_rel_diff: +Math.max(...diffs.map((d) => d.rel)).toFixed(4),
    within_5pct: `${diffs.filter((d) => d.rel <= 0.05).length}/${diffs.length}`,
    worst: diffs
      .sort((x, y) => y.rel - x.rel)
      .slice(0, 5)
      .map((d) => `${d.key}: ${d.a.toFixed(4)} vs ${d.b.toFixed(4)} ms`),
    top4_identical_layers: `${layers.filter((l) => l.same).length}/${layers.length}`,
    top4_identical_contexts: `${distinctLayers.filter((l) => l.same).length}/${distinctLayers.length}`,
    top4_mean_overlap: +(layers.reduce((s, l) => s + l.overlap, 0) / layers.length).toFixed(2),
    earlier_rule_top4_identical_layers: `${legacy.filter((l) => l.same).length}/${legacy.length}`,
    earlier_rule_top4_identical_contexts: `${legacyContexts.filter((l) => l.same).length}/${legacyContexts.length}`,
    layers_with_ties: runs.map(tiesOf),
    unstable_contexts: runs.map(unstableOf),
    min_kept_confidence: runs.map((r) => Math.min(...r.space.layers.flatMap((l) => Object.values(l.confidence ?? { x: 1 })))),
    differing_layers: layers.filter((l) => !l.same).map((l) => `layer ${l.layer}: ${l.a.join(',')} vs ${l.b.join(',')}`),
  },
};
// every rule on every pair of runs (the same measurements for all rules)
const backbone = preset(presetName);
const fastest = { name: 'eq4', description: 'α = 0: 1 / latency', score: (o) => 1 / o.latencyMs }; // the default scoring
const reduceWith = (r, options, evidence) =>
  reduceSpace(backbone, (op, ctx) => evidence(r.m.get(`${op}@${ctx}`)), fastest, r.space, { ...r.space.options, bootstrap: 0, ...options });
const p10Of = (m) => m && pick(m, statistic);
const rules = [
  { name: '`hurricane space` (this build)', kept: (r) => r.space.layers.map((l) => l.kept) },
  {
    name: 'paired median of round minima, 3 % ties by capacity (before)',
    kept: (r) =>
      reduceWith(r, { statistic: 'median', tieTolerance: 0.03, tieSpread: 0, tieBreak: 'capacity' }, (m) =>
        m ? { latencyMs: p10Of(m), rounds: m.rounds && { batch: m.rounds.batch, ms: m.rounds.ms } } : undefined,
      ).layers.map((l) => l.kept),
  },
  {
    name: `independent ${statistic}, no ties (earlier)`,
    kept: (r) => reduceWith(r, { tieTolerance: 0, tieSpread: 0 }, p10Of).layers.map((l) => l.kept),
  },
];
result.all_pairs = rules.map((rule) => {
  const sets = runs.map((r) => rule.kept(r).map((k) => [...k].sort().join(',')));
  const agree = [];
  for (let i = 0; i < sets.length; i++)
    for (let j = i + 1; j < sets.length; j++) agree.push(sets[i].filter((k, l) => k === sets[j][l]).length);
  return {
    rule: rule.name,
    mean_identical_layers: +(agree.reduce((x, y) => x + y, 0) / agree.length).toFixed(2),
    min_identical_layers: Math.min(...agree),
    per_pair: agree,
  };
});
if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
else {
  const r = result;
  const lines = [
    `bench:profile — preset ${r.preset}, ${r.measurements_per_run} operator measurements per run, ${r.device}, ONNX Runtime ${r.runtime}${burner ? ', beside a CPU-burning process' : ''}${stableMinutes ? `, profile --until-stable --stable-minutes ${stableMinutes}` : ''}`,
    ...r.runs.map(
      (x) =>
        `run ${x.run}: wall ${x.wall_s} s, ${x.measurements_per_min} measurements/min, timed inference ${x.timed_inference_s} s, overhead ratio ${x.overhead_ratio}`,
    ),
    `CoV of samples: median ${r.cov.median}, worst ${r.cov.worst}`,
    `95 % uncertainty of the median (relative): median ${r.relative_uncertainty_95.median}, worst ${r.relative_uncertainty_95.worst}`,
    `run A vs run B per operator, medians: median |Δ| ${(r.run_to_run_median_statistic.median_rel_diff * 100).toFixed(2)} %, p90 ${(r.run_to_run_median_statistic.p90_rel_diff * 100).toFixed(2)} %, within 5 %: ${r.run_to_run_median_statistic.within_5pct}`,
    `run A vs run B per operator, ${r.ranking_statistic} (the ranking statistic): median |Δ| ${(r.run_to_run.median_rel_diff * 100).toFixed(2)} %, p90 ${(r.run_to_run.p90_rel_diff * 100).toFixed(2)} %, max ${(r.run_to_run.max_rel_diff * 100).toFixed(2)} %, within 5 %: ${r.run_to_run.within_5pct}`,
    `worst pairs: ${r.run_to_run.worst.join('; ')}`,
    `top-4 sets identical: ${r.run_to_run.top4_identical_layers} layers (${r.run_to_run.top4_identical_contexts} distinct contexts), mean overlap ${r.run_to_run.top4_mean_overlap}/4`,
    ...r.run_to_run.differing_layers.map((l) => `  differs: ${l}`),
    `earlier rule (independent ${r.ranking_statistic}, no ties) on the same measurements: top-4 identical ${r.run_to_run.earlier_rule_top4_identical_layers} layers (${r.run_to_run.earlier_rule_top4_identical_contexts} contexts)`,
    `layers with ties: ${r.run_to_run.layers_with_ties.join(' and ')}; unstable contexts: ${r.run_to_run.unstable_contexts.map((u) => (u.length ? u.join(',') : 'none')).join(' and ')}; least kept confidence ${r.run_to_run.min_kept_confidence.map((c) => c.toFixed(2)).join(' and ')}`,
    `all ${runs.length} runs, every pair (${(runs.length * (runs.length - 1)) / 2}): layers of ${a.space.layers.length} with identical kept sets, mean / min`,
    ...r.all_pairs.map((x) => `  ${x.rule}: ${x.mean_identical_layers} / ${x.min_identical_layers}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
