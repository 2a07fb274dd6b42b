import { weightsForParams } from '../onnx/model-files.js';
import { writeWeights } from '../onnx/weights-file.js';
import { graphParams } from '../space/ir.js';
import type { StandaloneNetwork } from './network.js';

/** Loads the parameters `net` uses for its architecture from a weight file; every mismatch is a one-line error. */
export function loadNetworkWeights(net: StandaloneNetwork, file: string): void {
  for (const [name, data] of weightsForParams(file, graphParams(net.graph(net.arch)))) net.store.setOnnxValues(name, data);
}

/** Saves every parameter of a network (ONNX layout) to a weight file. */
export function saveNetworkWeights(net: StandaloneNetwork, file: string): void {
  writeWeights(
    file,
    net.store.names().map((name) => [name, { shape: net.store.spec(name).shape, data: net.store.onnxValues(name) }] as const),
    { preset: net.backbone.name, arch: net.arch.join(','), seed: String(net.seed) },
  );
}
