import type { Graph } from './ir.js';

/** What a graph costs. */
export interface GraphCost {
  /** Multiply-adds of convolutions and fully connected layers (docs/method.md §5), batch 1. */
  readonly flops: number;
  /** Trainable parameters: conv and fc weights and biases, BatchNorm scale and shift. */
  readonly params: number;
  /** Largest sum of live activation bytes (float32, batch 1) at any step, the input included. */
  readonly peakActivationBytes: number;
  /**
   * The live activation bytes summed over every step: a sum of each layer's own terms, so it falls
   * whenever one layer's memory falls, even where another layer holds the peak (the tie-breaker
   * for minimising the peak).
   */
  readonly activationArea: number;
}

/** FLOPs, params and peak activation memory of a graph, from its nodes alone. */
export function graphCost(graph: Graph): GraphCost {
  const all = costByGroup(graph, () => 'all').get('all') ?? { flops: 0, params: 0 };
  return { ...all, ...liveActivations(graph) };
}

function size(graph: Graph, id: string): number {
  const v = graph.values.get(id);
  if (!v) throw new Error(`graph has no value ${id}`);
  return v.shape.reduce((a, b) => a * b, 1) * 4;
}

function inputsOf(n: Graph['nodes'][number]): readonly string[] {
  return 'inputs' in n ? n.inputs : [n.input];
}
function outputsOf(n: Graph['nodes'][number]): readonly string[] {
  return 'outputs' in n ? n.outputs : [n.output];
}

/** Peak (and sum over steps) of live activation bytes when the nodes run in order and each value is freed after its last use. */
function liveActivations(graph: Graph): { peakActivationBytes: number; activationArea: number } {
  const lastUse = new Map<string, number>();
  graph.nodes.forEach((n, i) => {
    for (const id of inputsOf(n)) lastUse.set(id, i);
  });
  lastUse.set(graph.output.id, graph.nodes.length);
  const live = new Map<string, number>([[graph.input.id, size(graph, graph.input.id)]]);
  let current = size(graph, graph.input.id);
  let peak = current;
  let area = 0;
  graph.nodes.forEach((n, i) => {
    for (const id of outputsOf(n)) {
      live.set(id, size(graph, id));
      current += size(graph, id);
    }
    peak = Math.max(peak, current);
    area += current;
    for (const id of [...inputsOf(n), ...outputsOf(n)]) {
      if ((lastUse.get(id) ?? -1) <= i && live.has(id)) {
        current -= live.get(id) as number;
        live.delete(id);
      }
    }
  });
  return { peakActivationBytes: peak, activationArea: area };
}

/** FLOPs and params of the nodes of each group, where `groupOf` maps a parameter prefix to a group name. */
export function costByGroup(graph: Graph, groupOf: (param: string) => string): Map<string, { flops: number; params: number }> {
  const out = new Map<string, { flops: number; params: number }>();
  const bump = (param: string, flops: number, params: number) => {
    const key = groupOf(param);
    const cur = out.get(key) ?? { flops: 0, params: 0 };
    out.set(key, { flops: cur.flops + flops, params: cur.params + params });
  };
  for (const n of graph.nodes) {
    if (n.op === 'conv')
      bump(
        n.param,
        n.k * n.k * (n.cin / n.groups) * n.cout * n.outH * n.outW,
        n.k * n.k * (n.cin / n.groups) * n.cout + (n.bias ? n.cout : 0),
      );
    else if (n.op === 'fc') bump(n.param, n.cin * n.cout, n.cin * n.cout + n.cout);
    else if (n.op === 'bn') bump(n.param, 0, 2 * n.channels);
  }
  return out;
}
