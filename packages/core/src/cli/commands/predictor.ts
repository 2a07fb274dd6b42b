import type { HurricaneSession } from '../../session/session.js';
import { ExitCode, HurricaneError } from '../../errors.js';
import { measureDataset, metaPathOf } from '../../workflows/predictor-dataset.js';
import type { PredictionMetrics } from '../../predict/metrics.js';
import { type CliIO, relPath as rel } from '../output.js';
import { cliProgress } from '../progress.js';
import { numberIn, positiveInt } from './numbers.js';
import { type FitSummary, evaluateFromFile, fitPredictor, predictFromFile } from '../../workflows/predictor-run.js';
import { recalibratePredictor } from '../../workflows/predictor-recalibrate.js';

/** One line of metrics, as every predictor command prints them. */
export function metricsLine(m: PredictionMetrics): string {
  const sigma =
    m.within1SigmaPct !== undefined ? `, ±1σ ${m.within1SigmaPct.toFixed(1)} %, ±2σ ${(m.within2SigmaPct ?? 0).toFixed(1)} %` : '';
  return (
    `RMSE ${m.rmseMs.toFixed(4)} ms, MAE ${m.maeMs.toFixed(4)} ms, MAPE ${m.mapePct.toFixed(2)} %, ` +
    `±5 % ${m.within5Pct.toFixed(1)} %, ±10 % ${m.within10Pct.toFixed(1)} %, Kendall τ ${m.kendallTau.toFixed(3)}${sigma} (n = ${m.n})`
  );
}

/** `hurricane predictor dataset`: sample, measure and encode architectures of the reduced space. */
export async function datasetCommand(
  session: HurricaneSession,
  io: CliIO,
  opts: { n: string; repeats?: string; output?: string; json?: boolean },
): Promise<number> {
  const controller = new AbortController();
  const s = await measureDataset(session, {
    n: positiveInt(opts.n, '-n'),
    ...(opts.repeats !== undefined ? { repeats: positiveInt(opts.repeats, '--repeats') } : {}),
    ...(opts.output ? { output: opts.output } : {}),
    progress: cliProgress(io),
    signal: controller.signal,
    log: (l) => io.err(l),
  });
  if (opts.json) {
    io.out(
      JSON.stringify(
        { csv: s.csv, meta: metaPathOf(s.csv), measured: s.measured, reused: s.reused, wallMs: s.wallMs, noiseFloor: s.meta.noiseFloor },
        null,
        2,
      ),
    );
    return ExitCode.Success;
  }
  const hw = s.meta.hardware;
  io.out(
    `measured ${s.meta.architectures.length} ${s.meta.encoding.preset} networks on ${hw.adapterId} (${hw.device}, runtime ${hw.runtimeVersion}): ` +
      `${s.measured} new measurements, ${s.reused} reused, in ${(s.wallMs / 1000).toFixed(1)} s`,
  );
  if (s.meta.noiseFloor)
    io.out(`noise floor (second measurement of ${s.meta.noiseFloor.pairs} networks against the first): ${metricsLine(s.meta.noiseFloor)}`);
  io.out(`wrote ${rel(s.csv)} (${s.meta.encoding.columns.length} features) and ${rel(metaPathOf(s.csv))}`);
  return ExitCode.Success;
}

/** What `hurricane predictor fit` prints in words: the choice, the fit, and each error beside the noise floor. */
function printFit(io: CliIO, s: FitSummary): void {
  const p = s.predictor;
  if (s.selection) {
    io.out(`auto chose ${s.selection.reason}`);
    for (const k of s.selection.skipped) io.out(`  skipped ${k}`);
  }
  const hp = Object.entries(p.model.hyperparameters)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? Number(v.toPrecision(4)) : String(v)}`)
    .join(', ');
  io.out(`fitted ${p.model.kind} (${hp}) on all ${p.training.rows} rows of ${rel(p.training.source)} in ${(s.fitMs / 1000).toFixed(1)} s`);
  const held = p.training.heldOutForScoring ?? 0;
  if (p.metrics.holdout)
    io.out(`held-out (a fit on the other ${p.training.rows - held} rows predicting ${held}): ${metricsLine(p.metrics.holdout)}`);
  if (p.metrics.crossValidation) io.out(`${p.metrics.crossValidation.folds}-fold CV: ${metricsLine(p.metrics.crossValidation)}`);
  const r = p.metrics.ranking;
  if (r)
    io.out(
      r.ok
        ? `ranks: τ ${r.kendallTau.toFixed(3)} ≥ ${r.tauFloor.toFixed(3)} (chance at ${r.n} rows), MAPE ${r.mapePct.toFixed(2)} % < ${r.meanMapePct.toFixed(2)} % for predicting the mean`
        : `WARNING: this model cannot rank these latencies: ${r.reason}; a search refuses it unless search.allowWeakPredictor is true`,
    );
  io.out(
    p.metrics.noiseFloor
      ? `noise floor: ${metricsLine(p.metrics.noiseFloor)}`
      : 'noise floor: unknown (the data were not measured by hurricane predictor dataset)',
  );
  io.out(`wrote ${rel(s.file)}`);
}

/** The model options given on the command line, each checked as its flag. */
function modelOptions(opts: { alpha?: string; nu?: string; lengthScale?: string; fixed?: boolean }): Record<string, unknown> {
  const inf = Number.POSITIVE_INFINITY;
  return {
    ...(opts.alpha !== undefined ? { alpha: numberIn(opts.alpha, '--alpha', 0, inf) } : {}),
    ...(opts.nu !== undefined ? { nu: numberIn(opts.nu, '--nu', 0, inf, true) } : {}),
    ...(opts.lengthScale !== undefined ? { lengthScale: numberIn(opts.lengthScale, '--length-scale', 0, inf, true) } : {}),
    ...(opts.fixed ? { fixed: true } : {}),
  };
}

/** `--test-share`: a share in [0, 1); 0 scores by cross-validation alone. */
function testShareOf(v: string): number {
  const n = Number(v);
  if (v.trim() !== '' && n === 0) return 0;
  return numberIn(v, '--test-share', 0, 1, true);
}

/** `hurricane predictor fit`: fit a model (or `auto`) on a latency CSV and write the predictor file. */
export async function fitCommand(
  session: HurricaneSession,
  io: CliIO,
  opts: {
    train: string;
    output: string;
    model?: string;
    alpha?: string;
    nu?: string;
    lengthScale?: string;
    fixed?: boolean;
    testShare?: string;
    folds?: string;
    allowWeak?: boolean;
    json?: boolean;
  },
): Promise<number> {
  const s = await fitPredictor(session, {
    ...{ allowWeak: opts.allowWeak === true, weakOverride: '--allow-weak writes it anyway' },
    train: opts.train,
    output: opts.output,
    ...(opts.model !== undefined ? { model: opts.model } : {}),
    options: modelOptions(opts),
    ...(opts.testShare !== undefined ? { testShare: testShareOf(opts.testShare) } : {}),
    ...(opts.folds !== undefined ? { folds: positiveInt(opts.folds, '--folds') } : {}),
    onStage: (what) => io.err(`hurricane: ${what}`),
  });
  if (!opts.json) printFit(io, s);
  else {
    const p = s.predictor;
    const out = { file: s.file, model: p.model.kind, hyperparameters: p.model.hyperparameters, metrics: p.metrics };
    io.out(JSON.stringify({ ...out, selection: p.selection ?? null, fitMs: s.fitMs }, null, 2));
  }
  return ExitCode.Success;
}

/** `hurricane predictor predict`: one prediction per input row, as a CSV-like table or JSON. */
export async function predictCommand(
  session: HurricaneSession,
  io: CliIO,
  file: string,
  opts: { input: string; json?: boolean },
): Promise<number> {
  const r = predictFromFile(session, file, opts.input);
  if (opts.json) {
    io.out(JSON.stringify(r.mean.map((mean, i) => (r.std ? { mean, std: r.std[i] } : { mean }))));
    return ExitCode.Success;
  }
  io.out(r.std ? 'row,mean_ms,std_ms' : 'row,mean_ms');
  r.mean.forEach((m, i) => {
    io.out(r.std ? `${i + 1},${m},${r.std[i]}` : `${i + 1},${m}`);
  });
  return ExitCode.Success;
}

/** `hurricane predictor eval`: metrics of a predictor file on a CSV with measured latencies. */
export async function evalCommand(
  session: HurricaneSession,
  io: CliIO,
  file: string,
  opts: { input: string; json?: boolean },
): Promise<number> {
  const r = evaluateFromFile(session, file, opts.input);
  if (opts.json) {
    io.out(
      JSON.stringify({ model: r.predictor.model.kind, metrics: r.metrics, noiseFloor: r.predictor.metrics.noiseFloor ?? null }, null, 2),
    );
    return ExitCode.Success;
  }
  io.out(`${r.predictor.model.kind} on ${rel(opts.input)}: ${metricsLine(r.metrics)}`);
  const nf = r.predictor.metrics.noiseFloor;
  io.out(
    nf
      ? `noise floor of its training data: ${metricsLine(nf)}`
      : 'noise floor: unknown (the training data were not measured by hurricane predictor dataset)',
  );
  return ExitCode.Success;
}

/** `hurricane predictor recalibrate`: measure a few networks now and refit the predictor's scale and offset to them. */
export async function recalibrateCommand(
  session: HurricaneSession,
  io: CliIO,
  file: string,
  opts: { output: string; networks: string; json?: boolean },
): Promise<number> {
  const n = positiveInt(opts.networks, '--networks');
  if (n < 3)
    throw new HurricaneError(`--networks must be at least 3 (a scale, an offset and a check), got ${n}`, { exitCode: ExitCode.BadUsage });
  const controller = new AbortController();
  const r = await recalibratePredictor(session, { file, output: opts.output, n, progress: cliProgress(io), signal: controller.signal });
  const c = r.calibration;
  if (opts.json) io.out(JSON.stringify({ file: r.file, calibration: c }, null, 2));
  else
    io.out(
      `recalibrated ${rel(file)} to ${c.deviceFingerprint} (runtime ${c.runtimeVersion}) from ${c.networks} networks measured now: ` +
        `latency ≈ ${c.scale.toFixed(4)} × prediction ${c.offset >= 0 ? '+' : '−'} ${Math.abs(c.offset).toFixed(4)} ms; ` +
        `MAPE on them ${c.mapeBeforePct.toFixed(2)} % before, ${c.mapeAfterLooPct.toFixed(2)} % after (leave-one-out); wrote ${rel(r.file)}`,
    );
  return ExitCode.Success;
}
