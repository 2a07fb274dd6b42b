// The phases of `hurricane search` driven in this process with a dummy engine (no TF.js): a known
// fitness instead of a trained supernet, seeded weights instead of retraining. The hardware half
// runs for real on the simulated device; what the phases record, resume and discard is checked
// against the run folder.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSession } from '../src/create-session.js';
import type { ConfigError } from '../src/errors.js';
import { initialValues } from '../src/onnx/initializer.js';
import { writeWeights } from '../src/onnx/weights-file.js';
import { graphParams } from '../src/space/ir.js';
import { networkGraph, preset } from '../src/space/backbone.js';
import type { Architecture } from '../src/space/architecture.js';
import { search, type SearchEngineFactory } from '../src/workflows/search-run.js';
import { simProject } from '../../../test/helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const SMALL = {
  search: {
    ...{ iterations: 2, supernetSteps: 9, datasetSize: 12, datasetRepeats: 2 },
    ...{ population: 6, generations: 3, topK: 3, mutations: 2, crossovers: 2 },
  },
  // α pinned: on a 12-network data set, cross-validation picks the intercept-only Lasso (one latency
  // for every architecture), and these tests are about the phases, not the predictor
  predictor: { model: 'lasso', alpha: 0.01 },
};

/** The dummy's fitness: how many layers pick an MB operator (a known best, not an accident of training). */
const fitness = (a: Architecture) => a.filter((op) => op.startsWith('MB_')).length / a.length;

/** A dummy engine that counts what it is asked to do. */
function dummyEngine() {
  const calls = { trained: [] as number[], evaluated: 0, retrained: 0 };
  const factory: SearchEngineFactory = async () => ({
    presetName: 'mnist',
    trainer: () => ({
      async train(iteration) {
        calls.trained.push(iteration);
        const evaluate = async (a: Architecture) => {
          calls.evaluated++;
          return { accuracy: fitness(a), loss: 1 - fitness(a) };
        };
        return { training: { steps: 9, lossEma: 1.5, stoppedBy: 'steps' as const }, evaluator: { evaluate } };
      },
      dispose() {},
    }),
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
    expect(order).toEqual(['profile', 'space', 'dataset', 'predictor', 'search', 'search:budget', 'retrain', 'verify', 'export', 'report']);
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

  it('verifies the winner on the hardware and adds it to the architectures every later data set of the space measures', () => {
    expect(summary.verify.sessionsMs).toHaveLength(3);
    expect(summary.verify.measuredMs).toBe(summary.verify.sessionsMs[1]);
    const verified = JSON.parse(readFileSync(path.join(dir, '.hurricane', 'sim', 'mnist', 'verified-architectures.json'), 'utf8'));
    expect(verified.architectures).toEqual([summary.winner.join(',')]);
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

  it('a second run keeps every phase: nothing is trained, evaluated or retrained again', async () => {
    const again = dummyEngine();
    const r = await runSearch(dir, again.factory);
    expect(r.lines.filter((l) => l.endsWith(': running'))).toEqual([]);
    expect(again.calls).toEqual({ trained: [], evaluated: 0, retrained: 0 });
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
      'report: running',
    ]);
    expect(r.lines).toContain('search: finished earlier (kept)');
    expect(again.calls).toMatchObject({ trained: [], evaluated: 0, retrained: 1 });
    expect(existsSync(path.join(run, 'winner.onnx'))).toBe(true);
    expect(
      JSON.parse(readFileSync(path.join(dir, '.hurricane', 'sim', 'mnist', 'verified-architectures.json'), 'utf8')).architectures,
    ).toEqual([summary.winner.join(',')]);
  }, 60_000);
});
