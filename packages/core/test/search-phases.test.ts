// The phases of `hurricane search` driven in this process with a dummy engine (no TF.js): a known
// fitness instead of a trained supernet, seeded weights instead of retraining. The hardware half
// runs for real on the simulated device; what the phases record, resume and discard is checked
// against the run folder.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSession } from '../src/create-session.js';
import { type ConfigError, HurricaneError } from '../src/errors.js';
import { initialValues } from '../src/onnx/initializer.js';
import { writeWeights } from '../src/onnx/weights-file.js';
import { graphParams } from '../src/space/ir.js';
import { kendallTau } from '../src/predict/metrics.js';
import { predictorLatencyModel } from '../src/predict/latency-model.js';
import { readPredictorFile, restorePredictor } from '../src/predict/predictor-file.js';
import { networkGraph, preset, skipLayersOf } from '../src/space/backbone.js';
import type { Architecture } from '../src/space/architecture.js';
import { search, type SearchEngineFactory } from '../src/workflows/search-run.js';
import { buildSpace, profile } from '../src/workflows/profile-run.js';
import { graphCost } from '../src/space/analytics.js';
import { Rng } from '../src/random.js';
import { simProject } from '../../../test/helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SMALL = {
  search: {
    ...{ iterations: 2, supernetSteps: 9, datasetSize: 12, datasetRepeats: 2 },
    ...{ population: 6, generations: 3, topK: 3, mutations: 2, crossovers: 2, rankCheck: 4, rankCheckSteps: 7 },
  },
  // the lookup table ranks 12 networks (sums of profiled operator latencies); a regression over 84
  // one-hot columns cannot from 10 rows, and the run would stop at the predictor (tested below)
  predictor: { model: 'lut' },
};

/**
 * The dummy's fitness: how many layers pick an MB operator, plus a smaller fixed preference per
 * operator and layer so that candidates with as many MB layers rarely tie (a known best, not an
 * accident of training; under a binding budget the evolution's candidates often share their MB count).
 */
const fitness = (a: Architecture) =>
  a.reduce((s, op, l) => s + (op.startsWith('MB_') ? 1 : 0) + 0.05 * (((l + 1) * op.length) % 5), 0) / (1.2 * a.length);

/** The dummy's second score minus its first: a fixed wobble of at most one point per architecture. */
const again = (a: Architecture) => 0.01 * Math.sin(a.reduce((h, op, l) => h + (l + 1) * op.length, 0));

/** The dummy's accuracy of a path trained on its own: the fitness, reordered a little by a fixed wobble. */
const standalone = (a: Architecture) => fitness(a) + 0.03 * Math.cos(a.reduce((h, op, l) => h + (l + 1) * op.length, 0));

/** A dummy engine that counts what it is asked to do. */
function dummyEngine() {
  const calls = { trained: [] as number[], evaluated: 0, retrained: 0, standalone: [] as string[], sampled: [] as Architecture[] };
  const factory: SearchEngineFactory = async () => ({
    presetName: 'mnist',
    trainer: () => ({
      async train(iteration, _space, samplePath) {
        calls.trained.push(iteration);
        // the paths a supernet would train on
        const rng = new Rng(iteration);
        for (let k = 0; k < 20; k++) calls.sampled.push(samplePath(rng));
        const evaluate = async (a: Architecture) => {
          calls.evaluated++;
          return { accuracy: fitness(a), loss: 1 - fitness(a) };
        };
        // the second score of the fitness-noise check: the fitness moved by a fixed ±1 point per architecture
        const evaluateAgain = async (a: Architecture) => ({ accuracy: fitness(a) + again(a), loss: 1 - fitness(a) });
        return {
          training: { steps: 9, lossEma: 1.5, stoppedBy: 'steps' as const },
          evaluator: { evaluate, evaluateAgain, validationImages: 500 },
        };
      },
      dispose() {},
    }),
    async trainStandalone(_r, arch, o) {
      calls.standalone.push(`${arch.join(',')}@${o.steps}`);
      return { accuracy: standalone(arch), loss: 0, images: 100 };
    },
    async retrain(r, winner) {
      calls.retrained++;
      const weights = r.journal.file('winner.safetensors');
      const params = graphParams(networkGraph(preset('mnist'), winner));
      writeWeights(
        weights,
        params.map((p) => [p.name, { shape: p.shape, data: initialValues(p, 7) }] as const),
      );
      return { steps: 0, testAccuracy: fitness(winner), testLoss: 0, testImages: 0, weights };
    },
  });
  return { calls, factory };
}

async function runSearch(dir: string, engine: SearchEngineFactory, from?: 'retrain') {
  const session = await createSession({ cwd: dir });
  const lines: string[] = [];
  try {
    const summary = await search(session, { engine, log: (l) => lines.push(l), ...(from ? { from } : {}) });
    return { summary, lines };
  } finally {
    await session.dispose();
  }
}

describe('search phases with a dummy engine', () => {
  const dir = simProject(0, SMALL);
  dirs.push(dir);
  const run = path.join(dir, '.hurricane', 'runs', 'hurricane');
  const first = dummyEngine();
  let summary: Awaited<ReturnType<typeof runSearch>>['summary'];
  let lines: string[];

  it('runs every phase in order and records each one in the run folder', async () => {
    ({ summary, lines } = await runSearch(dir, first.factory));
    const order = lines.filter((l) => l.endsWith(': running')).map((l) => l.replace(': running', ''));
    expect(order).toEqual([
      ...['profile', 'space', 'dataset', 'predictor', 'search', 'search:budget'],
      ...['retrain', 'verify', 'export', 'rank-check', 'report'],
    ]);
    const state = JSON.parse(readFileSync(path.join(run, 'state.json'), 'utf8'));
    expect(Object.keys(state)).toEqual([
      'profile',
      'space',
      'dataset',
      'predictor',
      'search:budget',
      'search',
      'retrain',
      'verify',
      'export',
      'rank-check',
      'report',
    ]);
    for (const f of [
      'predictor-dataset.csv',
      'predictor.json',
      'iteration-1.json',
      'iteration-2.json',
      'winner.onnx',
      'report.md',
      'report.html',
    ])
      expect(existsSync(path.join(run, f)), f).toBe(true);
    expect(first.calls.trained).toEqual([1, 2]);
    expect(first.calls.retrained).toBe(1);
  }, 120_000);

  it('picks the evaluated candidate with the best fitness, every one within the budget by its prediction', () => {
    const iterations = [1, 2].map((i) => JSON.parse(readFileSync(path.join(run, `iteration-${i}.json`), 'utf8')));
    const last = iterations[1];
    const best = Math.max(...last.evaluated.map((c: { accuracy: number }) => c.accuracy));
    expect(fitness(summary.winner)).toBe(best);
    for (const it of iterations) for (const c of it.evaluated) expect(c.latencyMs).toBeLessThanOrEqual(summary.budgetMs);
    // iteration 1 searched layers 8–19 (t = 8), iteration 2 layers 0–7, each keeping the other group from a_win
    expect(summary.iterations.map((i) => [i.activeLayers[0], i.activeLayers.at(-1)])).toEqual([
      [8, 19],
      [0, 7],
    ]);
    expect(summary.supernetSteps).toBe(18);
  });

  it("records the share of the space the budget admits (auto: about half of the first step's sub-space, the median of distinct predictions), each step's own share, and the constraint's rejections, in the summary and the report", () => {
    const state = JSON.parse(readFileSync(path.join(run, 'state.json'), 'utf8'));
    const budget = state['search:budget'];
    // the median of 1,000 distinct predictions, rounded to 4 digits: half of those samples, give or take the rounding
    expect(budget.admittedFirstStep).toBeGreaterThanOrEqual(0.45);
    expect(budget.admittedFirstStep).toBeLessThanOrEqual(0.55);
    expect(summary.admitted).toBeGreaterThan(0);
    const iterations = [1, 2].map((i) => JSON.parse(readFileSync(path.join(run, `iteration-${i}.json`), 'utf8')));
    // iteration 1 draws the same sub-space on other samples: within 4 binomial σ of two independent 1,000-sample shares
    expect(Math.abs(iterations[0].admitted - budget.admittedFirstStep)).toBeLessThan(4 * Math.sqrt((2 * 0.25) / 1000));
    expect(summary.iterations.map((it) => it.admitted)).toEqual([iterations[0].admitted, iterations[1].admitted]);
    expect(summary.rejected).toBe(iterations[0].rejected + iterations[1].rejected);
    expect(summary.rejected).toBeGreaterThan(0);
    const md = readFileSync(summary.report.markdown, 'utf8');
    const share = (v: number) => `${(v * 100).toFixed(1)} %`;
    expect(md).toContain(
      `which admits ${share(summary.admitted as number)} of the searched space, ${share(iterations[0].admitted)} of iteration 1's sub-space, ${share(iterations[1].admitted)} of iteration 2's sub-space; ${iterations[0].evaluated.length + iterations[1].evaluated.length} candidates evaluated, ${summary.rejected} draws rejected by the latency constraint`,
    );
    expect(md).not.toMatch(/rejected nothing/);
  });

  it("checks the fitness noise on each step's own top candidates and reports it in the log, the summary and the report", () => {
    const iterations = [1, 2].map((i) => JSON.parse(readFileSync(path.join(run, `iteration-${i}.json`), 'utf8')));
    iterations.forEach((it, k) => {
      const n = it.noise;
      // every candidate the step evaluated (fewer than search.noiseCheck's 50), best first, each scored again
      expect(n.candidates).toHaveLength(it.evaluated.length);
      expect(n.candidates[0].arch).toEqual(it.winner);
      for (const c of n.candidates) expect(c.second).toBeCloseTo(fitness(c.arch) + again(c.arch), 12);
      expect(n.binomialStd).toBeCloseTo(Math.sqrt((n.candidates[0].first * (1 - n.candidates[0].first)) / 500), 12);
      expect(summary.iterations[k]?.noise).toMatchObject({
        candidates: it.evaluated.length,
        kendallTau: n.kendallTau,
        withinNoise: n.withinNoise,
      });
      expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^iteration ${k + 1}: fitness noise: Kendall τ `)));
    });
    const md = readFileSync(summary.report.markdown, 'utf8');
    expect(md).toMatch(/## Fitness noise/);
    expect(md).toContain(`| 2 | ${iterations[1].evaluated.length} | ${iterations[1].noise.kendallTau.toFixed(3)} |`);
  });

  it("the rank check trains the winner and paths spread over the last step's fitness range on their own, and compares the two orders", () => {
    const last = JSON.parse(readFileSync(path.join(run, 'iteration-2.json'), 'utf8'));
    const rc = summary.rankCheck;
    expect(rc?.paths).toHaveLength(4);
    expect(first.calls.standalone).toEqual(rc?.paths.map((p) => `${p.arch.join(',')}@7`));
    expect(rc?.paths[0]?.arch).toEqual(summary.winner);
    // each path's fitness is the accuracy the step recorded for it; its own accuracy is what training gave
    const recorded = new Map(last.evaluated.map((c: { arch: string[]; accuracy: number }) => [c.arch.join(','), c.accuracy]));
    for (const p of rc?.paths ?? []) {
      expect(p.fitness).toBe(recorded.get(p.arch.join(',')));
      expect(p.standalone).toBeCloseTo(standalone(p.arch), 12);
    }
    const f = (rc?.paths ?? []).map((p) => p.fitness);
    const s = (rc?.paths ?? []).map((p) => p.standalone);
    expect(rc?.agreement?.kendallTau).toBeCloseTo(kendallTau(f, s), 12);
    expect(rc?.agreement?.winnerRank).toBe(1 + s.filter((v) => v > (s[0] as number)).length);
    expect(rc?.agreement?.kendallInterval[0]).toBeLessThanOrEqual(rc?.agreement?.kendallInterval[1] as number);
    const md = readFileSync(summary.report.markdown, 'utf8');
    expect(md).toMatch(/## Rank check/);
    expect(md).toContain(`Kendall τ ${rc?.agreement?.kendallTau.toFixed(3)} [`);
  });

  it('measures the 5 best candidates of the last step on the device before retraining, and retrains the most accurate one that meets the budget by measurement', () => {
    const last = JSON.parse(readFileSync(path.join(run, 'iteration-2.json'), 'utf8'));
    const byFitness = [...last.evaluated].sort((a: { accuracy: number }, b: { accuracy: number }) => b.accuracy - a.accuracy);
    const list = summary.shortlist;
    expect(list?.candidates.map((c) => c.accuracy)).toEqual(byFitness.slice(0, 5).map((c: { accuracy: number }) => c.accuracy));
    expect(list?.budgetMs).toBe(summary.budgetMs);
    for (const c of list?.candidates ?? []) {
      expect(c.measuredMs).toBeGreaterThan(0);
      expect(c.met).toBe(c.measuredMs <= (summary.budgetMs as number));
    }
    const first = list?.candidates.findIndex((c) => c.met) ?? -1;
    expect(first).toBeGreaterThanOrEqual(0); // on the simulated device the predictor is close enough for one to meet it
    expect(list?.chosen).toBe(first);
    expect(summary.winner).toEqual(list?.candidates[first]?.arch);
    expect(lines.some((l) => l.startsWith('verifying the top 5 candidates on the hardware (measured together, 3 times)'))).toBe(true);
    expect(readFileSync(path.join(run, 'report.md'), 'utf8')).toContain('## Top candidates verified on the hardware');
  });

  it('verifies the winner on the hardware and adds it, with the shortlist, to the architectures every later data set of the space measures', () => {
    expect(summary.verify.sessionsMs).toHaveLength(3);
    expect(summary.verify.measuredMs).toBe(summary.verify.sessionsMs[1]);
    const verified = JSON.parse(readFileSync(path.join(dir, '.hurricane', 'sim', 'mnist', 'verified-architectures.json'), 'utf8'));
    const shortlisted = (summary.shortlist?.candidates ?? []).map((c) => c.arch.join(','));
    expect(shortlisted).toContain(summary.winner.join(','));
    expect(verified.architectures).toEqual(shortlisted);
  });

  it('exports the winner with the retrained weights as an ONNX model that ONNX Runtime runs', async () => {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(summary.export.file);
    const out = await session.run({ input: new ort.Tensor('float32', new Float32Array(28 * 28), [1, 1, 28, 28]) });
    const logits = out.output as { dims: readonly number[]; data: Float32Array };
    expect(logits.dims).toEqual([1, 10]);
    expect([...logits.data].every(Number.isFinite)).toBe(true);
    await session.release();
  });

  it('writes a Markdown report and a self-contained HTML page (charts inline, no script, no remote address)', () => {
    const html = readFileSync(summary.report.html, 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    expect(html).toContain(summary.winner[19]);
    const md = readFileSync(summary.report.markdown, 'utf8');
    expect(md).toMatch(/## Winner/);
    expect(md).toMatch(/Table 1/);
    expect(md).toContain('![accuracy vs latency](candidates.svg)');
    expect(existsSync(path.join(run, 'candidates.svg'))).toBe(true);
  });

  it('writes pareto.json: every evaluated candidate that no other beats on accuracy and predicted latency (by pairwise comparison), fastest first', () => {
    type Evaluated = { arch: string[]; accuracy: number; latencyMs: number };
    const latest = new Map<string, Evaluated>();
    for (const i of [1, 2])
      for (const c of JSON.parse(readFileSync(path.join(run, `iteration-${i}.json`), 'utf8')).evaluated as Evaluated[])
        latest.set(c.arch.join(','), c);
    const all = [...latest.values()];
    const beaten = (c: Evaluated) =>
      all.some((o) => o.latencyMs <= c.latencyMs && o.accuracy >= c.accuracy && (o.latencyMs < c.latencyMs || o.accuracy > c.accuracy));
    const expected = all.filter((c) => !beaten(c)).sort((a, b) => a.latencyMs - b.latencyMs);
    const pareto = JSON.parse(readFileSync(path.join(run, 'pareto.json'), 'utf8'));
    expect([pareto.format, pareto.target, pareto.preset]).toEqual(['hurricane-pareto', 'sim', 'mnist']);
    expect(pareto.front.map((c: Evaluated) => c.arch.join(','))).toEqual(expected.map((c) => c.arch.join(',')));
    expect(pareto.front.map((c: { rank: number }) => c.rank)).toEqual(expected.map((_, k) => k + 1));
    // the shortlist's measurements ride along; the winner is flagged when it is on the front
    const measured = new Map((summary.shortlist?.candidates ?? []).map((c) => [c.arch.join(','), c.measuredMs]));
    for (const c of pareto.front as { arch: string[]; measuredMs?: number; winner: boolean }[]) {
      expect(c.measuredMs).toBe(measured.get(c.arch.join(',')));
      expect(c.winner).toBe(c.arch.join(',') === summary.winner.join(','));
    }
  });

  it('a second run keeps every phase: nothing is trained, evaluated or retrained again', async () => {
    const again = dummyEngine();
    const r = await runSearch(dir, again.factory);
    expect(r.lines.filter((l) => l.endsWith(': running'))).toEqual([]);
    expect(again.calls).toEqual({ trained: [], evaluated: 0, retrained: 0, standalone: [], sampled: [] });
    expect(r.summary.winner).toEqual(summary.winner);
  }, 60_000);

  it("refuses the run names '.' and '..' (the runs folder, the work dir) before loading anything", async () => {
    for (const name of ['.', '..']) {
      const session = await createSession({ cwd: dir });
      const again = dummyEngine();
      const e = await search(session, { engine: again.factory, name })
        .catch((x: unknown) => x)
        .finally(() => session.dispose());
      expect((e as Error).message).toMatch(new RegExp(`^run name '${name.replace(/\./g, '\\.')}' must start with a letter`));
      expect((e as ConfigError).exitCode).toBe(2);
    }
  });

  it('--from retrain discards retrain and the phases after it (and their files), and keeps the search', async () => {
    const again = dummyEngine();
    rmSync(path.join(run, 'winner.onnx'));
    const r = await runSearch(dir, again.factory, 'retrain');
    expect(r.lines.filter((l) => l.endsWith(': running'))).toEqual([
      'retrain: running',
      'verify: running',
      'export: running',
      'rank-check: running',
      'report: running',
    ]);
    expect(r.lines).toContain('search: finished earlier (kept)');
    expect(again.calls).toMatchObject({ trained: [], evaluated: 0, retrained: 1 });
    expect(again.calls.standalone).toEqual([]); // the rank check runs again after retraining, keeping every path it trained
    expect(existsSync(path.join(run, 'winner.onnx'))).toBe(true);
    expect(
      JSON.parse(readFileSync(path.join(dir, '.hurricane', 'sim', 'mnist', 'verified-architectures.json'), 'utf8')).architectures,
    ).toEqual((summary.shortlist?.candidates ?? []).map((c) => c.arch.join(',')));
  }, 60_000);

  it('when none of the top candidates meets the budget on the device (a runtime 3× slower since), retrains the fastest measured and says what to change', async () => {
    const config = JSON.parse(readFileSync(path.join(dir, 'hurricane.config.json'), 'utf8'));
    writeFileSync(
      path.join(dir, 'hurricane.config.json'),
      JSON.stringify({ ...config, simDevice: { ...config.simDevice, runtimeScale: 3 } }),
    );
    try {
      const r = await runSearch(dir, dummyEngine().factory, 'search');
      const list = r.summary.shortlist;
      expect(list?.met).toBe(false);
      expect(list?.candidates.every((c) => !c.met && c.measuredMs > (r.summary.budgetMs as number))).toBe(true);
      const fastest = Math.min(...(list?.candidates ?? []).map((c) => c.measuredMs));
      expect(list?.candidates[list.chosen]?.measuredMs).toBe(fastest);
      expect(r.summary.winner).toEqual(list?.candidates[list.chosen]?.arch);
      const warning = r.lines.filter((l) => l.startsWith('WARNING: none of the top 5 candidates meets'));
      expect(warning).toHaveLength(1);
      expect(warning[0]).toContain('re-run with --from dataset');
      expect(readFileSync(path.join(run, 'report.md'), 'utf8')).toContain('**None of the 5 best candidates meets the');
    } finally {
      writeFileSync(path.join(dir, 'hurricane.config.json'), JSON.stringify(config));
    }
  }, 60_000);
});

describe('the rank check on a finished run', () => {
  it('a new search.rankCheck re-runs only the rank check and the report; a killed check resumes from its last finished path', async () => {
    const dir = simProject(0, { ...SMALL, search: { ...SMALL.search, rankCheck: 0 } });
    dirs.push(dir);
    const before = await runSearch(dir, dummyEngine().factory);
    expect(before.summary.rankCheck).toBeUndefined();
    const config = path.join(dir, 'hurricane.config.json');
    const withCheck = { ...JSON.parse(readFileSync(config, 'utf8')), search: { ...SMALL.search, rankCheck: 3 } };
    writeFileSync(config, JSON.stringify(withCheck));
    // the first path trains, then the second fails as a kill would stop it
    const failing = dummyEngine();
    const engine: SearchEngineFactory = async (s, log) => {
      const e = await failing.factory(s, log);
      return {
        ...e,
        trainStandalone: async (r, a, o) => {
          if (failing.calls.standalone.length === 1) throw new Error('killed');
          return e.trainStandalone(r, a, o);
        },
      };
    };
    await expect(runSearch(dir, engine)).rejects.toThrow('killed');
    expect(failing.calls.standalone).toHaveLength(1);
    const resumed = dummyEngine();
    const after = await runSearch(dir, resumed.factory);
    expect(after.lines.filter((l) => l.endsWith(': running'))).toEqual(['rank-check: running', 'report: running']);
    expect(resumed.calls).toMatchObject({ trained: [], evaluated: 0, retrained: 0 });
    expect(resumed.calls.standalone).toHaveLength(2); // the first path was kept
    expect(after.summary.rankCheck?.paths.map((p) => p.arch)).toHaveLength(3);
    expect(after.summary.winner).toEqual(before.summary.winner);
  }, 120_000);
});

describe('a latency predictor that cannot rank (lasso α = 10: one latency for every architecture)', () => {
  const weak = { ...SMALL, predictor: { model: 'lasso', alpha: 10 } };

  it('stops the search at the predictor, before any supernet training, with one line saying why and what to do', async () => {
    const dir = simProject(0, weak);
    dirs.push(dir);
    const engine = dummyEngine();
    const e = await runSearch(dir, engine.factory).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HurricaneError);
    const message = (e as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toMatch(
      /^predictor lasso cannot rank these latencies: cross-validated Kendall τ -?[\d.]+ is below 0\.578, what chance reaches at 10 rows, .*search\.datasetRepeats.*set search\.allowWeakPredictor: true with an explicit search\.budgetMs$/,
    );
    expect(engine.calls.trained).toEqual([]);
    expect(existsSync(path.join(dir, '.hurricane', 'runs', 'hurricane', 'iteration-1.json'))).toBe(false);
  }, 60_000);

  it('with search.allowWeakPredictor it searches, warning that the predictor cannot rank and that the constraint rejected nothing', async () => {
    const dir = simProject(0, { ...weak, search: { ...SMALL.search, allowWeakPredictor: true, budgetMs: 50 } });
    dirs.push(dir);
    const { summary, lines } = await runSearch(dir, dummyEngine().factory);
    expect(lines).toContainEqual(
      expect.stringMatching(/^WARNING: the latency predictor cannot rank these latencies \(cross-validated Kendall τ -?[\d.]+ is below/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^WARNING: the latency budget of 50 ms admits 100\.0 % of the first step's sub-space, so the constraint rejects almost nothing there/,
      ),
    );
    expect(summary).toMatchObject({ admitted: 1, rejected: 0 });
    expect(lines).toContain('WARNING: iteration 1: the budget admits almost all of this sub-space, so latency will not decide here');
    expect(readFileSync(summary.report.markdown, 'utf8')).toMatch(
      /- \*\*Warning: the latency constraint rejected nothing\*\*: every candidate drawn met the budget \(it admits 100\.0 % of the searched space, 100\.0 % of iteration 1's sub-space, 100\.0 % of iteration 2's sub-space\)/,
    );
  }, 120_000);
});

describe("the skip operator in a search (reduction.skip, the paper's Appendix B)", () => {
  const mnist = preset('mnist');
  const can = skipLayersOf(mnist);

  it('with reduction.skip: true, Skip is profiled, offered in every layer that can take it, searched, and the winner exported', async () => {
    const dir = simProject(0, { ...SMALL, search: { ...SMALL.search, rankCheck: 0 }, reduction: { skip: true } });
    dirs.push(dir);
    const { summary } = await runSearch(dir, dummyEngine().factory);
    const run = path.join(dir, '.hurricane', 'runs', 'hurricane');
    const space = JSON.parse(readFileSync(path.join(dir, '.hurricane', 'sim', 'mnist', 'space.json'), 'utf8'));
    expect(space.candidates.map((c: string[]) => c.includes('Skip'))).toEqual(
      space.candidates.map((_: unknown, l: number) => can.includes(l)),
    );
    for (const l of can) expect(space.layers[l].skip.latencyMs).toBeGreaterThan(0);
    const evaluated = [1, 2].flatMap((i) => JSON.parse(readFileSync(path.join(run, `iteration-${i}.json`), 'utf8')).evaluated);
    expect(evaluated.some((c: { arch: string[] }) => c.arch.includes('Skip'))).toBe(true);
    expect(existsSync(summary.export.file)).toBe(true);
  }, 120_000);

  it('an unreachable budget names reduction.skip and the layers Skip can take, or says it is offered everywhere already', async () => {
    const message = async (reduction: Record<string, unknown>) => {
      const dir = simProject(0, { ...SMALL, search: { ...SMALL.search, budgetMs: 1e-6 }, reduction });
      dirs.push(dir);
      return (await runSearch(dir, dummyEngine().factory).catch((e: unknown) => e as HurricaneError)) as HurricaneError;
    };
    const off = await message({});
    expect(off.exitCode).toBe(2);
    expect(off.message).toContain(
      "offer the skip operator of the paper's Appendix B (reduction.skip: true, or a list of layers; Skip can take layers 2–4, 6–8, 10–16, 18–20, counting from 1)",
    );
    const some = await message({ skip: [18, 19] });
    expect(some.message).toContain('Skip can take layers 2–4, 6–8, 10–16, 18–20, counting from 1; it is offered now in 18–19)');
    const all = await message({ skip: true });
    expect(all.message).toContain('Skip is already offered in every layer that can take it (reduction.skip)');
  }, 120_000);
});

describe('the SPOS baseline on the reduced space (search.baselineSpace: reduced)', () => {
  it("searches every layer at once over Table 1's candidates, answers to the fitted predictor, in run folder spos-reduced", async () => {
    const dir = simProject(0, { ...SMALL, search: { ...SMALL.search, rankCheck: 0, baseline: true, baselineSpace: 'reduced' } });
    dirs.push(dir);
    const engine = dummyEngine();
    const { summary } = await runSearch(dir, engine.factory);
    expect(path.basename(summary.run)).toBe('spos-reduced');
    expect(engine.calls.trained).toEqual([1]);
    expect(summary.iterations[0]?.activeLayers).toEqual(Array.from({ length: 20 }, (_, l) => l));
    const space = JSON.parse(readFileSync(path.join(dir, '.hurricane', 'sim', 'mnist', 'space.json'), 'utf8'));
    const it1 = JSON.parse(readFileSync(path.join(summary.run, 'iteration-1.json'), 'utf8'));
    for (const c of it1.evaluated as { arch: string[]; latencyMs: number }[]) {
      c.arch.forEach((op, l) => {
        expect(space.candidates[l]).toContain(op);
      });
      expect(c.latencyMs).toBeLessThanOrEqual(summary.budgetMs);
    }
    // every recorded latency is the fitted predictor's (the full baseline answers to a lookup table instead)
    const session = await createSession({ cwd: dir });
    try {
      const file = path.join(summary.run, 'predictor.json');
      const model = predictorLatencyModel(restorePredictor(file, readPredictorFile(file), session.predictorFactories()), space);
      const { mean } = model.predict(it1.evaluated.map((c: { arch: string[] }) => c.arch));
      it1.evaluated.forEach((c: { latencyMs: number }, i: number) => {
        expect(c.latencyMs).toBeCloseTo(mean[i] as number, 9);
      });
    } finally {
      await session.dispose();
    }
    expect(readFileSync(summary.report.markdown, 'utf8')).toMatch(/^# Hurricane search report — SPOS baseline \(reduced space\) on sim/);
  }, 120_000);
});

/** A project whose search.constraints `limits` gives from the median of `metric` over 1,000 seeded uniform samples of its reduced space (profiled first). */
async function constrainedProject(metric: 'params' | 'flops', limits: (median: number) => unknown[]) {
  const dir = simProject(0, { ...SMALL, search: { ...SMALL.search, rankCheck: 0 } });
  dirs.push(dir);
  const session = await createSession({ cwd: dir });
  let median: number;
  try {
    await profile(session, {});
    const { space } = await buildSpace(session);
    const r = new Rng(3);
    const values = Array.from({ length: 1000 }, () => space.candidates.map((ops) => ops[r.int(0, ops.length - 1)] as string))
      .map((a) => graphCost(networkGraph(preset('mnist'), a))[metric])
      .sort((x, y) => x - y);
    median = values[500] as number;
  } finally {
    await session.dispose();
  }
  const config = JSON.parse(readFileSync(path.join(dir, 'hurricane.config.json'), 'utf8'));
  config.search.constraints = limits(median);
  writeFileSync(path.join(dir, 'hurricane.config.json'), JSON.stringify(config));
  return { dir, median };
}

describe('a search under several limits (search.constraints)', () => {
  it('under a latency and a params limit, trains, evaluates and retrains only architectures within both (params counted by the analytics), and reports the winner against each limit', async () => {
    const { dir, median: maxParams } = await constrainedProject('params', (m) => [
      { metric: 'latency', max: 'auto' },
      { metric: 'params', max: m },
    ]);
    const engine = dummyEngine();
    const { summary, lines } = await runSearch(dir, engine.factory);
    expect(engine.calls.sampled.length).toBe(40);
    for (const a of engine.calls.sampled) expect(graphCost(networkGraph(preset('mnist'), a)).params).toBeLessThanOrEqual(maxParams);
    expect(summary.costLimits).toEqual([{ metric: 'params', max: maxParams }]);
    expect(summary.budgetMs).toBeGreaterThan(0);
    expect(lines.some((l) => l.startsWith(`limits: latency ≤ ${summary.budgetMs} ms, params ≤ ${maxParams} (auto:`))).toBe(true);
    const evaluated = [1, 2].flatMap((i) => JSON.parse(readFileSync(path.join(summary.run, `iteration-${i}.json`), 'utf8')).evaluated);
    for (const c of evaluated as { arch: string[]; latencyMs: number }[]) {
      expect(graphCost(networkGraph(preset('mnist'), c.arch)).params).toBeLessThanOrEqual(maxParams);
      expect(c.latencyMs).toBeLessThanOrEqual(summary.budgetMs as number);
    }
    expect(summary.rejected).toBeGreaterThan(0);
    const winnerParams = graphCost(networkGraph(preset('mnist'), summary.winner)).params;
    expect(winnerParams).toBeLessThanOrEqual(maxParams);
    expect(summary.verify.limits).toEqual([
      {
        metric: 'latency',
        max: summary.budgetMs,
        value: summary.verify.measuredMs,
        predicted: summary.verify.predictedMs,
        met: summary.verify.measuredMs <= (summary.budgetMs as number),
      },
      { metric: 'params', max: maxParams, value: winnerParams, met: true },
    ]);
    const report = readFileSync(summary.report.markdown, 'utf8');
    expect(report).toContain(`limits latency budget **${summary.budgetMs} ms**, params ≤ **${maxParams}**`);
    expect(report).toContain(`| params | ${maxParams} | ${winnerParams} | – | yes |`);
  }, 120_000);

  it('under a FLOPs limit alone (no latency limit), admits by FLOPs, records predicted latencies, and reports no budget', async () => {
    const { dir, median: maxFlops } = await constrainedProject('flops', (m) => [{ metric: 'flops', max: m }]);
    const { summary, lines } = await runSearch(dir, dummyEngine().factory);
    expect(summary.budgetMs).toBeUndefined();
    expect(lines.some((l) => l.startsWith(`limits: flops ≤ ${maxFlops}; together they admit`))).toBe(true);
    const evaluated = [1, 2].flatMap((i) => JSON.parse(readFileSync(path.join(summary.run, `iteration-${i}.json`), 'utf8')).evaluated);
    for (const c of evaluated as { arch: string[]; latencyMs: number }[]) {
      expect(graphCost(networkGraph(preset('mnist'), c.arch)).flops).toBeLessThanOrEqual(maxFlops);
      expect(c.latencyMs).toBeGreaterThan(0);
    }
    expect(summary.rejected).toBeGreaterThan(0);
    expect(summary.verify.withinBudget).toBe(true);
    expect(summary.verify.limits?.map((l) => l.metric)).toEqual(['flops']);
    const report = readFileSync(summary.report.markdown, 'utf8');
    expect(report).toContain(`limits flops ≤ **${maxFlops}**`);
    expect(report).not.toContain('latency budget');
    expect(readFileSync(path.join(summary.run, 'candidates.svg'), 'utf8')).not.toContain('budget');
  }, 120_000);
});

describe('a search under a latency limit on each of two targets (issue 23: one network for several chips)', () => {
  it('profiles and measures both, searches their shared space with a predictor per target, admits only candidates within both budgets, and verifies the top candidates and the winner on both devices', async () => {
    // two instances of the simulated device: `slow` takes exactly twice as long for every model
    const dir = simProject(0, {
      ...SMALL,
      targets: { fast: { adapter: 'sim', fingerprint: 'sim-fast' }, slow: { adapter: 'sim', fingerprint: 'sim-slow', runtimeScale: 2 } },
      search: {
        ...SMALL.search,
        rankCheck: 0,
        constraints: [
          { metric: 'latency', target: 'fast', max: 'auto' },
          { metric: 'latency', target: 'slow', max: 'auto' },
        ],
      },
    });
    dirs.push(dir);
    const file = path.join(dir, 'hurricane.config.json');
    const { hardware, ...config } = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify(config));
    const { summary, lines } = await runSearch(dir, dummyEngine().factory);
    const run = summary.run;
    expect(summary.hardware).toBe('fast, slow');
    const slowBudget = summary.targets?.[0]?.budgetMs as number;
    expect([summary.targets?.[0]?.target, slowBudget > 0]).toEqual(['slow', true]);
    for (const f of ['space.json', 'predictor-dataset.csv', 'predictor-dataset-on-slow.csv', 'predictor.json', 'predictor-on-slow.json'])
      expect(existsSync(path.join(run, f)), f).toBe(true);
    expect(lines.some((l) => l.startsWith('space: one space for fast, slow (search.sharedSpace: worst)'))).toBe(true);
    // every evaluated candidate is within both budgets by its target's own predictor
    const space = JSON.parse(readFileSync(path.join(run, 'space.json'), 'utf8'));
    const session = await createSession({ cwd: dir });
    const predictorFile = path.join(run, 'predictor-on-slow.json');
    const slowModel = predictorLatencyModel(
      restorePredictor(predictorFile, readPredictorFile(predictorFile), session.predictorFactories()),
      space,
    );
    await session.dispose();
    const evaluated = [1, 2].flatMap((i) => JSON.parse(readFileSync(path.join(run, `iteration-${i}.json`), 'utf8')).evaluated) as {
      arch: string[];
      latencyMs: number;
    }[];
    const onSlow = slowModel.predict(evaluated.map((c) => c.arch)).mean;
    evaluated.forEach((c, i) => {
      expect(c.latencyMs).toBeLessThanOrEqual(summary.budgetMs as number);
      expect(onSlow[i]).toBeLessThanOrEqual(slowBudget);
    });
    // measured on both devices: the slow one twice as slow (±1 % wobble each)
    for (const c of summary.shortlist?.candidates ?? []) {
      const slow = c.targets?.[0];
      expect(slow?.target).toBe('slow');
      expect((slow?.measuredMs as number) / c.measuredMs).toBeGreaterThan(1.95);
      expect((slow?.measuredMs as number) / c.measuredMs).toBeLessThan(2.05);
      expect(c.met).toBe(c.measuredMs <= (summary.budgetMs as number) && (slow?.measuredMs as number) <= slowBudget);
    }
    const v = summary.verify;
    expect(v.targets?.[0]?.target).toBe('slow');
    expect((v.targets?.[0]?.measuredMs as number) / v.measuredMs).toBeGreaterThan(1.95);
    expect(v.withinBudget).toBe(v.measuredMs <= (summary.budgetMs as number) && (v.targets?.[0]?.met ?? false));
    expect(v.limits?.map((l) => [l.metric, l.target])).toEqual([
      ['latency', 'fast'],
      ['latency', 'slow'],
    ]);
    const report = readFileSync(summary.report.markdown, 'utf8');
    expect(report).toContain(`latency budget on slow **${slowBudget} ms**`);
    expect(report).toContain('measured on slow');
  }, 180_000);
});
