import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { costByGroup, graphCost } from './analytics.js';
import type { Architecture } from './architecture.js';
import { layerContexts, networkGraph, operatorGraph, type Backbone, type LayerContext } from './backbone.js';
import { graphParams, type Graph } from './ir.js';
import { exportOnnx } from './onnx-export.js';
import { StandaloneNetwork } from './tf/network.js';
import { ParameterStore } from './tf/parameters.js';
import { WeightsError, readWeights, writeWeights } from './weights.js';

/** FLOPs, params and shape of one searchable layer. */
export interface LayerReport {
  readonly layer: number;
  readonly stage: number;
  readonly operator: string;
  readonly h: number;
  readonly w: number;
  readonly cin: number;
  readonly cout: number;
  readonly stride: number;
  readonly flops: number;
  readonly params: number;
}

/** What `hurricane inspect` prints. */
export interface InspectReport {
  readonly preset: string;
  readonly arch: Architecture;
  readonly input: readonly number[];
  readonly classes: number;
  readonly flops: number;
  readonly params: number;
  readonly peakActivationBytes: number;
  readonly stem: { readonly flops: number; readonly params: number };
  readonly head: { readonly flops: number; readonly params: number };
  readonly layers: readonly LayerReport[];
}

function groupOf(param: string): string {
  const m = /^layers\.(\d+)\./.exec(param);
  if (m) return `layer ${m[1]}`;
  return param.startsWith('stem.') ? 'stem' : 'head';
}

/** FLOPs (multiply-adds), params and peak activation memory of an architecture, per layer and in total. */
export function inspectArchitecture(backbone: Backbone, arch: Architecture, graph: Graph = networkGraph(backbone, arch)): InspectReport {
  const total = graphCost(graph);
  const groups = costByGroup(graph, groupOf);
  const ctxs = layerContexts(backbone);
  return {
    preset: backbone.name,
    arch: [...arch],
    input: [...backbone.input],
    classes: backbone.classes,
    ...total,
    stem: groups.get('stem') ?? { flops: 0, params: 0 },
    head: groups.get('head') ?? { flops: 0, params: 0 },
    layers: ctxs.map((c) => ({
      layer: c.layer,
      stage: c.stage,
      operator: arch[c.layer] as string,
      h: c.h,
      w: c.w,
      cin: c.cin,
      cout: c.cout,
      stride: c.stride,
      ...(groups.get(`layer ${c.layer}`) ?? { flops: 0, params: 0 }),
    })),
  };
}

/** Writes bytes atomically (temporary file + rename), creating the folder. */
export function writeFileAtomic(file: string, bytes: Uint8Array): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const tmp = path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${process.pid}.tmp`);
  writeFileSync(tmp, bytes);
  renameSync(tmp, file);
}

/** Loads the parameters `net` uses for `arch` from a weight file; every mismatch is a one-line error. */
export function loadNetworkWeights(net: StandaloneNetwork, file: string): void {
  const weights = readWeights(file);
  const from = weights.metadata.preset ? ` (saved for preset '${weights.metadata.preset}')` : '';
  for (const p of graphParams(net.graph(net.arch))) {
    const t = weights.tensors.get(p.name);
    if (!t)
      throw new WeightsError(`weights file ${file}${from} has no tensor '${p.name}'; it was saved for another preset or architecture`);
    if (t.shape.join() !== p.shape.join()) {
      throw new WeightsError(`weights file ${file}${from}: tensor '${p.name}' has shape [${t.shape}], this network needs [${p.shape}]`);
    }
    net.store.setOnnxValues(p.name, t.data);
  }
}

/** Saves every parameter of a network (ONNX layout) to a weight file. */
export function saveNetworkWeights(net: StandaloneNetwork, file: string): void {
  writeWeights(
    file,
    net.store
      .names()
      .map(
        (name) =>
          [name, { shape: net.store.spec(name).shape, data: net.store.onnxValues(name) }] as [
            string,
            { shape: readonly number[]; data: Float32Array },
          ],
      ),
    { preset: net.backbone.name, arch: net.arch.join(','), seed: String(net.seed) },
  );
}

/** Exports a whole architecture to ONNX, with trained weights from `weightsFile` or a seeded initialisation. */
export function exportArchitecture(o: {
  backbone: Backbone;
  arch: Architecture;
  output: string;
  seed: number;
  weightsFile?: string | undefined;
}): { bytes: number } {
  const net = new StandaloneNetwork(o.backbone, o.arch, o.seed);
  try {
    if (o.weightsFile) loadNetworkWeights(net, o.weightsFile);
    const model = exportOnnx(net.graph(o.arch), net.store, {
      name: `hurricane_${o.backbone.name}`,
      docString: `preset=${o.backbone.name} arch=${o.arch.join(',')}`,
    });
    writeFileAtomic(o.output, model);
    return { bytes: model.length };
  } finally {
    net.dispose();
  }
}

/** Exports one operator alone in the context of layer `layer` (what profiling measures), seeded weights. */
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
  const store = new ParameterStore(o.seed);
  try {
    for (const p of graphParams(graph)) store.ensure(p);
    const model = exportOnnx(graph, store, {
      name: `${o.operator}_${ctx.contextId}`,
      docString: `operator=${o.operator} context=${ctx.contextId}`,
    });
    writeFileAtomic(o.output, model);
    return { bytes: model.length, context: ctx };
  } finally {
    store.dispose();
  }
}
