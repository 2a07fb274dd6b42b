import type { GraphBuilder, Value } from './ir.js';

/** One of the 32 candidate operators of docs/method.md §4, or the skip operator, parsed from its name. */
export interface OperatorSpec {
  readonly name: string;
  readonly family: 'SEP' | 'MB' | 'Choice' | 'ChoiceX' | 'Skip';
  /** Kernel size of the depthwise convolutions (ChoiceX: 3; Skip: 1, it has none). */
  readonly k: 1 | 3 | 5 | 7;
  /** MobileNetV2 expansion ratio (MB only). */
  readonly e: 1 | 3 | 6 | null;
  /** Squeeze-and-excitation (MobileNetV3 form, reduction 4). */
  readonly se: boolean;
}

/** Where an operator runs: its input and output channels and its stride. */
export interface OperatorContext {
  readonly cin: number;
  readonly cout: number;
  readonly stride: 1 | 2;
}

const KS = [3, 5, 7] as const;
const ES = [1, 3, 6] as const;

/** The 32 operator names, in the paper's order. */
export const OPERATOR_NAMES: readonly string[] = Object.freeze([
  ...KS.map((k) => `SEP_${k}`),
  ...KS.map((k) => `SEP_${k}_SE`),
  ...KS.flatMap((k) => ES.map((e) => `MB_${k}_${e}`)),
  ...KS.flatMap((k) => ES.map((e) => `MB_${k}_${e}_SE`)),
  ...KS.map((k) => `Choice_${k}`),
  ...KS.map((k) => `Choice_${k}_SE`),
  'ChoiceX',
  'ChoiceX_SE',
]);

/**
 * The skip operator of the paper's Appendix B: the identity, valid where a layer's input and output
 * shapes match (stride 1, C_in = C_out). It is not one of the 32: a search offers it only in the
 * layers `reduction.skip` enables.
 */
export const SKIP = 'Skip';

const NAME = /^(?:(SEP)_([357])|(MB)_([357])_([136])|(Choice)_([357])|(ChoiceX))(_SE)?$/;

/** Parses an operator name; `null` when it is neither one of the 32 nor {@link SKIP}. */
export function parseOperator(name: string): OperatorSpec | null {
  if (name === SKIP) return { name, family: 'Skip', k: 1, e: null, se: false };
  const m = NAME.exec(name);
  if (!m) return null;
  const se = m[9] !== undefined;
  if (m[1]) return { name, family: 'SEP', k: Number(m[2]) as 3 | 5 | 7, e: null, se };
  if (m[3]) return { name, family: 'MB', k: Number(m[4]) as 3 | 5 | 7, e: Number(m[5]) as 1 | 3 | 6, se };
  if (m[6]) return { name, family: 'Choice', k: Number(m[7]) as 3 | 5 | 7, e: null, se };
  return { name, family: 'ChoiceX', k: 3, e: null, se };
}

/** Channels of the SE bottleneck for `c` channels: `c/4`, at least 1. */
export function seChannels(c: number): number {
  return Math.max(1, Math.floor(c / 4));
}

/**
 * Whether a Choice/ChoiceX unit uses its projection form (a projection branch on the whole input)
 * rather than the channel-shuffle split: at stride 2 only (docs/method.md §4, as SPOS's ShuffleV2Block). At
 * stride 1 it always splits, also when the channel count changes: half of the input passes
 * through and the main branch turns the other `C_in/2` channels into `C_out − C_in/2`.
 */
export function usesProjection(ctx: OperatorContext): boolean {
  return ctx.stride === 2;
}

/** Why `op` cannot run in `ctx`, or null when it can. */
export function operatorContextProblem(op: OperatorSpec, ctx: OperatorContext): string | null {
  if (!Number.isInteger(ctx.cin) || !Number.isInteger(ctx.cout) || ctx.cin < 1 || ctx.cout < 1)
    return 'channel counts must be positive integers';
  if (op.family === 'Skip' && (ctx.stride !== 1 || ctx.cin !== ctx.cout))
    return `${op.name} (the identity) needs equal input and output shapes, stride 1 and C_in = C_out, got ${ctx.cin} → ${ctx.cout} at stride ${ctx.stride}`;
  if (op.family === 'Choice' || op.family === 'ChoiceX') {
    if (ctx.cout % 2 !== 0) return `${op.name} needs an even C_out, got ${ctx.cout}`;
    if (usesProjection(ctx)) {
      if (ctx.cout <= ctx.cin) return `${op.name} with a projection branch needs C_out > C_in, got ${ctx.cin} → ${ctx.cout}`;
    } else if (ctx.cin % 2 !== 0) return `${op.name} needs an even C_in for the channel split, got ${ctx.cin}`;
    else if (ctx.cout <= ctx.cin / 2)
      return `${op.name} at stride 1 needs C_out > C_in/2 (the main branch outputs C_out − C_in/2), got ${ctx.cin} → ${ctx.cout}`;
  }
  return null;
}

function se(g: GraphBuilder, prefix: string, x: Value): Value {
  const c = x.shape[0] as number;
  let s = g.gap(x);
  s = g.conv(`${prefix}.se.reduce`, s, { cout: seChannels(c), k: 1, bias: true });
  s = g.act('relu', s);
  s = g.conv(`${prefix}.se.expand`, s, { cout: c, k: 1, bias: true });
  s = g.act('hsigmoid', s);
  return g.scale(x, s);
}

function convBn(g: GraphBuilder, name: string, x: Value, o: { cout: number; k: number; stride?: number; depthwise?: boolean }): Value {
  return g.bn(`${name}.bn`, g.conv(name, x, o));
}

/**
 * Appends operator `op` to `g` on input `x` in context `ctx`; its parameters are named under
 * `prefix` (e.g. `layers.3.MB_5_3_SE`). Exactly docs/method.md §4.
 */
export function buildOperator(g: GraphBuilder, op: OperatorSpec, x: Value, ctx: OperatorContext, prefix: string): Value {
  const problem = operatorContextProblem(op, ctx);
  if (problem) throw new Error(`${prefix}: ${problem}`);
  const { cin, cout, stride } = ctx;
  if ((x.shape[0] as number) !== cin) throw new Error(`${prefix}: input has ${x.shape[0]} channels, context says ${cin}`);
  const p = prefix;
  switch (op.family) {
    case 'Skip':
      return g.identity(x);
    case 'SEP': {
      let y = g.act('relu', x);
      y = g.conv(`${p}.dw1`, y, { cout: cin, k: op.k, stride, depthwise: true });
      y = convBn(g, `${p}.pw1`, y, { cout: cin, k: 1 });
      y = g.act('relu', y);
      y = g.conv(`${p}.dw2`, y, { cout: cin, k: op.k, depthwise: true });
      y = convBn(g, `${p}.pw2`, y, { cout, k: 1 });
      return op.se ? se(g, p, y) : y;
    }
    case 'MB': {
      const hidden = cin * (op.e ?? 1);
      let y = x;
      if (op.e !== 1) y = g.act('relu6', convBn(g, `${p}.expand`, y, { cout: hidden, k: 1 }));
      y = g.act('relu6', convBn(g, `${p}.dw`, y, { cout: hidden, k: op.k, stride, depthwise: true }));
      if (op.se) y = se(g, p, y);
      y = convBn(g, `${p}.project`, y, { cout, k: 1 });
      return stride === 1 && cin === cout ? g.add(x, y) : y;
    }
    case 'Choice':
    case 'ChoiceX': {
      const mid = cout / 2;
      let proj: Value;
      let main: Value;
      if (usesProjection(ctx)) {
        proj = convBn(g, `${p}.proj.dw`, x, { cout: cin, k: op.k, stride, depthwise: true });
        proj = g.act('relu', convBn(g, `${p}.proj.pw`, proj, { cout: cin, k: 1 }));
        main = x;
      } else {
        [proj, main] = g.shuffleSplit(x);
      }
      const mainIn = main.shape[0] as number;
      const mainOut = cout - (proj.shape[0] as number);
      if (op.family === 'Choice') {
        main = g.act('relu', convBn(g, `${p}.main.pw1`, main, { cout: mid, k: 1 }));
        main = convBn(g, `${p}.main.dw`, main, { cout: mid, k: op.k, stride, depthwise: true });
        main = g.act('relu', convBn(g, `${p}.main.pw2`, main, { cout: mainOut, k: 1 }));
      } else {
        main = convBn(g, `${p}.main.dw1`, main, { cout: mainIn, k: 3, stride, depthwise: true });
        main = g.act('relu', convBn(g, `${p}.main.pw1`, main, { cout: mid, k: 1 }));
        main = convBn(g, `${p}.main.dw2`, main, { cout: mid, k: 3, depthwise: true });
        main = g.act('relu', convBn(g, `${p}.main.pw2`, main, { cout: mid, k: 1 }));
        main = convBn(g, `${p}.main.dw3`, main, { cout: mid, k: 3, depthwise: true });
        main = g.act('relu', convBn(g, `${p}.main.pw3`, main, { cout: mainOut, k: 1 }));
      }
      if (op.se) main = se(g, p, main);
      return g.concat([proj, main]);
    }
  }
}
