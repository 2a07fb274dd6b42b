/**
 * `@hurricane/core/predict`: what latency predictors are fitted on and judged by (docs/method.md §6) — the
 * one-hot encoding of a reduced space's architectures, uniform sampling, latency CSVs, splits,
 * metrics, `P(latency ≤ budget)`, model selection by cross-validation and the portable predictor
 * file. Pure Node (csv-parse, stdlib's erfc): no TF.js, ONNX Runtime, SQLite or hardware code. The
 * models are plugins (`@hurricane/predictors`) behind the `PredictorFactory` contract.
 */
export { checkColumns, columnName, encodeArchitecture, spaceEncoding, spaceHash } from './encoding.js';
export type { EncodableSpace, Encoding } from './encoding.js';
export { sampleArchitectures, spaceSize } from './sample.js';
export { LATENCY_COLUMN, readLatencyCsv, writeLatencyCsv } from './csv-data.js';
export type { LatencyTable } from './csv-data.js';
export { holdoutSplit, kFolds, pick } from './split.js';
export type { Split } from './split.js';
export { kendallTau, predictionMetrics } from './metrics.js';
export type { PredictionMetrics } from './metrics.js';
export { meetsBudget, probabilityWithinBudget } from './uncertainty.js';
export { chooseModel, createPredictor, crossValidate, fitAll, fitWithHoldout } from './evaluate-models.js';
export type { ModelSelection, ModelSpec } from './evaluate-models.js';
export {
  PREDICTOR_FORMAT,
  PREDICTOR_FORMAT_VERSION,
  dataHash,
  readPredictorFile,
  restorePredictor,
  writePredictorFile,
} from './predictor-file.js';
export type { PredictorFile, PredictorMetrics } from './predictor-file.js';
export { fitScaleOffset, lookupLatencyModel, predictorLatencyModel } from './latency-model.js';
export type { LatencyModel } from './latency-model.js';
