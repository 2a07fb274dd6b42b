/**
 * `train/` — `@hurricane/core/train`: Single-Path One-Shot supernet training (docs/method.md §7) and the
 * evaluation of a path. The trainer (SGD with momentum, label smoothing, schedules, exact checkpoint
 * resume), data-parallel workers, BatchNorm recalibration and validation (ONNX Runtime or TF.js).
 * May import `engine/`, `data/`, `onnx/` and `space/`; never `profile/` or the session.
 *
 * This entry also re-exports the engine (TF.js networks and backends) and the datasets, which a
 * programmatic training run needs; importing it loads TF.js.
 */
export { loadCheckpointWeights, trainNetwork } from './trainer.js';
export type { StepInfo, NetworkTrainingOptions, TrainingResult } from './trainer.js';
export { BatchSampler } from './sampler.js';
export { evaluate, recalibrateBatchNorm } from './evaluate.js';
export { PathEvaluator } from './path-evaluator.js';
export type { PathEvaluation, PathEvaluatorOptions } from './path-evaluator.js';
export type { Evaluation, EvaluationOptions, EvaluationRuntime, RecalibrationOptions } from './evaluate.js';
export { learningRate } from './schedule.js';
export type { LrSchedule } from './schedule.js';
export { ENGINES, selectEngine } from '../engine/select-engine.js';
export type { EngineChoice, EngineName } from '../engine/select-engine.js';
export { SpaceNetwork, StandaloneNetwork, Supernet } from '../engine/network.js';
export { ParameterStore } from '../engine/parameters.js';
export { loadNetworkWeights, saveNetworkWeights } from '../engine/network-weights.js';
export type { RunOptions } from '../engine/executor.js';
export type { TrainingData } from '../data/training-data.js';
export { DatasetError, channelStats, splitValidation, subset, trainingView } from '../data/dataset.js';
export type { Augmentation, DatasetSplits, ImageSet } from '../data/dataset.js';
export { loadCifar10, loadMnist, readCifar10Batches, readImageFolder } from '../data/loaders.js';
export { loadIdxFolder, readIdx, readIdxPair } from '../data/idx.js';
