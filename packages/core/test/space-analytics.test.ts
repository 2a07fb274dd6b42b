// FLOPs and params of every operator against formulas written here from docs/method.md §4–5 alone
// (not the production counter called twice).
import { describe, expect, it } from 'vitest';
import { graphCost } from '../src/space/analytics.js';
import { type LayerContext, PRESETS, layerContexts, networkGraph, operatorGraph, skipLayersOf } from '../src/space/backbone.js';
import { graphParams } from '../src/space/ir.js';
import { OPERATOR_NAMES } from '../src/space/operators.js';
import { inspectArchitecture } from '../src/space/inspect.js';
import { rng } from './space-helpers.js';

interface Ctx {
  h: number;
  w: number;
  cin: number;
  cout: number;
  stride: 1 | 2;
}
type Cost = { flops: number; params: number };

const add = (...cs: Cost[]): Cost =>
  cs.reduce((a, c) => ({ flops: a.flops + c.flops, params: a.params + c.params }), { flops: 0, params: 0 });
/** A bias-free conv (k×k, groups) producing an H×W map, with or without its BatchNorm. */
const conv = (k: number, ci: number, co: number, H: number, W: number, o: { dw?: boolean; bn?: boolean } = {}): Cost => {
  const perOut = o.dw ? k * k : k * k * ci;
  return { flops: perOut * co * H * W, params: perOut * co + (o.bn === false ? 0 : 2 * co) };
};
const se = (c: number): Cost => {
  const r = Math.max(1, Math.floor(c / 4));
  return { flops: c * r + r * c, params: c * r + r + r * c + c };
};

function expected(op: string, x: Ctx): Cost {
  if (op === 'Skip') return { flops: 0, params: 0 }; // the identity: Appendix B's skip operator
  const ho = Math.ceil(x.h / x.stride);
  const wo = Math.ceil(x.w / x.stride);
  const withSE = op.endsWith('_SE');
  const base = op.replace(/_SE$/, '');
  let m = /^SEP_(\d)$/.exec(base);
  if (m) {
    const k = Number(m[1]);
    const c = add(
      conv(k, x.cin, x.cin, ho, wo, { dw: true, bn: false }),
      conv(1, x.cin, x.cin, ho, wo),
      conv(k, x.cin, x.cin, ho, wo, { dw: true, bn: false }),
      conv(1, x.cin, x.cout, ho, wo),
    );
    return withSE ? add(c, se(x.cout)) : c;
  }
  m = /^MB_(\d)_(\d)$/.exec(base);
  if (m) {
    const k = Number(m[1]);
    const e = Number(m[2]);
    const hid = x.cin * e;
    const parts = [conv(k, hid, hid, ho, wo, { dw: true }), conv(1, hid, x.cout, ho, wo)];
    if (e !== 1) parts.push(conv(1, x.cin, hid, x.h, x.w));
    if (withSE) parts.push(se(hid));
    return add(...parts);
  }
  const k = base === 'ChoiceX' ? 3 : Number(base.split('_')[1]);
  const mid = x.cout / 2;
  // docs/method.md §4: the projection form at stride 2 only; at stride 1 the channel split, also when C_out ≠ C_in.
  const projection = x.stride === 2;
  const mainIn = projection ? x.cin : x.cin / 2;
  const mainOut = projection ? x.cout - x.cin : x.cout - x.cin / 2;
  const parts: Cost[] = [];
  if (projection) parts.push(conv(k, x.cin, x.cin, ho, wo, { dw: true }), conv(1, x.cin, x.cin, ho, wo));
  if (base === 'ChoiceX') {
    parts.push(
      conv(3, mainIn, mainIn, ho, wo, { dw: true }),
      conv(1, mainIn, mid, ho, wo),
      conv(3, mid, mid, ho, wo, { dw: true }),
      conv(1, mid, mid, ho, wo),
      conv(3, mid, mid, ho, wo, { dw: true }),
      conv(1, mid, mainOut, ho, wo),
    );
  } else {
    parts.push(conv(1, mainIn, mid, x.h, x.w), conv(k, mid, mid, ho, wo, { dw: true }), conv(1, mid, mainOut, ho, wo));
  }
  if (withSE) parts.push(se(mainOut));
  return add(...parts);
}

const CONTEXTS: Ctx[] = [
  { h: 56, w: 56, cin: 64, cout: 64, stride: 1 },
  { h: 56, w: 56, cin: 64, cout: 160, stride: 2 },
  { h: 112, w: 112, cin: 16, cout: 64, stride: 2 },
  { h: 7, w: 7, cin: 640, cout: 640, stride: 1 },
  { h: 32, w: 32, cin: 8, cout: 16, stride: 1 },
  { h: 7, w: 7, cin: 40, cout: 80, stride: 2 },
];

describe('Choice at stride 1 with a channel change (docs/method.md §4)', () => {
  it('cifar layer 1 (32x32, 8 → 16, stride 1) splits the channels: 4 → 8 → 12 in the main branch, 256 params, 204,800 multiply-adds', () => {
    const ctx = layerContexts(PRESETS.cifar())[0] as LayerContext;
    expect([ctx.cin, ctx.cout, ctx.stride]).toEqual([8, 16, 1]);
    const g = operatorGraph('Choice_3', ctx);
    // By hand: 1x1 4→8 (32 weights), depthwise 3x3 on 8 (72), 1x1 8→12 (96), BatchNorm scale and
    // shift on 8 + 8 + 12 channels (56): 256 params; each conv weight is used once per output
    // pixel (32·32), BatchNorm is not counted: (32 + 72 + 96)·1024 = 204,800 multiply-adds.
    expect(
      graphParams(g)
        .map((p) => `${p.name}:${p.shape.join('x')}`)
        .filter((n) => n.includes('weight')),
    ).toEqual(['Choice_3.main.pw1.weight:8x4x1x1', 'Choice_3.main.dw.weight:8x1x3x3', 'Choice_3.main.pw2.weight:12x8x1x1']);
    expect(graphCost(g)).toMatchObject({ params: 256, flops: 204_800 });
  });

  it('refuses a stride-1 context whose output is not wider than half the input', () => {
    expect(() => operatorGraph('ChoiceX', { h: 8, w: 8, cin: 16, cout: 8, stride: 1 })).toThrow(
      /ChoiceX at stride 1 needs C_out > C_in\/2 \(the main branch outputs C_out − C_in\/2\), got 16 → 8/,
    );
  });
});

describe('FLOPs and params of every operator (docs/method.md §5)', () => {
  for (const x of CONTEXTS) {
    for (const op of OPERATOR_NAMES) {
      it(`${op} at ${x.h}x${x.w}, ${x.cin}→${x.cout}, stride ${x.stride}`, () => {
        const g = operatorGraph(op, x);
        const c = graphCost(g);
        expect({ flops: c.flops, params: c.params }).toEqual(expected(op, x));
        // params also equal the trainable values the graph actually allocates
        const trainable = graphParams(g)
          .filter((p) => p.trainable)
          .reduce((a, p) => a + p.shape.reduce((u, v) => u * v, 1), 0);
        expect(c.params).toBe(trainable);
      });
    }
  }
});

describe('FLOPs and params of whole networks', () => {
  const total = (preset: keyof typeof PRESETS, arch: string[]): Cost => {
    const b = PRESETS[preset]();
    const [c, h, w] = b.input;
    const s = b.stemStride;
    const hs = Math.ceil(h / s);
    const ws = Math.ceil(w / s);
    const stem = conv(3, c, b.stemChannels, hs, ws);
    const ctxs = layerContexts(b);
    const last = ctxs[ctxs.length - 1] as Ctx;
    const hl = Math.ceil(last.h / last.stride);
    const head = add(conv(1, last.cout, b.lastChannels, hl, hl), {
      flops: b.lastChannels * b.classes,
      params: b.lastChannels * b.classes + b.classes,
    });
    return add(stem, ...ctxs.map((x, i) => expected(arch[i] as string, x)), head);
  };

  it('imagenet with Choice_3 everywhere: 295,842,496 multiply-adds, 3,155,880 params', () => {
    const arch = Array(20).fill('Choice_3');
    const r = inspectArchitecture(PRESETS.imagenet(), arch);
    expect({ flops: r.flops, params: r.params }).toEqual(total('imagenet', arch));
    expect(r.flops).toBe(295_842_496);
    expect(r.params).toBe(3_155_880);
  });

  for (const preset of ['imagenet', 'spos', 'cifar', 'mnist'] as const) {
    it(`${preset}: three seeded random architectures`, () => {
      const b = PRESETS[preset]();
      const r = rng(preset.length);
      for (let t = 0; t < 3; t++) {
        const arch = Array.from({ length: 20 }, () => b.operators[Math.floor(r() * b.operators.length)] as string);
        const got = inspectArchitecture(b, arch);
        expect({ flops: got.flops, params: got.params }).toEqual(total(preset, arch));
        expect(got.layers.reduce((a, l) => a + l.flops, 0) + got.stem.flops + got.head.flops).toBe(got.flops);
      }
    });
  }

  it('mnist with Skip in every layer that can take it (seeded operators elsewhere): Skip adds no FLOPs and no params', () => {
    const b = PRESETS.mnist();
    const skip = skipLayersOf(b);
    const r = rng(11);
    const arch = layerContexts(b).map((c) =>
      skip.includes(c.layer) ? 'Skip' : (b.operators[Math.floor(r() * b.operators.length)] as string),
    );
    const got = inspectArchitecture(b, arch);
    expect({ flops: got.flops, params: got.params }).toEqual(total('mnist', arch));
    for (const l of skip) expect(got.layers[l]).toMatchObject({ flops: 0, params: 0 });
  });

  it('peak activation memory counts the largest set of live tensors', () => {
    // A stride-1 MB_3_6 at 8x8x16: input(4 KiB) + expanded hidden (24 KiB) are live together at most twice over.
    const g = operatorGraph('MB_3_6', { h: 8, w: 8, cin: 16, cout: 16, stride: 1 });
    const bytes = (c: number) => c * 8 * 8 * 4;
    // expand conv → its BN: input (kept for the residual) + conv out + bn out
    expect(graphCost(g).peakActivationBytes).toBe(bytes(16) + bytes(96) * 2);
    const net = networkGraph(PRESETS.imagenet(), Array(20).fill('MB_3_6'));
    expect(graphCost(net).peakActivationBytes).toBeGreaterThan(3 * 224 * 224 * 4);
  });

  it('the activation area sums the live bytes after each node, by hand for a stride-1 MB_3_6', () => {
    const g = operatorGraph('MB_3_6', { h: 8, w: 8, cin: 16, cout: 16, stride: 1 });
    const bytes = (c: number) => c * 8 * 8 * 4;
    // live channels after each node, the input (16) kept for the residual: expand 16+96; its BN, relu6,
    // depthwise, BN, relu6 each 16+96+96 (their input freed after); project 16+96+16; BN 16+16+16; add 16+16+16
    const live = [16 + 96, ...Array(5).fill(16 + 96 + 96), 16 + 96 + 16, 16 + 16 + 16, 16 + 16 + 16];
    expect(graphCost(g).activationArea).toBe(bytes(live.reduce((a, b) => a + b, 0)));
  });
});
