// The phases of `hurricane search` as one table: each owns files in the run folder (removed by
// `--from`) and runs one step of Algorithm 1, reading what earlier phases recorded.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../atomic-write.js';
import type { LatencyMeasurement } from '../contracts/hardware-adapter.js';
import { exportArchitecture } from '../onnx/model-files.js';
import { unstableContexts } from '../profile/reduction.js';
import { noiseFigures, noiseLine, renderSearchReport } from '../report/search-report.js';
import type { RetrainSummary, TargetLatency, VerifiedLimit, VerifySummary } from '../report/search-summaries.js';
import type { HurricaneSession } from '../session/session.js';
import { type IterationResult, type SearchEvent, type SearchJournal, coordinateAscent } from '../search/coordinate-ascent.js';
import type { EvolutionState } from '../search/evolution.js';
import { addVerifiedArchitecture, measureDataset } from './predictor-dataset.js';
import { fitPredictor } from './predictor-run.js';
import { buildSpace, measureNetwork, profile, spacePath } from './profile-run.js';
import type { ReducedSpace } from '../profile/reduction.js';
import { shareSpace } from '../profile/shared-space.js';
import { writeSpace } from '../profile/space-file.js';
import type { RunFolder, SearchPhase } from './run-folder.js';
import {
  type ExportSummary,
  type IterationSummary,
  type Phase,
  type RunContext,
  type SearchResult,
  otherTarget,
  perTarget,
  resultOf,
  spaceOf,
} from './search-context.js';
import type { EngineRun } from './search-engine.js';
import {
  datasetFile,
  initialArchitecture,
  predictorFile,
  latencyModelOf,
  predictorModel,
  runBudget,
  runConstraint,
  runLimits,
  searchedCandidates,
} from './search-latency.js';
import type { Architecture } from '../space/architecture.js';
import { architectureCosts } from '../space/inspect.js';
import { rankCheckPhase } from './search-rank-check.js';
import { shortlistPhase } from './search-shortlist.js';
import { PARETO_FILE, type ParetoFile, paretoOf } from './search-pareto.js';

/** Measurement sessions of the winner in the verify phase (their median is reported). */
const VERIFY_SESSIONS = 3;

/** The run folder's search journal: finished iterations and the evolution state, written atomically. */
function journalOf(run: RunFolder): SearchJournal {
  return {
    iteration: (i) => run.readJson<IterationResult>(`iteration-${i}.json`),
    saveIteration: (r) => run.writeJson(`iteration-${r.iteration}.json`, r),
    evolution: (i) => run.readJson<EvolutionState>(`evolution-${i}.json`),
    saveEvolution: (i, s) => run.writeJson(`evolution-${i}.json`, s),
  };
}

/** Progress lines for the evolution: one per evaluation with the best so far. */
function searchEvents(c: RunContext, perIteration: number) {
  const { progress, log } = c;
  let best = 0;
  let bar = false;
  const stopBar = () => {
    if (bar) progress.stop();
    bar = false;
  };
  return (e: SearchEvent) => {
    if (e.kind === 'iteration') {
      log(
        `iteration ${e.iteration}: layers ${e.activeLayers[0]}–${e.activeLayers.at(-1)} active, ${e.size.toExponential(2)} architectures, ${(e.admitted * 100).toFixed(1)} % of them within the budget`,
      );
      if (e.admitted >= 0.99)
        log(`WARNING: iteration ${e.iteration}: the budget admits almost all of this sub-space, so latency will not decide here`);
    } else if (e.kind === 'trained') {
      const t = e.training;
      log(`iteration ${e.iteration}: supernet trained for ${t.steps} steps (loss EMA ${t.lossEma.toFixed(4)}, stopped by ${t.stoppedBy})`);
      best = 0;
    } else if (e.kind === 'evaluated') {
      if (!bar) progress.start(perIteration, e.count - 1, `iteration ${e.iteration}: evolution`);
      bar = true;
      best = Math.max(best, e.candidate.accuracy);
      const cand = e.candidate;
      progress.advance(
        1,
        `gen ${cand.generation}: ${(cand.accuracy * 100).toFixed(2)} % at ${cand.latencyMs.toFixed(3)} ms (best ${(best * 100).toFixed(2)} %)`,
      );
    } else if (e.kind === 'rescoring') {
      stopBar();
      log(`iteration ${e.iteration}: scoring the top ${e.count} again after recalibration on an independent sample (fitness noise)`);
    } else {
      stopBar();
      const r = e.result;
      log(
        `iteration ${r.iteration}: a_win ${r.winner.join(' ')} — ${(r.best.accuracy * 100).toFixed(2)} % validation at ${r.best.latencyMs.toFixed(3)} ms predicted`,
      );
      if (r.noise) log(`iteration ${r.iteration}: ${noiseLine(noiseFigures(r.noise))}`);
    }
  };
}

const iterationSummary = (r: IterationResult): IterationSummary => ({
  iteration: r.iteration,
  activeLayers: r.activeLayers,
  supernetSteps: r.training.steps,
  lossEma: r.training.lossEma,
  stoppedBy: r.training.stoppedBy,
  evaluated: r.evaluated.length,
  rejected: r.rejected,
  ...(r.admitted !== undefined ? { admitted: r.admitted } : {}),
  bestAccuracy: r.best.accuracy,
  winner: r.winner,
  ...(r.noise ? { noise: noiseFigures(r.noise) } : {}),
});

/** What the engine's trainer and retraining get from the run. */
function engineRun(c: RunContext): EngineRun {
  return { session: c.session, backbone: c.backbone, journal: c.run, progress: c.progress, ...c.signal, lossTarget: c.o.lossTarget };
}

/**
 * Fits the latency predictor on the run's data set. One that cannot rank the data stops the run
 * here, before any supernet training, unless `search.allowWeakPredictor` (the SPOS baseline answers
 * to the calibrated lookup table, not to this predictor, so it only records the verdict).
 */
async function predictorPhase(c: RunContext) {
  const sc = c.session.config.core.search;
  return perTarget(c, async (s) => {
    const on = c.others.length > 0 ? ` on ${s.target.name}` : '';
    const f = await fitPredictor(s, {
      ...{ train: c.run.file(datasetFile(c, s)), output: c.run.file(predictorFile(c, s)) },
      onStage: (x) => c.log(`predictor${on}: ${x}`),
      allowWeak: sc.allowWeakPredictor || (sc.baseline && sc.baselineSpace === 'full'),
      weakOverride: 'set search.allowWeakPredictor: true with an explicit search.budgetMs',
    });
    const ranking = f.predictor.metrics.ranking;
    if (ranking && !ranking.ok && !(sc.baseline && sc.baselineSpace === 'full'))
      c.log(
        `WARNING: the latency predictor${on} cannot rank these latencies (${ranking.reason}); searching anyway (search.allowWeakPredictor)`,
      );
    return { model: f.predictor.model.kind, holdout: f.predictor.metrics.holdout, reason: f.selection?.reason ?? null, ranking };
  });
}

/**
 * Each target's reduced space, and for a search on several targets the one they share
 * (`search.sharedSpace`, written to the run folder's `space.json`): the shared kept operators of
 * each layer, plus the first target's exploring operator and Skip where its space has them.
 */
async function spacePhase(c: RunContext): Promise<{ file: string; unstable: string[]; shared?: SharedSpaceRecord }> {
  const spaces: ReducedSpace[] = [];
  for (const s of [c.session, ...c.others]) {
    const { space } = await buildSpace(s);
    const unstable = unstableContexts(space);
    if (unstable.length > 0)
      c.log(
        `space: unstable kept sets in ${unstable.map((u) => `${u.contextId} (${u.weakest})`).join(', ')}: '${s.command('profile --until-stable')}' measures more rounds of them`,
      );
    spaces.push(space);
  }
  const first = spaces[0] as ReducedSpace;
  const unstable = [...new Set(spaces.flatMap((sp) => unstableContexts(sp).map((u) => u.contextId)))];
  if (c.others.length === 0) return { file: spacePath(c.session), unstable };
  const { rule, keep } = { rule: c.session.config.core.search.sharedSpace, keep: c.session.config.core.reduction.keep };
  const shared = shareSpace(spaces, { rule, keep, cap: keep });
  const candidates = shared.candidates.map((ops, l) => {
    const extra = (first.candidates[l] ?? []).filter((op) => !(first.layers[l]?.kept ?? []).includes(op) && !ops.includes(op));
    return [...ops, ...extra];
  });
  const space: ReducedSpace = {
    ...first,
    layers: first.layers.map((l, i) => ({ ...l, kept: [...(shared.candidates[i] ?? [])] })),
    candidates,
    initialArch: shared.initialArch,
  };
  writeSpace(c.run.file('space.json'), space);
  const targets = [c.session, ...c.others].map((s) => s.target.name);
  const kept = targets.map((t, k) => ({
    target: t,
    ownKeptShared: shared.candidates.reduce((a, ops, l) => a + ops.filter((op) => spaces[k]?.layers[l]?.kept.includes(op)).length, 0),
  }));
  c.log(
    `space: one space for ${targets.join(', ')} (search.sharedSpace: ${rule}); of each target's own kept operators it holds ${kept.map((x) => `${x.ownKeptShared} (${x.target})`).join(', ')} of ${keep * first.layers.length}`,
  );
  return { file: c.run.file('space.json'), unstable, shared: { rule, targets: kept } };
}

/** What the space phase records about a shared space: the rule, and per target how many of its own kept operators the shared space holds. */
interface SharedSpaceRecord {
  readonly rule: 'worst' | 'union';
  readonly targets: readonly { readonly target: string; readonly ownKeptShared: number }[];
}

/** Coordinate ascent over the engine's supernets (or the SPOS baseline), resumed from the run folder's journal. */
async function searchPhase(c: RunContext): Promise<SearchResult> {
  const core = c.session.config.core;
  const sc = core.search;
  const space = spaceOf(c);
  const budget = await runBudget(c, space);
  const budgetMs = budget.budgetMs;
  const constraint = runConstraint(c, space, budgetMs, budget.targets);
  const candidates = searchedCandidates(c, space);
  const trainer = c.engine.trainer(engineRun(c));
  try {
    const r = await coordinateAscent({
      candidates,
      initial: initialArchitecture(c, space),
      constraint,
      trainer,
      options: {
        iterations: sc.iterations,
        t: sc.t,
        baseline: sc.baseline,
        evolution: { ...sc, seed: core.seed },
        noiseCheck: sc.noiseCheck,
      },
      journal: journalOf(c.run),
      costOf: architectureCosts(c.backbone),
      ...c.signal,
      onEvent: searchEvents(c, sc.population * sc.generations),
    });
    const shortlist = await shortlistPhase(c, r.iterations.at(-1) as IterationResult, budgetMs, budget.targets);
    const winner = shortlist ? (shortlist.candidates[shortlist.chosen] as { arch: Architecture }).arch : r.winner;
    return {
      ...{ winner, supernetSteps: r.supernetSteps, iterations: r.iterations.map(iterationSummary) },
      ...(shortlist ? { shortlist } : {}),
    };
  } finally {
    trainer.dispose();
  }
}

/** Every limit of the run with the winner's value: latency as measured (and predicted) on each target, the costs exact. */
function verifiedLimits(
  c: RunContext,
  budgetMs: number | undefined,
  measured: { measuredMs: number; predictedMs: number; targets: readonly TargetLatency[] },
  winner: Architecture,
) {
  const costs = architectureCosts(c.backbone)(winner);
  const first = measured.targets.length > 0 ? { target: c.session.target.name } : {};
  const { measuredMs, predictedMs } = measured;
  const latency: VerifiedLimit[] =
    budgetMs === undefined
      ? []
      : [{ metric: 'latency', ...first, max: budgetMs, value: measuredMs, predicted: predictedMs, met: measuredMs <= budgetMs }];
  const others = measured.targets.map(
    (t): VerifiedLimit => ({
      metric: 'latency',
      target: t.target,
      max: t.budgetMs,
      value: t.measuredMs,
      predicted: t.predictedMs,
      met: t.met,
    }),
  );
  const rest = runLimits(c.session.config.core.search).costs.map(
    (l): VerifiedLimit => ({ metric: l.metric, max: l.max, value: costs[l.metric], met: costs[l.metric] <= l.max }),
  );
  // the limits are listed for runs with cost limits or several targets (search.constraints); a budget alone is `withinBudget`
  return { costs, limits: rest.length + others.length > 0 ? [...latency, ...others, ...rest] : undefined };
}

/** The median of {@link VERIFY_SESSIONS} separate measurement sessions of the winner on target `s` (one session on a busy device can be far off). */
async function measuredWinner(c: RunContext, s: HurricaneSession, winner: Architecture, weightsFile: string) {
  const sessions: LatencyMeasurement[] = [];
  for (let k = 0; k < VERIFY_SESSIONS; k++) sessions.push(await measureNetwork(s, winner, { weightsFile, ...c.signal }));
  addVerifiedArchitecture(s, winner);
  const sessionsMs = sessions.map((x) => x.medianMs).sort((a, b) => a - b);
  return {
    sessionsMs,
    measuredMs: sessionsMs[Math.floor(VERIFY_SESSIONS / 2)] as number,
    device: (sessions[0] as LatencyMeasurement).provenance.device,
  };
}

/** Measures the retrained winner on the hardware (on every target of a search on several), compares it with the prediction and every limit, and adds it to the data set. */
async function verifyPhase(c: RunContext): Promise<VerifySummary> {
  const { winner } = resultOf<SearchResult>(c, 'search');
  const { weights } = resultOf<RetrainSummary>(c, 'retrain');
  const space = spaceOf(c);
  const budget = await runBudget(c, space);
  const budgetMs = budget.budgetMs;
  const { sessionsMs, measuredMs, device } = await measuredWinner(c, c.session, winner, weights);
  const targets: TargetLatency[] = [];
  for (const b of budget.targets ?? []) {
    const s = otherTarget(c, b.target);
    const m = await measuredWinner(c, s, winner, weights);
    const predictedMs = predictorModel(c, space, s).predict([winner]).mean[0] as number;
    targets.push({ target: b.target, budgetMs: b.budgetMs, measuredMs: m.measuredMs, predictedMs, met: m.measuredMs <= b.budgetMs });
  }
  const p = latencyModelOf(c, space).predict([winner]);
  const predicted = { predictedMs: p.mean[0] as number, ...(p.std ? { predictedStdMs: p.std[0] as number } : {}) };
  const { costs, limits } = verifiedLimits(c, budgetMs, { measuredMs, predictedMs: predicted.predictedMs, targets }, winner);
  const summary = {
    ...{ measuredMs, sessionsMs, ...predicted },
    withinBudget: (budgetMs === undefined || measuredMs <= budgetMs) && targets.every((t) => t.met),
    ...{ device, flops: costs.flops, params: costs.params, peakMemory: costs.peakMemory },
    ...(limits ? { limits } : {}),
    ...(targets.length > 0 ? { targets } : {}),
  };
  if (budgetMs !== undefined && measuredMs > budgetMs)
    c.log(
      `WARNING: the winner measures ${measuredMs.toFixed(3)} ms on ${device}, OVER the ${budgetMs} ms budget (predicted ${summary.predictedMs.toFixed(3)} ms); its measurement now joins the predictor's data set: re-run with --from dataset, or lower search.budgetMs / set search.confidence`,
    );
  for (const t of targets.filter((x) => !x.met))
    c.log(
      `WARNING: the winner measures ${t.measuredMs.toFixed(3)} ms on ${t.target}, OVER its ${t.budgetMs} ms budget (predicted ${t.predictedMs.toFixed(3)} ms); its measurement now joins that target's data set: re-run with --from dataset, or lower that limit in search.constraints`,
    );
  return summary;
}

/** The retrained winner as ONNX with its weights, for the vendors' converters. */
async function exportPhase(c: RunContext): Promise<ExportSummary> {
  const { winner } = resultOf<SearchResult>(c, 'search');
  const { weights } = resultOf<RetrainSummary>(c, 'retrain');
  const file = c.run.file('winner.onnx');
  const { bytes } = exportArchitecture({
    backbone: c.backbone,
    arch: winner,
    output: file,
    seed: c.session.config.core.seed,
    weightsFile: weights,
  });
  return { file, bytes, sha256: createHash('sha256').update(readFileSync(file)).digest('hex') };
}

/** `report.md` (charts as SVG files beside it), a self-contained `report.html`, and `pareto.json`. */
async function reportPhase(c: RunContext): Promise<{ markdown: string; html: string }> {
  const space = spaceOf(c);
  const { winner, shortlist } = resultOf<SearchResult>(c, 'search');
  const iterations: IterationResult[] = [];
  for (let i = 1; c.run.readJson(`iteration-${i}.json`); i++)
    iterations.push(c.run.readJson<IterationResult>(`iteration-${i}.json`) as IterationResult);
  const rendered = await renderSearchReport({
    ...{ record: c.run.readJson('run.json'), iterations, retrain: c.run.done('retrain'), verify: c.run.done('verify') },
    rankCheck: c.run.done('rank-check'),
    ...{
      space,
      backbone: c.backbone,
      budget: await runBudget(c, space),
      target: c.session.target.name,
      baseline: c.session.config.core.search.baseline,
      baselineSpace: c.session.config.core.search.baselineSpace,
      winner,
    },
    candidates: searchedCandidates(c, space),
    ...(shortlist ? { shortlist } : {}),
  });
  const target = c.session.target.name;
  const preset = c.backbone.name as ParetoFile['preset'];
  c.run.writeJson(PARETO_FILE, paretoOf({ target, preset, winner, ...(shortlist ? { shortlist } : {}) }, iterations));
  for (const [name, svg] of Object.entries(rendered.charts)) writeFileAtomicSync(c.run.file(name), svg);
  writeFileAtomicSync(c.run.file('report.md'), rendered.markdown);
  writeFileAtomicSync(c.run.file('report.html'), rendered.html);
  return { markdown: c.run.file('report.md'), html: c.run.file('report.html') };
}

/**
 * The phases of `hurricane search` (docs/method.md §2), in {@link SEARCH_PHASES}'s order: the
 * hardware half of Algorithm 1 (profile → space → predictor data set → predictor), coordinate
 * ascent over supernets, then retrain → verify on the hardware → ONNX export → report.
 */
export const PHASES: { readonly [P in SearchPhase]: Phase } = {
  profile: {
    files: [],
    run: (c) =>
      perTarget(c, async (s) => {
        if (c.others.length > 0) c.log(`profile: target ${s.target.name}`);
        const p = await profile(s, {
          progress: c.progress,
          log: (l) => c.log(l),
          ...c.signal,
          ...(c.o.from === 'profile' ? { force: true } : {}),
        });
        return { device: p.device, total: p.total, measured: p.measured, reused: p.reused };
      }),
  },
  space: { files: ['space.json'], run: spacePhase },
  dataset: {
    files: ['predictor-dataset.csv', 'predictor-dataset.meta.json', 'predictor-dataset-on-*.csv', 'predictor-dataset-on-*.meta.json'],
    run: async (c) => {
      const sc = c.session.config.core.search;
      const shared = c.others.length > 0 ? { space: spaceOf(c) } : {};
      return perTarget(c, async (s) => {
        const d = await measureDataset(s, {
          ...{ n: sc.datasetSize, repeats: sc.datasetRepeats, output: c.run.file(datasetFile(c, s)), ...shared },
          ...{ progress: c.progress, log: (l: string) => c.log(l), ...c.signal },
        });
        return { rows: d.meta.architectures.length, measured: d.measured, reused: d.reused, noiseFloor: d.meta.noiseFloor };
      });
    },
  },
  predictor: { files: ['predictor.json', 'predictor-on-*.json'], run: predictorPhase },
  search: { files: ['supernet-*.safetensors', 'evolution-*.json', 'iteration-*.json'], run: searchPhase },
  retrain: {
    files: ['retrain.safetensors', 'winner.safetensors'],
    run: async (c) => {
      const r = await c.engine.retrain(engineRun(c), resultOf<SearchResult>(c, 'search').winner);
      c.log(`retrained winner: ${(r.testAccuracy * 100).toFixed(2)} % test accuracy on ${r.testImages} images`);
      return r;
    },
  },
  verify: { files: [], run: verifyPhase },
  export: { files: ['winner.onnx'], run: exportPhase },
  'rank-check': { files: ['rank-check-*.safetensors'], run: (c) => rankCheckPhase(c, engineRun(c)) },
  report: { files: ['report.md', 'report.html', 'candidates.svg', 'supernet-steps.svg', PARETO_FILE], run: reportPhase },
};
