/**
 * `@hurricane/core` — the programmatic API the `hurricane` CLI is built on: sessions (config +
 * plugins + DI container), the config helpers, the pure search space, and each stage run from a
 * session's config (`profile`, `buildSpace`, `measureNetwork`, `trainFromConfig`), which load their
 * heavy modules (SQLite, the ONNX exporter, TF.js) only when called. Importing this entry loads none
 * of TF.js, sharp, ONNX Runtime, SQLite or protobufjs.
 *
 * Other entries: `@hurricane/core/plugin` (contracts), `@hurricane/core/adapter-kit` (helpers for
 * adapter authors), `@hurricane/core/onnx` (export, weights), `@hurricane/core/profile` (profiler,
 * latency store, reduction), `@hurricane/core/train` (engine, supernet training, datasets) and
 * `@hurricane/core/testing` (harness and fakes for plugin tests).
 */
// tsyringe needs the Reflect metadata polyfill before it loads; an entry point loads it once.
import 'reflect-metadata';
export { createSession } from './create-session.js';
export { HurricaneSession } from './session/session.js';
export type { MeasuringAdapter, MeasureJob } from './adapter-kit/measuring-adapter.js';
export type { DoctorReport, PluginSummary, SessionOptions } from './session/session.js';
export { HurricaneConfig } from './session/tokens.js';
export { ExecaToolRunner, killAllTools } from './session/execa-tool-runner.js';
export { resolveConfig } from './config/resolve.js';
export type { ConfigOverrides, ConfiguredPlugin, ResolvedConfig, TargetSpec, ValueSource } from './config/resolve.js';
export { defineConfig, coreDefaults, PRESET_NAMES } from './config/schema.js';
export { GLOBAL_FLAGS } from './config/global-flags.js';
export type { GlobalFlag } from './config/global-flags.js';
export type { CoreConfig, PresetName, UserConfig } from './config/schema.js';
export { CONFIG_SEARCH_PLACES } from './config/load-file.js';
export { OFFICIAL_PLUGINS, discoverPlugins } from './plugin-loader/discover.js';
export { Eq4Scoring, Eq4Options } from './profile/eq4-scoring.js';
export { ExitCode, HurricaneError, ConfigError, PluginError, ToolError, UnsupportedError, describeError } from './errors.js';
export {
  HardwareAdapter,
  ScoringFunction,
  Predictor,
  PredictorFactory,
  Logger,
  ToolRunner,
  Environment,
  PLUGIN_API_VERSION,
} from './contracts/index.js';
export type {
  HardwareDescription,
  HealthCheck,
  HealthReport,
  HurricanePlugin,
  LatencyMeasurement,
  MeasureOptions,
  OnnxModel,
  OperatorProfile,
  PreparedModel,
} from './contracts/index.js';
export { Rng } from './random.js';
export type { ProgressReporter } from './progress.js';

// Search space (docs/method.md §3–5): operators, backbone presets, architectures, analytics.
export { OPERATOR_NAMES, parseOperator, seChannels } from './space/operators.js';
export type { OperatorContext, OperatorSpec } from './space/operators.js';
export { PRESETS, layerContexts, makeBackbone, networkGraph, operatorGraph, preset } from './space/backbone.js';
export type { Backbone, BackboneOptions, LayerContext, PresetId, StageConfig } from './space/backbone.js';
export { ArchitectureError, formatArchitecture, parseArchitecture, validateArchitecture } from './space/architecture.js';
export type { Architecture } from './space/architecture.js';
export { graphCost } from './space/analytics.js';
export type { GraphCost } from './space/analytics.js';
export { architectureCosts, inspectArchitecture } from './space/inspect.js';
export type { ArchitectureCosts, InspectReport, LayerReport } from './space/inspect.js';
export type { Graph } from './space/ir.js';

// The stages run from a session's config (each loads its heavy modules on first call).
export {
  buildSpace,
  evaluateFromFile,
  exportFromPareto,
  fitPredictor,
  loadTrainingSet,
  measureDataset,
  measureNetwork,
  predictFromFile,
  profile,
  retrainArchitecture,
  search,
  SEARCH_PHASES,
  startAgent,
  trainFromConfig,
} from './workflows/index.js';
export type { FarmAgent } from './farm/agent.js';
export type { FarmAdapter } from './farm/farm-adapter.js';
export type {
  DatasetMeta,
  DatasetOptions,
  DatasetSummary,
  FitOptions,
  FitSummary,
  IterationSummary,
  RetrainSummary,
  SearchOptions,
  SearchPhase,
  SearchSummary,
  LatencyDataset,
  ParetoEntry,
  ParetoExportOptions,
  ParetoFile,
  TrainRunOptions,
  TrainRunSummary,
  VerifySummary,
} from './workflows/index.js';
