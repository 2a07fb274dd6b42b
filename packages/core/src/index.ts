/**
 * `@hurricane/core`: the programmatic API the `hurricane` CLI is built on. Plugin authors import
 * from `@hurricane/core/plugin`; tests of plugins from `@hurricane/core/testing`.
 */
// tsyringe needs the Reflect metadata polyfill before it loads; an entry point loads it once.
import 'reflect-metadata';
export { createSession, HurricaneSession } from './api/session.js';
export type { DoctorReport, PluginSummary, SessionOptions } from './api/session.js';
export { resolveConfig } from './config/resolve.js';
export type { ConfigOverrides, ConfiguredPlugin, ResolvedConfig, ValueSource } from './config/resolve.js';
export { defineConfig, coreDefaults, PRESET_NAMES } from './config/schema.js';
export type { CoreConfig, PresetName, UserConfig } from './config/schema.js';
export { CONFIG_SEARCH_PLACES } from './config/load-file.js';
export { OFFICIAL_PLUGINS, discoverPlugins } from './plugins/discover.js';
export { HurricaneConfig } from './di/tokens.js';
export { Eq4Scoring, Eq4Options } from './scoring/eq4.js';
export { ExecaToolRunner, killAllTools } from './tools/execa-tool-runner.js';
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
} from './plugin/index.js';
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
} from './plugin/index.js';

// Search space (SPEC §3–5): operators, backbone presets, architectures, analytics, TF.js networks, ONNX export.
export { OPERATOR_NAMES, parseOperator, seChannels } from './space/operators.js';
export type { OperatorContext, OperatorSpec } from './space/operators.js';
export { PRESETS, layerContexts, makeBackbone, networkGraph, operatorGraph, preset } from './space/backbone.js';
export type { Backbone, BackboneOptions, LayerContext, PresetId, StageConfig } from './space/backbone.js';
export { ArchitectureError, formatArchitecture, parseArchitecture, validateArchitecture } from './space/architecture.js';
export type { Architecture } from './space/architecture.js';
export { graphCost } from './space/analytics.js';
export type { GraphCost } from './space/analytics.js';
export { exportArchitecture, exportOperator, inspectArchitecture, loadNetworkWeights, saveNetworkWeights } from './space/api.js';
export type { InspectReport, LayerReport } from './space/api.js';
export { ONNX_OPSET, exportOnnx } from './space/onnx-export.js';
export { WeightsError, readWeights, writeWeights } from './space/weights.js';
export { SpaceNetwork, StandaloneNetwork, Supernet } from './space/tf/network.js';
export { ParameterStore } from './space/tf/parameters.js';
export type { RunOptions } from './space/tf/executor.js';
export type { Graph } from './space/ir.js';
export { Rng } from './random.js';

// Supernet training (SPEC §7).
export { SPOS_TRAINING, trainSupernet } from './train/trainer.js';
export type { StepInfo, SupernetTrainingOptions, TrainingResult } from './train/trainer.js';
export type { TrainingData } from './train/data.js';
export { BatchSampler } from './train/sampler.js';
export { evaluate, recalibrateBatchNorm } from './train/evaluate.js';
export { loadTrainingSet, trainFromConfig } from './train/api.js';
export type { TrainRunOptions, TrainRunSummary } from './train/api.js';
export type { Evaluation, EvaluationOptions, EvaluationRuntime, RecalibrationOptions } from './train/evaluate.js';
export { learningRate } from './train/schedule.js';
export type { LrSchedule } from './train/schedule.js';

// Datasets.
export { DatasetError, channelStats, splitValidation, trainingView } from './data/dataset.js';
export type { Augmentation, DatasetSplits, ImageSet } from './data/dataset.js';
export { loadCifar10, loadMnist, readCifar10Batches, readImageFolder } from './data/loaders.js';
export { ENGINES, selectEngine } from './space/tf/engine.js';
export type { EngineChoice, EngineName } from './space/tf/engine.js';
