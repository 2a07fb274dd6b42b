import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../atomic-write.js';
import type { Predictor, PredictorFactory, SerializedPredictor } from '../contracts/predictor.js';
import { ExitCode, HurricaneError } from '../errors.js';

/** Bad input files are usage errors: exit 2. */
const BAD_INPUT = { exitCode: ExitCode.BadUsage } as const;
import type { Encoding } from './encoding.js';
import type { PredictionMetrics } from './metrics.js';
import type { RankingCheck } from './ranking-check.js';

/** The `format` field of every predictor file. */
export const PREDICTOR_FORMAT = 'hurricane-predictor';
/** The newest predictor-file layout this Hurricane writes and reads; older ones are read too. */
export const PREDICTOR_FORMAT_VERSION = 1;

/** Where a predictor's figures come from. */
export interface PredictorMetrics {
  /** On the held-out share of the data (80/20 by default), predicted by a model fitted without it; absent with `--test-share 0`. */
  readonly holdout?: PredictionMetrics;
  /** Pooled over k folds of the training share. */
  readonly crossValidation?: PredictionMetrics & { readonly folds: number };
  /**
   * Whether the model ranks the data's latencies, from its cross-validated predictions: the search
   * refuses one that cannot (docs/search.md). Absent in files written before the check.
   */
  readonly ranking?: RankingCheck;
  /** Repeated measurements scored against the first: what no model can beat. */
  readonly noiseFloor?: PredictionMetrics & { readonly pairs: number };
}

/** What `hurricane predictor recalibrate` fitted, and on what. */
export interface PredictorCalibration {
  readonly scale: number;
  readonly offset: number;
  /** Networks measured for it. */
  readonly networks: number;
  /** The device and runtime it calibrates to. */
  readonly deviceFingerprint: string;
  readonly runtimeVersion: string;
  readonly createdAt: string;
  /** MAPE on those networks before recalibration, and leave-one-out after. */
  readonly mapeBeforePct: number;
  readonly mapeAfterLooPct: number;
}

/**
 * A fitted predictor as portable, versioned JSON: the model (kind, format version, hyper-parameters,
 * fitted state — plain numbers, no pickles), the encoding it expects, the hardware and data it was
 * fitted on and its metrics. Any later Hurricane reads it; a file it cannot read is refused saying why.
 */
export interface PredictorFile {
  readonly format: typeof PREDICTOR_FORMAT;
  readonly formatVersion: number;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly model: SerializedPredictor;
  readonly encoding: Encoding;
  /** The hardware the latencies were measured on, when the data came from `hurricane predictor dataset`. */
  readonly hardware: {
    readonly adapterId: string;
    readonly device: string;
    readonly deviceFingerprint: string;
    readonly runtimeVersion: string;
  } | null;
  readonly training: {
    /** The file the data came from (as given). */
    readonly source: string;
    /** Rows the final model was fitted on: every row of the source (files written before the refit on every row: the training share). */
    readonly rows: number;
    /**
     * Rows held out to score a separate fit (`metrics.holdout`) and then fitted on with the rest;
     * absent in files written before the refit on every row.
     */
    readonly heldOutForScoring?: number;
    /** SHA-256 of the column names, features and latencies it was fitted on. */
    readonly dataHash: string;
    readonly seed: number;
  };
  readonly metrics: PredictorMetrics;
  /**
   * A linear recalibration to a changed device or runtime (`hurricane predictor recalibrate`):
   * predictions become `scale · mean + offset` (std `scale · std`). Absent on a fitted predictor.
   */
  readonly calibration?: PredictorCalibration;
  /** Why this model, when `--model auto` chose it. */
  readonly selection?: {
    readonly reason: string;
    readonly candidates: readonly { readonly model: string; readonly metrics: PredictionMetrics; readonly ranking?: RankingCheck }[];
  };
}

/** SHA-256 of a data set (column names, rows, latencies), as recorded in a predictor file. */
export function dataHash(columns: readonly string[], x: readonly (readonly number[])[], y: readonly number[]): string {
  const h = createHash('sha256').update(JSON.stringify(columns));
  x.forEach((row, i) => {
    h.update(`${row.join(',')};${y[i]}\n`);
  });
  return h.digest('hex');
}

/** Writes a predictor file atomically. */
export function writePredictorFile(file: string, p: PredictorFile): void {
  writeFileAtomicSync(file, `${JSON.stringify(p, null, 1)}\n`);
}

/** Reads and checks a predictor file; every reason it cannot be used is one error naming the file. */
export function readPredictorFile(file: string): PredictorFile {
  if (!existsSync(file))
    throw new HurricaneError(`${file} does not exist: fit one with 'hurricane predictor fit --train <data.csv> -o ${file}'`, BAD_INPUT);
  let data: Partial<PredictorFile>;
  try {
    data = JSON.parse(readFileSync(file, 'utf8')) as Partial<PredictorFile>;
  } catch (error) {
    throw new HurricaneError(
      `${file} is not JSON (${(error as Error).message}); is it a predictor written by 'hurricane predictor fit'?`,
      BAD_INPUT,
    );
  }
  if (data.format !== PREDICTOR_FORMAT)
    throw new HurricaneError(
      `${file} is not a Hurricane predictor (format '${String(data.format)}', expected '${PREDICTOR_FORMAT}')`,
      BAD_INPUT,
    );
  if (typeof data.formatVersion !== 'number' || data.formatVersion > PREDICTOR_FORMAT_VERSION) {
    throw new HurricaneError(
      `${file} was written by a newer Hurricane (${String(data.createdBy)}, predictor format ${String(data.formatVersion)}); this one reads format ${PREDICTOR_FORMAT_VERSION} and older: upgrade @hurricane/core`,
      BAD_INPUT,
    );
  }
  if (!data.model || typeof data.model.kind !== 'string' || !data.encoding || !Array.isArray(data.encoding.columns)) {
    throw new HurricaneError(
      `${file} is incomplete: a predictor file needs 'model' (with 'kind') and 'encoding' (with 'columns')`,
      BAD_INPUT,
    );
  }
  return data as PredictorFile;
}

/** Rebuilds the model of a predictor file with the factory of its kind; says which plugin is missing or why the factory refused. */
export function restorePredictor(file: string, p: PredictorFile, factories: readonly PredictorFactory[]): Predictor {
  const f = factories.find((x) => x.kind === p.model.kind);
  if (!f) {
    throw new HurricaneError(
      `${file} holds a '${p.model.kind}' model but no loaded plugin provides it (loaded: ${factories.map((x) => x.kind).join(', ') || 'none'}); add the plugin that does to 'plugins'`,
      BAD_INPUT,
    );
  }
  let model: Predictor;
  try {
    model = f.deserialize(p.model);
  } catch (error) {
    throw new HurricaneError(`${file} cannot be loaded: ${(error as Error).message}`, BAD_INPUT);
  }
  const c = p.calibration;
  if (!c) return model;
  if (!Number.isFinite(c.scale) || !(c.scale > 0) || !Number.isFinite(c.offset))
    throw new HurricaneError(`${file} has a calibration whose scale or offset is not a finite number (scale must be > 0)`, BAD_INPUT);
  return calibrated(model, c);
}

/** `model` with its predictions mapped by a calibration: mean → scale · mean + offset, std → scale · std. */
export function calibrated(model: Predictor, c: Pick<PredictorCalibration, 'scale' | 'offset'>): Predictor {
  return {
    kind: model.kind,
    fit: (x, y) => model.fit(x, y),
    predict(x) {
      const p = model.predict(x);
      return { mean: p.mean.map((m) => c.scale * m + c.offset), ...(p.std ? { std: p.std.map((s) => c.scale * s) } : {}) };
    },
    serialize: () => model.serialize(),
  };
}
