import { HurricaneError } from '../errors.js';
import { checkColumns, encodeArchitecture, spaceEncoding } from '../predict/encoding.js';
import { predictionMetrics } from '../predict/metrics.js';
import {
  type PredictorCalibration,
  type PredictorFile,
  readPredictorFile,
  restorePredictor,
  writePredictorFile,
} from '../predict/predictor-file.js';
import { sampleArchitectures } from '../predict/sample.js';
import { readSpace } from '../profile/space-file.js';
import type { ProgressReporter } from '../progress.js';
import type { HurricaneSession } from '../session/session.js';
import { measureArchitectures } from './predictor-dataset.js';
import { spacePath } from './profile-run.js';

/** Least squares `y ≈ scale · p + offset`; a constant `p` keeps scale 1 and fits the offset. */
export function fitScaleOffset(p: readonly number[], y: readonly number[]): { scale: number; offset: number } {
  const n = p.length;
  const mp = p.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let spp = 0;
  let spy = 0;
  p.forEach((v, i) => {
    spp += (v - mp) ** 2;
    spy += (v - mp) * ((y[i] as number) - my);
  });
  const scale = spp > 0 && spy > 0 ? spy / spp : 1;
  return { scale, offset: my - scale * mp };
}

/** MAPE of the calibration fitted without each network in turn, predicting it (leave-one-out). */
function looMape(p: readonly number[], y: readonly number[]): number {
  const pred = p.map((_, i) => {
    const c = fitScaleOffset(
      p.filter((_, j) => j !== i),
      y.filter((_, j) => j !== i),
    );
    return c.scale * (p[i] as number) + c.offset;
  });
  return predictionMetrics([...y], pred).mapePct;
}

/** What {@link recalibratePredictor} did. */
export interface RecalibrateSummary {
  readonly file: string;
  readonly predictor: PredictorFile;
  readonly calibration: PredictorCalibration;
}

/**
 * `hurricane predictor recalibrate`: after a runtime update or a change of the device's conditions,
 * measures `n` seeded architectures of the reduced space now and refits only a scale and offset of
 * the existing predictor's predictions to them (the few-shot idea of HELP and LitePred), instead of
 * measuring a new data set. The predictor's model stays as fitted; the file gains `calibration`.
 */
export async function recalibratePredictor(
  session: HurricaneSession,
  o: { file: string; output: string; n: number; seed?: number; progress?: ProgressReporter; signal?: AbortSignal },
): Promise<RecalibrateSummary> {
  if (!Number.isInteger(o.n) || o.n < 3)
    throw new HurricaneError(`recalibration needs at least 3 networks to fit a scale and an offset and check them, got ${o.n}`);
  const pf = readPredictorFile(o.file);
  const { calibration: _, ...uncalibrated } = pf;
  const model = restorePredictor(o.file, uncalibrated, session.predictorFactories());
  const seed = (o.seed ?? session.config.core.seed) + 1_000_003; // not the data set's architectures
  const space = readSpace(spacePath(session));
  checkColumns(pf.encoding, spaceEncoding(space).columns, spacePath(session));
  const archs = sampleArchitectures(space, o.n, seed);
  const { hardware, measurements } = await measureArchitectures(session, archs, o);
  const y = measurements.map((m) => m.medianMs);
  const p = model.predict(archs.map((a) => encodeArchitecture(space, a))).mean;
  const { scale, offset } = fitScaleOffset(p, y);
  const calibration: PredictorCalibration = {
    scale,
    offset,
    networks: o.n,
    deviceFingerprint: hardware.deviceFingerprint,
    runtimeVersion: hardware.runtimeVersion,
    createdAt: new Date().toISOString(),
    mapeBeforePct: predictionMetrics(y, [...p]).mapePct,
    mapeAfterLooPct: looMape(p, y),
  };
  const predictor: PredictorFile = { ...pf, calibration };
  writePredictorFile(o.output, predictor);
  return { file: o.output, predictor, calibration };
}
