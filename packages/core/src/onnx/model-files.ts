import { createHash } from 'node:crypto';
import type { Architecture } from '../space/architecture.js';
import { layerContexts, networkGraph, operatorGraph, type Backbone, type LayerContext } from '../space/backbone.js';
import { graphParams, type Graph, type ParamSpec } from '../space/ir.js';
import { writeFileAtomicSync } from '../atomic-write.js';
import { exportOnnx, type OnnxWeights } from './export-onnx.js';
import { SeededWeights } from './initializer.js';
import { WeightsError, readWeights } from './weights-file.js';

/**
 * The values of `specs` from a weight file (ONNX layout), checked against the parameters the
 * network needs: a missing tensor or another shape is a one-line {@link WeightsError}.
 */
export function weightsForParams(file: string, specs: readonly ParamSpec[]): Map<string, Float32Array> {
  const weights = readWeights(file);
  const from = weights.metadata.preset ? ` (saved for preset '${weights.metadata.preset}')` : '';
  const out = new Map<string, Float32Array>();
  for (const p of specs) {
    const t = weights.tensors.get(p.name);
    if (!t)
      throw new WeightsError(`weights file ${file}${from} has no tensor '${p.name}'; it was saved for another preset or architecture`);
    if (t.shape.join() !== p.shape.join()) {
      throw new WeightsError(`weights file ${file}${from}: tensor '${p.name}' has shape [${t.shape}], this network needs [${p.shape}]`);
    }
    out.set(p.name, t.data);
  }
  return out;
}

/** The weights of a graph: from a weight file when given, else the seeded initialisation. */
function weightsOf(graph: Graph, seed: number, weightsFile: string | undefined): OnnxWeights {
  const specs = graphParams(graph);
  if (!weightsFile) return new SeededWeights(specs, seed);
  const values = weightsForParams(weightsFile, specs);
  return {
    onnxValues: (name) => {
      const v = values.get(name);
      if (!v) throw new Error(`no parameter named ${name}`);
      return v;
    },
  };
}

/**
 * The file name of a whole network's ONNX export: 128 bits of SHA-256 over what decides its bytes
 * (preset, architecture, seed, weights file), so two networks never share a file (a 32-bit hash
 * collides within a few ten thousand architectures, and the file found would be measured instead).
 */
export function networkFileName(o: { backbone: Backbone; arch: Architecture; seed: number; weightsFile?: string | undefined }): string {
  const what = `${o.backbone.name}\n${o.arch.join(',')}\n${o.seed}\n${o.weightsFile ?? ''}`;
  return `${createHash('sha256').update(what).digest('hex').slice(0, 32)}.onnx`;
}

/**
 * Exports a whole architecture to ONNX, with trained weights from `weightsFile` or the seeded
 * initialisation (same seed → identical bytes). Needs no TF.js.
 */
export function exportArchitecture(o: {
  backbone: Backbone;
  arch: Architecture;
  output: string;
  seed: number;
  weightsFile?: string | undefined;
}): { bytes: number } {
  const graph = networkGraph(o.backbone, o.arch);
  const model = exportOnnx(graph, weightsOf(graph, o.seed, o.weightsFile), {
    name: `hurricane_${o.backbone.name}`,
    docString: `preset=${o.backbone.name} arch=${o.arch.join(',')}`,
  });
  writeFileAtomicSync(o.output, model);
  return { bytes: model.length };
}

/**
 * Exports one operator alone in the context of layer `layer` (what profiling measures) with
 * seeded weights. Needs no TF.js.
 */
export function exportOperator(o: { backbone: Backbone; layer: number; operator: string; output: string; seed: number }): {
  bytes: number;
  context: LayerContext;
} {
  const ctx = layerContexts(o.backbone)[o.layer];
  if (!ctx)
    throw new RangeError(
      `layer ${o.layer + 1} does not exist: the '${o.backbone.name}' backbone has ${layerContexts(o.backbone).length} layers`,
    );
  const graph = operatorGraph(o.operator, ctx);
  const model = exportOnnx(graph, new SeededWeights(graphParams(graph), o.seed), {
    name: `${o.operator}_${ctx.contextId}`,
    docString: `operator=${o.operator} context=${ctx.contextId}`,
  });
  writeFileAtomicSync(o.output, model);
  return { bytes: model.length, context: ctx };
}
