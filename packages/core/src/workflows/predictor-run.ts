import { existsSync, readFileSync } from 'node:fs';
import type { FeatureContext, PredictionBatch } from '../contracts/predictor.js';
import { ConfigError, ExitCode, HurricaneError } from '../errors.js';
import { type Encoding, checkColumns } from '../predict/encoding.js';
import { type LatencyTable, readLatencyCsv } from '../predict/csv-data.js';
import {
  type ModelSelection,
  type ModelSpec,
  chooseModel,
  createPredictor,
  crossValidate,
  fitAll,
  fitWithHoldout,
} from '../predict/evaluate-models.js';
import { type PredictionMetrics, predictionMetrics } from '../predict/metrics.js';
import { holdoutSplit, pick } from '../predict/split.js';
import { meanPredictorMape, rankingCheck } from '../predict/ranking-check.js';
import {
  PREDICTOR_FORMAT,
  PREDICTOR_FORMAT_VERSION,
  type PredictorFile,
  dataHash,
  readPredictorFile,
  restorePredictor,
  writePredictorFile,
} from '../predict/predictor-file.js';
import type { HurricaneSession } from '../session/session.js';
import { type DatasetMeta, metaPathOf } from './predictor-dataset.js';
import { CORE_VERSION } from '../version.js';

/** A predictor's training data: a latency CSV with what its sidecar says about it (when it has one whose columns match). */
export interface LatencyDataset {
  readonly table: LatencyTable & { readonly y: readonly number[] };
  readonly encoding: Encoding;
  readonly meta: DatasetMeta | null;
  readonly features: FeatureContext;
}

/** Reads a training CSV and, when `hurricane predictor dataset` wrote it, its `.meta.json` (encoding, hardware, operator latencies, noise floor). */
export function readLatencyDataset(file: string): LatencyDataset {
  const table = readLatencyCsv(file, { requireLatency: true }) as LatencyDataset['table'];
  const metaFile = metaPathOf(file);
  let meta: DatasetMeta | null = null;
  if (existsSync(metaFile)) {
    const m = JSON.parse(readFileSync(metaFile, 'utf8')) as DatasetMeta;
    if (m.format === 'hurricane-predictor-dataset' && m.encoding.columns.join() === table.columns.join()) meta = m;
  }
  const encoding: Encoding = meta ? meta.encoding : { columns: table.columns, preset: null, spaceHash: null };
  const features: FeatureContext = { columns: table.columns, ...(meta ? { operatorLatencyMs: meta.operatorLatencyMs } : {}) };
  return { table, encoding, meta, features };
}

/** Options of {@link fitPredictor}. */
export interface FitOptions {
  readonly train: string;
  readonly output: string;
  /** A model kind or `auto` (default: the config's `predictor.model`). */
  readonly model?: string;
  /** Options of the model (merged over the config's when the model is the config's). */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Held-out share for scoring, in [0, 1) (default 0.2, docs/method.md §6); the final model is fitted on every row either way. */
  readonly testShare?: number;
  /** Folds of the cross-validation (default 5). */
  readonly folds?: number;
  /** Called when `auto` starts cross-validating a model, and before the final fit. */
  readonly onStage?: (what: string) => void;
  /**
   * Fit a model that cannot rank the data's latencies ({@link rankingCheck}) anyway (default: refuse
   * it in one line; `auto` never picks such a model while another can rank).
   */
  readonly allowWeak?: boolean;
  /** How to override the refusal, ending its line (e.g. "--allow-weak fits it anyway"). */
  readonly weakOverride?: string;
}

/** What to do about latencies no model ranks, as the refusal's advice. */
function weakAdvice(o: FitOptions): string {
  return [
    'measure more networks or more repeats on a quieter machine (hurricane predictor dataset -n N; in a search: search.datasetSize, search.datasetRepeats)',
    'or try another model (predictor.model: bayesian-ridge, gp, lut, lasso)',
    ...(o.weakOverride ? [`or, knowing its predictions cannot tell candidates apart, ${o.weakOverride}`] : []),
  ].join(', ');
}

/** What {@link fitPredictor} wrote. */
export interface FitSummary {
  readonly file: string;
  readonly predictor: PredictorFile;
  readonly selection: ModelSelection | null;
  readonly fitMs: number;
}

function modelSpec(session: HurricaneSession, o: FitOptions): ModelSpec | 'auto' {
  const { model: configModel, ...configOptions } = session.config.core.predictor;
  const model = o.model ?? configModel;
  if (model === 'auto') {
    if (o.options && Object.keys(o.options).length > 0) {
      throw new ConfigError(
        `options ${Object.keys(o.options).join(', ')} belong to one model; with --model auto every model is fitted with its defaults: name the model (--model gp, lasso, …)`,
      );
    }
    return 'auto';
  }
  return { factory: session.predictorFactory(model), options: { ...(model === configModel ? configOptions : {}), ...o.options } };
}

/**
 * The model to fit with its cross-validated metrics on the scoring rows and its ranking verdict:
 * the named one, or with `auto` the best among those that rank. A model that cannot rank is
 * refused in one line unless `allowWeak`.
 */
async function scoredModel(
  session: HurricaneSession,
  o: FitOptions,
  spec: ModelSpec | 'auto',
  data: LatencyDataset,
  rows: { x: readonly (readonly number[])[]; y: readonly number[]; folds: number },
) {
  const seed = session.config.core.seed;
  const cvo = { folds: rows.folds, seed };
  if (spec === 'auto') {
    const selection = await chooseModel(session.predictorFactories(), data.features, rows.x, rows.y, {
      ...{ ...cvo, onModel: (kind: string) => o.onStage?.(`cross-validating ${kind}`) },
      ...{ allowWeak: o.allowWeak ?? false, advice: weakAdvice(o) },
    });
    const c = selection.candidates.find((k) => k.model === selection.chosen.factory.kind) as ModelSelection['candidates'][0];
    return { chosen: selection.chosen, selection, cv: { ...c.metrics, folds: rows.folds }, ranking: c.ranking };
  }
  createPredictor(spec, data.features); // options checked before any work
  o.onStage?.(`cross-validating ${spec.factory.kind}`);
  const cv = await crossValidate(spec, data.features, rows.x, rows.y, cvo);
  const ranking = rankingCheck(cv, meanPredictorMape(rows.y, cvo));
  if (!ranking.ok && !o.allowWeak)
    throw new HurricaneError(`predictor ${spec.factory.kind} cannot rank these latencies: ${ranking.reason}; ${weakAdvice(o)}`);
  return { chosen: spec, selection: null, cv, ranking };
}

/**
 * `hurricane predictor fit`: scores a model (or, with `auto`, the best by cross-validation) on a
 * held-out share of a latency CSV (default 20 %; 0 scores by cross-validation only) and by k-fold
 * cross-validation of the rest, then fits it again on every row (the usual refit after model
 * selection), and writes the portable predictor file with its metrics, the data's noise floor
 * when known, and the encoding.
 */
export async function fitPredictor(session: HurricaneSession, o: FitOptions): Promise<FitSummary> {
  const data = readLatencyDataset(o.train);
  const { x, y, columns } = data.table;
  const seed = session.config.core.seed;
  const testShare = o.testShare ?? 0.2;
  const spec = modelSpec(session, o);
  const started = performance.now();
  if (x.length < 10) {
    throw new HurricaneError(
      `${o.train} has ${x.length} rows; a predictor needs at least 10 (measure more with 'hurricane predictor dataset -n N')`,
      { exitCode: ExitCode.BadUsage },
    );
  }
  const split = testShare > 0 ? holdoutSplit(x.length, testShare, seed) : null;
  const scoreX = split ? pick(x, split.train) : x;
  const scoreY = split ? pick(y, split.train) : y;
  const cvFolds = Math.min(o.folds ?? 5, Math.floor(scoreX.length / 2));
  const { chosen, selection, cv, ranking } = await scoredModel(session, o, spec, data, { x: scoreX, y: scoreY, folds: cvFolds });
  let holdout: PredictionMetrics | undefined;
  if (split) {
    o.onStage?.(`scoring ${chosen.factory.kind}: fitted on ${split.train.length} rows, predicting the ${split.test.length} held out`);
    holdout = (await fitWithHoldout(chosen, data.features, x, y, { testShare, seed })).holdout;
  }
  o.onStage?.(`fitting ${chosen.factory.kind} on all ${x.length} rows`);
  const model = await fitAll(chosen, data.features, x, y);
  const predictor: PredictorFile = {
    format: PREDICTOR_FORMAT,
    formatVersion: PREDICTOR_FORMAT_VERSION,
    createdBy: `@hurricane/core ${CORE_VERSION}`,
    createdAt: new Date().toISOString(),
    model: model.serialize(),
    encoding: data.encoding,
    hardware: data.meta?.hardware ?? null,
    training: { source: o.train, rows: x.length, heldOutForScoring: split?.test.length ?? 0, dataHash: dataHash(columns, x, y), seed },
    metrics: {
      ...(holdout ? { holdout } : {}),
      crossValidation: cv,
      ranking,
      ...(data.meta?.noiseFloor ? { noiseFloor: data.meta.noiseFloor } : {}),
    },
    ...(selection ? { selection: { reason: selection.reason, candidates: selection.candidates } } : {}),
  };
  writePredictorFile(o.output, predictor);
  return { file: o.output, predictor, selection, fitMs: performance.now() - started };
}

/** A predictor file's model, ready to predict rows of an input CSV whose columns it checks. */
function loadFor(session: HurricaneSession, file: string, input: string, requireLatency: boolean) {
  const pf = readPredictorFile(file);
  const model = restorePredictor(file, pf, session.predictorFactories());
  const table = readLatencyCsv(input, { requireLatency });
  checkColumns(pf.encoding, table.columns, input);
  return { pf, model, table };
}

/** `hurricane predictor predict`: one prediction (mean, and std where the model has one) per row of the input CSV. */
export function predictFromFile(session: HurricaneSession, file: string, input: string): PredictionBatch & { predictor: PredictorFile } {
  const { pf, model, table } = loadFor(session, file, input, false);
  return { ...model.predict(table.x), predictor: pf };
}

/** `hurricane predictor eval`: the metrics of a predictor file on a CSV with measured latencies, beside the noise floor it was fitted with. */
export function evaluateFromFile(
  session: HurricaneSession,
  file: string,
  input: string,
): { metrics: PredictionMetrics; predictor: PredictorFile } {
  const { pf, model, table } = loadFor(session, file, input, true);
  const p = model.predict(table.x);
  return { metrics: predictionMetrics(table.y as number[], p.mean, p.std), predictor: pf };
}
