import { costByGroup, graphCost } from './analytics.js';
import type { Architecture } from './architecture.js';
import { layerContexts, networkGraph, type Backbone } from './backbone.js';
import type { Graph } from './ir.js';

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

/** What a search's limits are checked on: FLOPs, params and peak activation bytes, and the activation area that breaks ties of the peak. */
export interface ArchitectureCosts {
  readonly flops: number;
  readonly params: number;
  readonly peakMemory: number;
  readonly activationArea: number;
}

/** The exact FLOPs, params and peak activation bytes of an architecture of `backbone`, remembered (a search asks for the same ones many times). */
export function architectureCosts(backbone: Backbone): (arch: Architecture) => ArchitectureCosts {
  const known = new Map<string, ArchitectureCosts>();
  return (arch: Architecture) => {
    const key = arch.join(',');
    const hit = known.get(key);
    if (hit) return hit;
    const g = graphCost(networkGraph(backbone, arch));
    const costs = { flops: g.flops, params: g.params, peakMemory: g.peakActivationBytes, activationArea: g.activationArea };
    if (known.size >= 100_000) known.clear();
    known.set(key, costs);
    return costs;
  };
}
