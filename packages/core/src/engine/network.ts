// `engine/` — running graphs of `space/` on TF.js: engine selection (`select-engine.ts`), the
// executor (`executor.ts`), networks and their parameters (this file, `parameters.ts`), composed
// gradients for the wasm backend (`composed-ops.ts`) and Hurricane's WebAssembly kernels
// (`wasm-kernels.ts`). May import `space/` and `onnx/` (initial values, weight files); never
// `data/`, `train/`, `profile/` or orchestration (rule `engine-below-training`).
import type { Architecture } from '../space/architecture.js';
import { layerContexts, networkGraph, type Backbone } from '../space/backbone.js';
import { graphParams, residualBranchNorms, type Graph } from '../space/ir.js';
import { runGraph, type RunOptions } from './executor.js';
import { ParameterStore } from './parameters.js';
import { tf } from './tf.js';

/**
 * Networks over a backbone whose layer `l` may use any operator of `candidates[l]`, with one set
 * of weights per (layer, candidate) and shared stem and head. A {@link Supernet} holds every
 * candidate and runs one path per call (SPOS); a {@link StandaloneNetwork} holds one
 * architecture. Parameter names are the same in both, so a standalone network inherits a
 * supernet's weights by name.
 */
export class SpaceNetwork {
  readonly store: ParameterStore;
  readonly candidates: readonly (readonly string[])[];
  private readonly graphs = new Map<string, Graph>();

  constructor(
    readonly backbone: Backbone,
    candidates: readonly (readonly string[])[],
    readonly seed: number,
  ) {
    const n = layerContexts(backbone).length;
    if (candidates.length !== n) throw new Error(`need candidates for ${n} layers, got ${candidates.length}`);
    this.candidates = candidates.map((c) => [...c]);
    this.store = new ParameterStore(seed);
    // Create every parameter now, path by path: the stem and head come from the first path.
    for (const arch of this.coveringPaths()) for (const spec of graphParams(this.graph(arch))) this.store.ensure(spec);
  }

  /** Paths that together use every candidate of every layer (path i takes each layer's i-th candidate, or its last). */
  private coveringPaths(): Architecture[] {
    const maxCands = Math.max(...this.candidates.map((c) => c.length));
    return Array.from({ length: maxCands }, (_, i) => this.candidates.map((c) => c[Math.min(i, c.length - 1)] as string));
  }

  /**
   * Sets γ of the last BatchNorm of every residual branch of every candidate to 0 (zero-γ), so that
   * each residual block starts as the identity; returns the BatchNorms it zeroed. For fresh weights only.
   */
  zeroResidualBranches(): string[] {
    const zeroed = new Set(this.coveringPaths().flatMap((arch) => residualBranchNorms(this.graph(arch))));
    for (const param of zeroed) {
      const v = this.store.get(`${param}.gamma`);
      tf.tidy(() => v.assign(tf.zerosLike(v)));
    }
    return [...zeroed];
  }

  /** The graph of `arch` (cached). */
  graph(arch: Architecture): Graph {
    const key = arch.join(',');
    let g = this.graphs.get(key);
    if (!g) {
      arch.forEach((op, l) => {
        if (!this.candidates[l]?.includes(op))
          throw new Error(`layer ${l + 1}: '${op}' is not a candidate of this network (${this.candidates[l]?.join(', ')})`);
      });
      g = networkGraph(this.backbone, arch);
      this.graphs.set(key, g);
    }
    return g;
  }

  /** Logits `[N, classes]` of an NHWC batch along path `arch`. */
  forward(x: tf.Tensor4D, arch: Architecture, options: RunOptions = { training: false }): tf.Tensor2D {
    const g = this.graph(arch);
    return tf.tidy(() => runGraph(g, this.store, x, options) as tf.Tensor2D);
  }

  /** Names of the parameters path `arch` uses: the trainable ones and the BatchNorm running statistics. */
  parameterNames(arch: Architecture): { trainable: string[]; statistics: string[] } {
    const params = graphParams(this.graph(arch));
    return {
      trainable: params.filter((p) => p.trainable).map((p) => p.name),
      statistics: params.filter((p) => !p.trainable).map((p) => p.name),
    };
  }

  /** The trainable variables path `arch` uses (what one SPOS step updates). */
  trainableVariables(arch: Architecture): tf.Variable[] {
    return this.parameterNames(arch).trainable.map((name) => this.store.get(name));
  }

  /** Copies, by name, every parameter of `arch` from another network (weight inheritance). */
  inheritFrom(other: SpaceNetwork, arch: Architecture): void {
    for (const p of graphParams(this.graph(arch))) this.store.setOnnxValues(p.name, other.store.onnxValues(p.name));
  }

  dispose(): void {
    this.store.dispose();
  }
}

/** The SPOS supernet: every candidate of every layer, one path per forward call. */
export class Supernet extends SpaceNetwork {
  constructor(backbone: Backbone, seed: number, candidates?: readonly (readonly string[])[]) {
    super(backbone, candidates ?? layerContexts(backbone).map(() => backbone.operators), seed);
  }
}

/** One architecture as a network of its own. */
export class StandaloneNetwork extends SpaceNetwork {
  constructor(
    backbone: Backbone,
    readonly arch: Architecture,
    seed: number,
  ) {
    super(
      backbone,
      arch.map((op) => [op]),
      seed,
    );
  }

  /** Logits along the network's own architecture. */
  predict(x: tf.Tensor4D, options: RunOptions = { training: false }): tf.Tensor2D {
    return this.forward(x, this.arch, options);
  }
}
