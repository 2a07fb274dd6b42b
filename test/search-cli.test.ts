// `hurricane search` end to end on a simulated device (latency = model size) with the MNIST digits
// that ship with the `mnist` package, in real processes on TF.js: a tiny search that is killed
// during supernet training, the evolution and retraining, and resumes without redoing finished
// work. What each phase records is proven in-process with a dummy engine
// (packages/core/test/search-phases.test.ts). Sizes are tiny so CI can afford it.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exitOf, fileReady } from './events.js';
import { CLI, runCli, simProject } from './helpers.js';

const TINY = {
  train: { batchSize: 16, validationPerClass: 10, checkpointEvery: 1, workers: 1 },
  search: {
    ...{ iterations: 2, supernetSteps: 9, retrainSteps: 30, datasetSize: 20, datasetRepeats: 2 },
    ...{ population: 6, generations: 3, topK: 3, mutations: 2, crossovers: 2, recalibrationBatches: 2, recalibrationBatchSize: 16 },
    ...{ rankCheck: 3, rankCheckSteps: 4 },
  },
};
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const project = (config: Record<string, unknown> = TINY) => {
  const dir = simProject(0, config);
  dirs.push(dir);
  return dir;
};
const runDir = (dir: string) => path.join(dir, '.hurricane', 'runs', 'hurricane');
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

/** Starts `hurricane search` and SIGKILLs it once `read(file)` of a run-folder file gives a value (checked on every change of the folder); returns it. */
async function killWhen<T>(dir: string, name: string, read: (file: string) => T | null): Promise<T> {
  mkdirSync(runDir(dir), { recursive: true });
  const child = spawn(process.execPath, [CLI, 'search'], { cwd: dir, stdio: 'ignore' });
  const exited = exitOf(child);
  const early = exited.then((code) => Promise.reject(new Error(`the search exited (${code}) before ${name} was ready`)));
  try {
    return await Promise.race([fileReady(path.join(runDir(dir), name), read), early]);
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

describe('hurricane search', () => {
  it('resumes after kill -9 in supernet training, in the evolution and in retraining, and finishes every phase', async () => {
    const dir = project();
    const run = runDir(dir);
    // 1. killed while training iteration 1's supernet (after its first checkpoint)
    await killWhen(dir, 'supernet-1.safetensors', () => true);
    expect(readJson(path.join(run, 'state.json'))).toMatchObject({ profile: {}, space: {}, dataset: {}, predictor: {} });
    // 2. killed during iteration 1's evolution, after a few evaluations
    const before = await killWhen(dir, 'evolution-1.json', (f) => {
      const s = readJson(f);
      return s.evaluated.length >= 3 ? (s.evaluated as { arch: string[] }[]).map((c) => c.arch.join(',')) : null;
    });
    // 3. killed while retraining the winner (after its first checkpoint)
    await killWhen(dir, 'retrain.safetensors', () => true);
    expect(readJson(path.join(run, 'state.json')).search).toBeDefined();
    // 4. the rerun finishes every phase, reusing what was done
    const r = await runCli(['search', '--json'], dir, { timeout: 600_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('profile: finished earlier (kept)');
    expect(r.stderr).toContain('predictor: finished earlier (kept)');
    expect(r.stderr).not.toMatch(/iteration 1: supernet training/); // iteration 1's supernet was not trained again
    expect(r.stderr).toContain('search: finished earlier (kept)');
    expect(r.stderr).toMatch(/retraining the winner from scratch \(cosine schedule\): 30 in all, [1-9]\d* already done/);
    const s = JSON.parse(r.stdout);
    const it1 = readJson(path.join(run, 'iteration-1.json'));
    expect(it1.evaluated.slice(0, before.length).map((c: { arch: string[] }) => c.arch.join(','))).toEqual(before);
    expect(new Set(it1.evaluated.map((c: { arch: string[] }) => c.arch.join(','))).size).toBe(it1.evaluated.length);
    expect(s.iterations.map((i: { activeLayers: number[] }) => i.activeLayers[0])).toEqual([8, 0]);
    expect(s.supernetSteps).toBe(18);
    expect(s.preset).toBe('mnist');
    expect(s.winner).toHaveLength(20);
    expect(s.retrain.testImages).toBe(1000);
    expect(s.verify.measuredMs).toBeGreaterThan(0);
    // the top candidates measured before retraining, the winner among them, join every later predictor data set of this space
    const shortlisted = s.shortlist.candidates.map((c: { arch: string[] }) => c.arch.join(','));
    expect(shortlisted).toContain(s.winner.join(','));
    expect(readJson(path.join(dir, '.hurricane', 'sim', 'mnist', 'verified-architectures.json')).architectures).toEqual(shortlisted);
    // the report, the export, the budget of every candidate and --from are proven with a dummy engine in
    // packages/core/test/search-phases.test.ts; here: the files exist after the real, resumed run
    for (const f of [s.report.html, s.report.markdown, s.export.file]) expect(existsSync(f), f).toBe(true);
    // the checks on real TF.js training: the predictor ranks, the fitness noise, the rank check of 3 paths
    expect(readJson(path.join(run, 'predictor.json')).metrics.ranking.ok).toBe(true);
    expect(s.iterations[1].noise.candidates).toBe(readJson(path.join(run, 'iteration-2.json')).evaluated.length);
    expect(Number.isFinite(s.iterations[1].noise.binomialStd)).toBe(true);
    expect(s.rankCheck.paths).toHaveLength(3);
    expect(s.rankCheck.paths[0].arch).toEqual(s.winner);
    for (const p of s.rankCheck.paths) expect(p.standalone).toBeGreaterThanOrEqual(0);
    expect(r.stderr).toMatch(/^rank check: Kendall τ .* over 3 paths; the winner ranks [1-3] of 3 on its own$/m);

    // another trade-off without searching again: pareto.json's fastest candidate, retrained as the winner was, and exported
    const front = readJson(path.join(run, 'pareto.json')).front as { arch: string[] }[];
    const ex = await runCli(['export', '--from-pareto', '1', '-o', 'fastest.onnx'], dir, { timeout: 600_000 });
    expect(ex.code, ex.stderr).toBe(0);
    expect(ex.stdout).toContain(`Pareto candidate 1: ${front[0]?.arch.join(' ')}`);
    expect(ex.stdout).toMatch(/^retrained 30 steps: [\d.]+ % test accuracy on 1000 images$/m);
    const ort = await import('onnxruntime-node');
    const model = await ort.InferenceSession.create(path.join(dir, 'fastest.onnx'));
    const out = await model.run({ input: new ort.Tensor('float32', new Float32Array(28 * 28), [1, 1, 28, 28]) });
    expect((out.output as { dims: readonly number[] }).dims).toEqual([1, 10]);
    await model.release();
    const n = front.length;
    const beyond = await runCli(['export', '--from-pareto', String(n + 1), '-o', 'x.onnx'], dir);
    expect([beyond.code, beyond.stderr.trim()]).toEqual([
      2,
      `hurricane: --from-pareto ${n + 1}: the Pareto front of run 'hurricane' has ${n} candidate${n === 1 ? '' : 's'}; give 1–${n}`,
    ]);
    const noRun = await runCli(['export', '--from-pareto', '1', '--run', 'other', '-o', 'x.onnx'], dir);
    expect([noRun.code, noRun.stderr.trim()]).toEqual([
      1,
      `hurricane: ${path.join(dir, '.hurricane', 'runs', 'other', 'pareto.json')} does not exist: run 'hurricane search --name other' first`,
    ]);
  }, 900_000);

  it('refuses an unreachable budget with one line naming the smallest reachable latency, and a changed config in the same run folder', async () => {
    const dir = project({ ...TINY, search: { ...TINY.search, budgetMs: 0.000001 } });
    const r = await runCli(['search'], dir, { timeout: 600_000 });
    expect(r.code).toBe(2);
    const line = r.stderr.split('\n').find((l) => l.startsWith('hurricane: '));
    expect(line).toMatch(/no architecture of iteration 1's sub-space .* the smallest latency it can reach is [\d.]+ ms.*Appendix B/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    const bad = await runCli(['search', '--from', 'nowhere'], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("argument 'nowhere' is invalid. Allowed choices are profile, space, dataset");
    const changed = await runCli(['search', '--seed', '5'], dir);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toMatch(/was started with another config \(seed differ\): use --name <new-run>/);
  }, 600_000);
});
