/**
 * `onnx/` — `@hurricane/core/onnx`: models as the vendors' converters read them. The exporter
 * (a graph of `space/` and weights → ONNX opset 13), safetensors weight files, the seeded
 * initialiser every network starts from, model files of whole architectures or single operators,
 * and the call-floor model. Plain JavaScript and protobufjs: may import `space/`, `errors` and
 * `random`, never TF.js or ONNX Runtime.
 */
export { ONNX_OPSET, batchStatisticOutputs, exportOnnx } from './export-onnx.js';
export type { ExportOptions, OnnxWeights } from './export-onnx.js';
export { SeededWeights, initialValues } from './initializer.js';
export { exportArchitecture, exportOperator, weightsForParams } from './model-files.js';
export { WeightsError, readWeights, writeWeights } from './weights-file.js';
export type { WeightFile } from './weights-file.js';
export { callFloorModel } from './call-floor.js';
