/**
 * `@hurricane/core/plugin` — the contracts: one interface per extension point, each with a typed
 * token of the same name, and the plugin descriptor helper. This folder holds types, tokens and
 * `defineHurricanePlugin` only: it imports no runtime code of core (no errors, tools, ONNX or
 * TF.js), so a plugin that imports it loads a few hundred lines. Helpers for adapter authors live
 * in `@hurricane/core/adapter-kit`.
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
  PrepareOptions,
  MeasurementProvenance,
  MeasurementConditions,
  MeasurementFallback,
  MeasurementRounds,
  OnnxModel,
  PreparedModel,
  SampleSummary,
} from './hardware-adapter.js';
export { ScoringFunction } from './scoring-function.js';
export type { OperatorProfile } from './scoring-function.js';
export { Predictor, PredictorFactory } from './predictor.js';
export type { FeatureContext, PredictionBatch, SerializedPredictor } from './predictor.js';
export { Logger } from './logger.js';
export { Environment } from './environment.js';
export { ToolRunner } from './tool-runner.js';
export type { ToolResult, ToolRunOptions } from './tool-runner.js';
