// `space/` — what an operator and an architecture are (docs/method.md §3–5): the graph IR (`ir.ts`), the 32
// operators written once (`operators.ts`), backbones and presets (this file), architecture parsing
// and validation, FLOPs/params/memory (`analytics.ts`, `inspect.ts`). Pure functions of their
// arguments: no TF.js, no ONNX, no file or network I/O. Imports only `space/`, `errors` and `random`
// (rule `space-is-pure`); every other room builds on it.
import { ExitCode, HurricaneError } from '../errors.js';
import { GraphBuilder, type Graph, type Value } from './ir.js';
import { OPERATOR_NAMES, SKIP, buildOperator, operatorContextProblem, parseOperator, type OperatorContext } from './operators.js';

/** One searchable stage of the backbone. */
export interface StageConfig {
  /** Output channels of every layer of the stage (after the width multiplier). */
  readonly channels: number;
  /** Searchable layers in the stage. */
  readonly repeats: number;
  /** Stride of the stage's first layer (the others have stride 1). */
  readonly stride: 1 | 2;
}

/** A fully specified backbone (docs/method.md §3): fixed stem and head around searchable stages. */
export interface Backbone {
  readonly name: string;
  /** Input `[C, H, W]`. */
  readonly input: readonly [number, number, number];
  readonly classes: number;
  readonly stemChannels: number;
  readonly stemStride: 1 | 2;
  readonly stages: readonly StageConfig[];
  /** Channels of the last 1x1 convolution. */
  readonly lastChannels: number;
  readonly dropout: number;
  /** Operators an architecture may use in this space. */
  readonly operators: readonly string[];
  /** The width multiplier the channel counts were derived with (documentation only). */
  readonly widthMultiplier: number;
}

/** Options to derive a backbone from the paper's Table 4 (the `imagenet` preset is all defaults). */
export interface BackboneOptions {
  readonly name?: string;
  readonly inputSize?: number;
  readonly inputChannels?: number;
  readonly classes?: number;
  readonly widthMultiplier?: number;
  readonly stemStride?: 1 | 2;
  /** Stride of each stage's first layer. */
  readonly stageStrides?: readonly (1 | 2)[];
  /** Base channels of each stage (before the width multiplier). */
  readonly stageChannels?: readonly number[];
  readonly stageRepeats?: readonly number[];
  readonly operators?: readonly string[];
}

const TABLE4 = { stem: 16, stages: [64, 160, 320, 640], repeats: [4, 4, 8, 4], last: 1024 } as const;

/** `v·w` rounded to a multiple of 8, never below 8 nor more than 10 % under `v·w` (MobileNet's rule). */
export function makeDivisible(v: number, divisor = 8): number {
  const n = Math.max(divisor, Math.floor(v + divisor / 2) - (Math.floor(v + divisor / 2) % divisor));
  return n < 0.9 * v ? n + divisor : n;
}

/** Derives a backbone; channels other than the paper's are scaled by the width multiplier and rounded to multiples of 8. */
export function makeBackbone(o: BackboneOptions = {}): Backbone {
  const w = o.widthMultiplier ?? 1;
  const scale = (c: number) => (w === 1 ? c : makeDivisible(c * w));
  const channels = o.stageChannels ?? TABLE4.stages;
  const repeats = o.stageRepeats ?? TABLE4.repeats;
  const strides = o.stageStrides ?? [2, 2, 2, 2];
  if (channels.length !== repeats.length || channels.length !== strides.length) {
    throw new Error(
      `backbone: stageChannels, stageRepeats and stageStrides must have the same length (${channels.length}, ${repeats.length}, ${strides.length})`,
    );
  }
  const size = o.inputSize ?? 224;
  const b: Backbone = {
    name: o.name ?? 'custom',
    input: [o.inputChannels ?? 3, size, size],
    classes: o.classes ?? 1000,
    stemChannels: scale(TABLE4.stem),
    stemStride: o.stemStride ?? 2,
    stages: channels.map((c, i) => ({ channels: scale(c), repeats: repeats[i] as number, stride: strides[i] as 1 | 2 })),
    lastChannels: scale(TABLE4.last),
    dropout: 0.1,
    operators: o.operators ?? OPERATOR_NAMES,
    widthMultiplier: w,
  };
  validateBackbone(b);
  return b;
}

/** The named presets (see docs/search-space.md for why the small ones look as they do). */
export const PRESETS = {
  /** Exactly the paper's Table 4: 224x224x3, 1000 classes, all 32 operators. */
  imagenet: () => makeBackbone({ name: 'imagenet' }),
  /** The same backbone with only the original SPOS operators. */
  spos: () => makeBackbone({ name: 'spos', operators: ['Choice_3', 'Choice_5', 'Choice_7', 'ChoiceX'] }),
  /** 32x32x3, 10 classes: stem and first stage at stride 1 (32→32→32→16→8→4), width 0.25. */
  cifar: () =>
    makeBackbone({ name: 'cifar', inputSize: 32, classes: 10, widthMultiplier: 0.25, stemStride: 1, stageStrides: [1, 2, 2, 2] }),
  /** 28x28x1, 10 classes: stem and first stage at stride 1 (28→28→28→14→7→4), width 0.25. */
  mnist: () =>
    makeBackbone({
      name: 'mnist',
      inputSize: 28,
      inputChannels: 1,
      classes: 10,
      widthMultiplier: 0.25,
      stemStride: 1,
      stageStrides: [1, 2, 2, 2],
    }),
} as const satisfies Record<string, () => Backbone>;

export type PresetId = keyof typeof PRESETS;

/** The preset `name`, or an error listing the presets. */
export function preset(name: string): Backbone {
  const make = (PRESETS as Record<string, () => Backbone>)[name];
  if (!make) throw new RangeError(`unknown preset '${name}'; choose one of ${Object.keys(PRESETS).join(', ')}`);
  return make();
}

/** One searchable layer's context. */
export interface LayerContext extends OperatorContext {
  /** Layer index, 0-based. */
  readonly layer: number;
  /** Stage index, 0-based. */
  readonly stage: number;
  /** Input height and width. */
  readonly h: number;
  readonly w: number;
  /** Layers with equal (h, w, cin, cout, stride) share one id (and one profiling measurement). */
  readonly contextId: string;
}

/** Output size of a convolution with padding k//2 (the same for every odd k). */
export function convOut(size: number, stride: number): number {
  return Math.floor((size - 1) / stride) + 1;
}

/** The searchable layers of a backbone with their contexts. */
export function layerContexts(b: Backbone): LayerContext[] {
  const out: LayerContext[] = [];
  let h = convOut(b.input[1], b.stemStride);
  let w = convOut(b.input[2], b.stemStride);
  let c = b.stemChannels;
  b.stages.forEach((stage, s) => {
    for (let i = 0; i < stage.repeats; i++) {
      const stride = i === 0 ? stage.stride : 1;
      out.push({
        layer: out.length,
        stage: s,
        h,
        w,
        cin: c,
        cout: stage.channels,
        stride,
        contextId: `${h}x${w}_${c}_${stage.channels}_s${stride}`,
      });
      h = convOut(h, stride);
      w = convOut(w, stride);
      c = stage.channels;
    }
  });
  return out;
}

/** The layers (0-based) where Skip (the identity) can run: stride 1 with as many output channels as input ones. */
export function skipLayersOf(b: Backbone): number[] {
  const skip = parseOperator(SKIP) as NonNullable<ReturnType<typeof parseOperator>>;
  return layerContexts(b)
    .filter((ctx) => operatorContextProblem(skip, ctx) === null)
    .map((ctx) => ctx.layer);
}

/**
 * The layers (0-based) where `reduction.skip` offers Skip: none for `false`, every layer that can
 * take it for `true`, or the listed layers (counting from 1). A listed layer that cannot take it is
 * a config error (exit 2) naming the layers that can.
 */
export function skipLayersEnabled(b: Backbone, setting: boolean | readonly number[] | undefined): number[] {
  const valid = skipLayersOf(b);
  if (setting === undefined || setting === false) return [];
  if (setting === true) return valid;
  const bad = setting.filter((l) => !valid.includes(l - 1));
  if (bad.length > 0)
    throw new HurricaneError(
      `reduction.skip lists layer${bad.length === 1 ? '' : 's'} ${bad.join(', ')}, where Skip (the identity) cannot run: its input and output shapes differ; in the '${b.name}' backbone Skip can take layers ${layerList(valid)} (counting from 1), or set reduction.skip: true for all of them`,
      { exitCode: ExitCode.BadUsage },
    );
  return [...new Set(setting.map((l) => l - 1))].sort((x, y) => x - y);
}

/** The operators profiled in a layer context: the backbone's, and Skip when one of `skipLayers` (0-based) has this context. */
export function profiledOperators(b: Backbone, contextId: string, skipLayers: readonly number[]): string[] {
  const skip = layerContexts(b).some((c) => c.contextId === contextId && skipLayers.includes(c.layer));
  return skip ? [...b.operators, SKIP] : [...b.operators];
}

/** Layer numbers as users count them (1-based) in ranges, e.g. "2–4, 6–8"; `none` when empty. */
export function layerList(layers: readonly number[]): string {
  const runs: [number, number][] = [];
  for (const l of [...layers].sort((a, b) => a - b)) {
    const last = runs.at(-1);
    if (last && l === last[1] + 1) last[1] = l;
    else runs.push([l, l]);
  }
  if (runs.length === 0) return 'none';
  return runs.map(([a, b]) => (a === b ? `${a + 1}` : `${a + 1}–${b + 1}`)).join(', ');
}

/** Checks that every allowed operator can run in every layer context of the backbone. */
export function validateBackbone(b: Backbone): void {
  for (const name of b.operators) {
    const op = parseOperator(name);
    if (!op) throw new Error(`backbone ${b.name}: unknown operator '${name}'`);
    for (const ctx of layerContexts(b)) {
      const problem = operatorContextProblem(op, ctx);
      if (problem) throw new Error(`backbone ${b.name}: layer ${ctx.layer}: ${problem}`);
    }
  }
}

/** Parameter prefix of layer `l`'s operator `op`: weights are shared per (layer, candidate). */
export function layerPrefix(layer: number, op: string): string {
  return `layers.${layer}.${op}`;
}

/** The whole network of an architecture (one operator per layer) as a graph. */
export function networkGraph(b: Backbone, arch: readonly string[]): Graph {
  const ctxs = layerContexts(b);
  if (arch.length !== ctxs.length) throw new Error(`architecture has ${arch.length} layers, the backbone ${ctxs.length}`);
  const g = new GraphBuilder(b.input);
  let x: Value = g.act('relu', g.bn('stem.conv.bn', g.conv('stem.conv', g.input, { cout: b.stemChannels, k: 3, stride: b.stemStride })));
  ctxs.forEach((ctx, l) => {
    const name = arch[l] as string;
    const op = parseOperator(name);
    if (!op) throw new Error(`layer ${l}: unknown operator '${name}'`);
    x = buildOperator(g, op, x, ctx, layerPrefix(l, name));
  });
  x = g.act('relu', g.bn('head.conv.bn', g.conv('head.conv', x, { cout: b.lastChannels, k: 1 })));
  x = g.dropout(g.flatten(g.gap(x)), b.dropout);
  return g.finish(g.fc('classifier', x, b.classes));
}

/** One operator alone in a layer context (input `[cin, h, w]`), as profiled on hardware. */
export function operatorGraph(opName: string, ctx: Pick<LayerContext, 'h' | 'w' | 'cin' | 'cout' | 'stride'>, prefix = opName): Graph {
  const op = parseOperator(opName);
  if (!op) throw new Error(`unknown operator '${opName}'`);
  const g = new GraphBuilder([ctx.cin, ctx.h, ctx.w]);
  return g.finish(buildOperator(g, op, g.input, ctx, prefix));
}
