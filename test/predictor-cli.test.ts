import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { exitOf, textOf } from './events.js';
import { CLI, makeProject, pkgDir, runCli, simProject } from './helpers.js';

const hurricane = (args: string[], cwd: string) => runCli(args, cwd);

describe('hurricane predictor dataset | fit | predict | eval', () => {
  it('measures a data set (resuming after kill -9), then fit --model auto, predict and eval work on it', async () => {
    const dir = simProject(15);
    const db = path.join(dir, '.hurricane', 'latency.sqlite');
    const networks = () => {
      try {
        const d = new Database(db, { readonly: true, fileMustExist: true });
        try {
          return (d.prepare('SELECT COUNT(*) AS n FROM network_latency').get() as { n: number }).n;
        } finally {
          d.close();
        }
      } catch {
        return 0;
      }
    };
    const child = spawn(process.execPath, [CLI, 'predictor', 'dataset', '-n', '60', '--repeats', '10'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = exitOf(child);
    // a progress line is printed once its network is stored: kill after 16 of the 70 measurements
    await textOf(child.stderr).until(/\[(1[6-9]|[2-6]\d)\/70\]/);
    child.kill('SIGKILL');
    await exited;
    const kept = networks();
    expect(kept).toBeGreaterThanOrEqual(16);
    expect(kept).toBeLessThan(60);
    const r = await hurricane(['predictor', 'dataset', '-n', '60', '--repeats', '10', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const ds = JSON.parse(r.stdout);
    expect(ds).toMatchObject({ reused: kept, measured: 70 - kept });
    expect(ds.noiseFloor.pairs).toBe(10);
    expect(ds.noiseFloor.mapePct).toBeLessThan(3); // the simulated wobble is ±1 %
    const header = readFileSync(ds.csv, 'utf8').split('\n')[0]?.split(',') ?? [];
    expect(header).toHaveLength(85); // 84 one-hot slots (docs/method.md §6) + latency_ms
    expect(header.at(-1)).toBe('latency_ms');

    const fit = await hurricane(['predictor', 'fit', '--model', 'auto', '--train', ds.csv, '-o', 'p.json'], dir);
    expect(fit.code, fit.stderr).toBe(0);
    expect(fit.stdout).toMatch(/^auto chose (gp|lasso|bayesian-ridge|lut): lowest 5-fold cross-validated MAPE, [\d.]+ % \(/m);
    expect(fit.stdout).toMatch(/^held-out \(a fit on the other 48 rows predicting 12\): RMSE .* MAPE [\d.]+ %, ±5 % .* Kendall τ/m);
    expect(fit.stdout).toMatch(/ on all 60 rows of /);
    expect(fit.stdout).toMatch(/^noise floor: RMSE/m);
    const saved = JSON.parse(readFileSync(path.join(dir, 'p.json'), 'utf8'));
    expect(saved).toMatchObject({
      format: 'hurricane-predictor',
      formatVersion: 1,
      encoding: { preset: 'mnist' },
      hardware: { adapterId: 'sim' },
    });
    expect(saved.training.dataHash).toMatch(/^[0-9a-f]{64}$/);

    const pred = await hurricane(['predictor', 'predict', 'p.json', '--input', ds.csv, '--json'], dir);
    expect(pred.code, pred.stderr).toBe(0);
    expect(JSON.parse(pred.stdout)).toHaveLength(60);
    const ev = await hurricane(['predictor', 'eval', 'p.json', '--input', ds.csv], dir);
    expect(ev.code, ev.stderr).toBe(0);
    expect(ev.stdout).toMatch(/on .*predictor-dataset.csv: RMSE .*\nnoise floor of its training data: RMSE/);
  }, 240_000);

  it('fits, predicts and evaluates a CSV written by hand; bad data, flags and predictor files exit 2 with one line', async () => {
    const dir = makeProject({}, { '@hurricane/core': pkgDir('core'), '@hurricane/predictors': pkgDir('predictors') });
    const rows = ['a,b,c,latency_ms'];
    for (let i = 0; i < 40; i++) {
      const [a, b, c] = [i % 2, (i >> 1) % 2, (i >> 2) % 2];
      rows.push(`${a},${b},${c},${(1 + 0.5 * a + 0.25 * b + 0.125 * c + 0.001 * (i % 3)).toFixed(4)}`);
    }
    writeFileSync(path.join(dir, 'train.csv'), `${rows.join('\n')}\n`);
    writeFileSync(path.join(dir, 'new.csv'), 'a,b,c\n1,1,1\n0,0,0\n');
    const fit = await hurricane(
      ['predictor', 'fit', '--model', 'lasso', '--alpha', '0.0001', '--train', 'train.csv', '-o', 'lasso.json'],
      dir,
    );
    expect(fit.code, fit.stderr).toBe(0);
    expect(fit.stdout).toMatch(
      /fitted lasso \(alpha=0.0001, cvFolds=5, nAlphas=100, eps=0.001, maxIter=1000, tol=0.0001\) on all 40 rows of train.csv/,
    );
    expect(fit.stdout).toMatch(/noise floor: unknown/);
    const p = await hurricane(['predictor', 'predict', 'lasso.json', '--input', 'new.csv', '--json'], dir);
    const out = JSON.parse(p.stdout) as { mean: number; std?: number }[];
    expect(out[0]?.mean).toBeCloseTo(1.876, 2);
    expect(out[1]?.mean).toBeCloseTo(1.001, 2);
    expect(out[0]).not.toHaveProperty('std');
    const gp = await hurricane(
      ['predictor', 'fit', '--model', 'gp', '--nu', '0.35', '--length-scale', '1.5', '--fixed', '--train', 'train.csv', '-o', 'gp.json'],
      dir,
    );
    expect(gp.code, gp.stderr).toBe(0);
    expect(
      JSON.parse((await hurricane(['predictor', 'predict', 'gp.json', '--input', 'new.csv', '--json'], dir)).stdout)[0],
    ).toHaveProperty('std');
    expect((await hurricane(['predictor', 'eval', 'gp.json', '--input', 'train.csv'], dir)).stdout).toMatch(/±1σ [\d.]+ %, ±2σ [\d.]+ %/);

    writeFileSync(path.join(dir, 'wide.csv'), 'a,b,c,d\n1,1,1,1\n');
    writeFileSync(path.join(dir, 'bad.csv'), 'a,b,c,latency_ms\n1,0,x,2\n');
    writeFileSync(path.join(dir, 'few.csv'), 'a,b,c,latency_ms\n1,0,0,2\n0,1,0,3\n0,0,1,4\n');
    const cases: [string[], RegExp][] = [
      [
        ['predictor', 'predict', 'lasso.json', '--input', 'wide.csv'],
        /^hurricane: wide.csv has 4 feature columns but the predictor expects 3/,
      ],
      [
        ['predictor', 'fit', '--model', 'lasso', '--train', 'bad.csv', '-o', 'x.json'],
        /^hurricane: bad.csv row 2, column 'c' is 'x', not a finite number/,
      ],
      [['predictor', 'fit', '--model', 'lasso', '--train', 'new.csv', '-o', 'x.json'], /^hurricane: new.csv has no 'latency_ms' column/],
      [
        ['predictor', 'fit', '--model', 'lasso', '--train', 'few.csv', '-o', 'x.json'],
        /^hurricane: few.csv has 3 rows; a predictor needs at least 10/,
      ],
      [
        ['predictor', 'fit', '--model', 'lasso', '--nu', '0.5', '--train', 'train.csv', '-o', 'x.json'],
        /^hurricane: predictor lasso: unknown option 'nu' \(lasso takes alpha, cvFolds, nAlphas, eps, maxIter, tol\)\n$/,
      ],
      [
        ['predictor', 'fit', '--model', 'gpp', '--train', 'train.csv', '-o', 'x.json'],
        /^hurricane: predictor model 'gpp' is not registered — did you mean 'gp'\?; available: gp, lasso, bayesian-ridge, lut, auto\n$/,
      ],
      [
        ['predictor', 'fit', '--model', 'lut', '--train', 'train.csv', '-o', 'x.json'],
        /^hurricane: predictor lut: the data carry no profiled operator latencies/,
      ],
      [
        ['predictor', 'fit', '--model', 'gp', '--nu', '0', '--train', 'train.csv', '-o', 'x.json'],
        /^hurricane: --nu must be a number > 0, got '0'/,
      ],
      [['predictor', 'predict', 'missing.json', '--input', 'new.csv'], /^hurricane: missing.json does not exist: fit one with/],
      [
        ['predictor', 'fit', '--model', 'lasso', '--test-share', '1', '--train', 'train.csv', '-o', 'x.json'],
        /^hurricane: --test-share must be a number between 0 and 1 \(exclusive\), got '1'/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await hurricane(args, dir);
      expect(r.stderr, args.join(' ')).toMatch(message);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.code, args.join(' ')).toBe(2);
    }
  }, 120_000);

  it("without --alpha, Lasso keeps every effect of sub-millisecond latencies (the paper's α = 0.01 zeroes them all); --test-share 0 scores by CV alone and the file holds the fit on every row", async () => {
    const dir = makeProject({}, { '@hurricane/core': pkgDir('core'), '@hurricane/predictors': pkgDir('predictors') });
    // y = 0.3 + 0.02·a + 0.01·b + 0.005·c ms (hand-set effects) plus a ±0.0001 ms wobble; with α = 0.01 the
    // largest |cov(feature, y)| = 0.25 · 0.02 = 0.005 < α, so scikit-learn's objective zeroes every coefficient
    const truth = (a: number, b: number, c: number) => 0.3 + 0.02 * a + 0.01 * b + 0.005 * c;
    const rows = ['a,b,c,latency_ms'];
    for (let i = 0; i < 40; i++) {
      const [a, b, c] = [i % 2, (i >> 1) % 2, (i >> 2) % 2];
      rows.push(`${a},${b},${c},${(truth(a, b, c) + 0.0001 * ((i % 3) - 1)).toFixed(6)}`);
    }
    writeFileSync(path.join(dir, 'train.csv'), `${rows.join('\n')}\n`);
    writeFileSync(path.join(dir, 'new.csv'), 'a,b,c\n1,1,1\n0,0,0\n1,0,0\n');
    const predict = async (file: string) =>
      (JSON.parse((await hurricane(['predictor', 'predict', file, '--input', 'new.csv', '--json'], dir)).stdout) as { mean: number }[]).map(
        (p) => p.mean,
      );
    const expected = [truth(1, 1, 1), truth(0, 0, 0), truth(1, 0, 0)];

    // a constant cannot rank (each fold's constant is its training mean, so the pooled τ is not 0 but at chance):
    // refused in one line, written only with --allow-weak (and a warning)
    const paperArgs = ['predictor', 'fit', '--model', 'lasso', '--alpha', '0.01', '--train', 'train.csv', '-o', 'paper.json'];
    const refused = await hurricane(paperArgs, dir);
    expect(refused.code).toBe(1);
    expect(
      refused.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('hurricane: predictor lasso')),
    ).toEqual([
      expect.stringMatching(
        /^hurricane: predictor lasso cannot rank these latencies: cross-validated Kendall τ -?[\d.]+ is below 0\.289, what chance reaches at 32 rows, and its cross-validated MAPE of [\d.]+ % is no better than predicting the mean \([\d.]+ %\); .*--allow-weak writes it anyway$/,
      ),
    ]);
    expect(existsSync(path.join(dir, 'paper.json'))).toBe(false);
    const paper = await hurricane([...paperArgs, '--allow-weak'], dir);
    expect(paper.code, paper.stderr).toBe(0);
    expect(paper.stdout).toMatch(/^WARNING: this model cannot rank these latencies: cross-validated Kendall τ -?[\d.]+ is below 0\.289/m);
    const flat = await predict('paper.json');
    expect(Math.max(...flat) - Math.min(...flat)).toBeLessThan(1e-12); // every coefficient zero: one constant

    const fit = await hurricane(
      ['predictor', 'fit', '--model', 'lasso', '--test-share', '0', '--train', 'train.csv', '-o', 'cv.json', '--json'],
      dir,
    );
    expect(fit.code, fit.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(path.join(dir, 'cv.json'), 'utf8'));
    expect(saved.metrics.holdout).toBeUndefined();
    expect(saved.metrics.crossValidation.folds).toBe(5);
    expect(saved.training).toMatchObject({ rows: 40, heldOutForScoring: 0 });
    expect(saved.model.state.alphaFrom).toBe('cross-validation');
    expect(saved.model.hyperparameters.alpha).toBeGreaterThan(0);
    expect(saved.model.hyperparameters.alpha).toBeLessThan(0.01);
    const got = await predict('cv.json');
    for (const [i, g] of got.entries()) expect(Math.abs(g - (expected[i] as number))).toBeLessThan(0.0005);
    expect(saved.metrics.ranking).toMatchObject({ ok: true, n: 40 });
    expect(fit.stdout).toMatch(/"ranking"/);
  }, 60_000);

  it('a runtime update (simulated: every latency × 1.3 + 0.05 ms) moves the canaries, which say so in one line; recalibrate from 10 networks brings the predictor back', async () => {
    const device = { device: 'sim device', samples: 1, wobble: true, delayMs: 0 };
    const dir = simProject(0, { simDevice: device });
    const config = path.join(dir, 'hurricane.config.json');
    const ds = await hurricane(['predictor', 'dataset', '-n', '60', '--repeats', '5', '--json'], dir);
    expect(ds.code, ds.stderr).toBe(0);
    expect(ds.stderr).not.toMatch(/canar/); // the first run has nothing to compare with
    const fit = await hurricane(['predictor', 'fit', '--model', 'lasso', '--train', JSON.parse(ds.stdout).csv, '-o', 'p.json'], dir);
    expect(fit.code, fit.stderr).toBe(0);

    const c = JSON.parse(readFileSync(config, 'utf8'));
    c.simDevice = { ...device, runtimeVersion: '2', runtimeScale: 1.3, runtimeOffsetMs: 0.05 };
    writeFileSync(config, JSON.stringify(c));
    // the new runtime's profile starts with the canaries, which moved
    const profiled = await hurricane(['profile'], dir);
    expect(profiled.code, profiled.stderr).toBe(0);
    const line = profiled.stderr.split('\n').filter((l) => /canar/.test(l));
    expect(line).toHaveLength(1);
    expect(line[0]).toMatch(
      /^warning: the 3 canary networks moved \+3\d\.\d % since the run of \S+ \(runtime 1 → 2\), beyond the noise floor of 5\.0 %: .* 'hurricane predictor recalibrate <predictor\.json> -o <recalibrated\.json>'$/,
    );

    // the data set under the new runtime (the truth below) compares its canaries with the profile's: nothing moved, nothing changed
    const after = await hurricane(['predictor', 'dataset', '-n', '60', '--repeats', '5', '-o', 'new.csv', '--json'], dir);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stderr).not.toMatch(/canar/);
    const stale = await hurricane(['predictor', 'eval', 'p.json', '--input', 'new.csv', '--json'], dir);
    const re = await hurricane(['predictor', 'recalibrate', 'p.json', '-o', 'r.json', '-n', '10'], dir);
    expect(re.code, re.stderr).toBe(0);
    expect(re.stdout).toMatch(/^recalibrated p\.json to sim-1 \(runtime 2\) from 10 networks measured now: latency ≈ 1\.\d+ × prediction/m);
    const fresh = await hurricane(['predictor', 'eval', 'r.json', '--input', 'new.csv', '--json'], dir);
    const mape = (r: { stdout: string }) => JSON.parse(r.stdout).metrics.mapePct as number;
    // every prediction is off by the update: |L − (1.3 L + 0.05)| / (1.3 L + 0.05) ≈ 0.3 / 1.3 = 23 % (hand), give or take Lasso's error
    expect(mape(stale)).toBeGreaterThan(20);
    expect(mape(fresh)).toBeLessThan(3); // the wobble is ±1 %, Lasso's own error a little more
    const saved = JSON.parse(readFileSync(path.join(dir, 'r.json'), 'utf8'));
    expect(saved.calibration).toMatchObject({ networks: 10, runtimeVersion: '2', deviceFingerprint: 'sim-1' });
    expect(saved.model).toEqual(JSON.parse(readFileSync(path.join(dir, 'p.json'), 'utf8')).model); // the model itself is untouched
    const few = await hurricane(['predictor', 'recalibrate', 'p.json', '-o', 'x.json', '-n', '2'], dir);
    expect(few.code).toBe(2);
    expect(few.stderr).toMatch(/^hurricane: --networks must be at least 3/);
  }, 180_000);
});
