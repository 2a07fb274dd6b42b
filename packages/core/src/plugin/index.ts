/**
 * `@hurricane/core/plugin`: everything a plugin author needs — the contracts, their tokens, the
 * descriptor helper, and shared helpers for shell-out adapters.
 */
export { PLUGIN_API_VERSION, defineHurricanePlugin } from './plugin.js';
export type { HurricanePlugin, PluginContext, StandardSchema, StandardResult } from './plugin.js';
export { token } from './token.js';
export type { Token } from './token.js';
export { HardwareAdapter } from './hardware-adapter.js';
export type {
  HardwareDescription,
  HealthCheck,
  HealthReport,
  LatencyMeasurement,
  MeasureOptions,
  MeasurementProvenance,
  OnnxModel,
  PreparedModel,
} from './hardware-adapter.js';
export { ScoringFunction } from './scoring-function.js';
export type { OperatorProfile } from './scoring-function.js';
export { Predictor, PredictorFactory } from './predictor.js';
export type { PredictionBatch, SerializedPredictor } from './predictor.js';
export { Logger } from './logger.js';
export { Environment } from './environment.js';
export { ToolRunner } from './tool-runner.js';
export type { ToolResult, ToolRunOptions } from './tool-runner.js';
export { HurricaneError, ToolError, UnsupportedError, ConfigError, ExitCode } from '../errors.js';
export { findExecutable } from '../tools/which.js';
export { parseAdbDevices, adbStateFix } from '../tools/adb.js';
export { checkAdbDevice, checkExecutable } from '../tools/checks.js';
export type { AdbDevice } from '../tools/adb.js';
export { summarizeSamples, percentile } from '../measurement/statistics.js';
export type { SampleSummary } from '../measurement/statistics.js';
export { callFloorModel } from '../space/onnx-export.js';
export { Rng } from '../random.js';
