import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StandaloneNetwork } from '../src/engine/network.js';
import { exportOnnx } from '../src/onnx/export-onnx.js';
import { initialValues } from '../src/onnx/initializer.js';
import { exportArchitecture, exportOperator } from '../src/onnx/model-files.js';
import { PRESETS, layerContexts, operatorGraph } from '../src/space/backbone.js';
import { graphParams, type ParamSpec } from '../src/space/ir.js';

const mnist = PRESETS.mnist();
const arch = layerContexts(mnist).map((_, i) => ['MB_5_3_SE', 'Choice_3', 'SEP_7', 'ChoiceX_SE'][i % 4] as string);
const tmp = (name: string) => path.join(os.tmpdir(), name);

function moments(v: Float32Array): { mean: number; std: number } {
  let s = 0;
  for (const x of v) s += x;
  const mean = s / v.length;
  let q = 0;
  for (const x of v) q += (x - mean) ** 2;
  return { mean, std: Math.sqrt(q / (v.length - 1)) };
}

describe('the seeded initialiser (onnx/initializer.ts, no TF.js)', () => {
  it('same seed gives identical model bytes, another seed other bytes', () => {
    exportArchitecture({ backbone: mnist, arch, output: tmp('a.onnx'), seed: 7 });
    exportArchitecture({ backbone: mnist, arch, output: tmp('b.onnx'), seed: 7 });
    exportArchitecture({ backbone: mnist, arch, output: tmp('c.onnx'), seed: 8 });
    expect(readFileSync(tmp('a.onnx')).equals(readFileSync(tmp('b.onnx')))).toBe(true);
    expect(readFileSync(tmp('a.onnx')).equals(readFileSync(tmp('c.onnx')))).toBe(false);
    exportOperator({ backbone: mnist, layer: 4, operator: 'MB_7_6_SE', output: tmp('o1.onnx'), seed: 3 });
    exportOperator({ backbone: mnist, layer: 4, operator: 'MB_7_6_SE', output: tmp('o2.onnx'), seed: 3 });
    expect(readFileSync(tmp('o1.onnx')).equals(readFileSync(tmp('o2.onnx')))).toBe(true);
  });

  it('an untrained TF.js network exports the same bytes as the TF.js-free exporter (one initialisation)', () => {
    const net = new StandaloneNetwork(mnist, arch, 7);
    try {
      const viaEngine = exportOnnx(net.graph(arch), net.store, {
        name: `hurricane_${mnist.name}`,
        docString: `preset=${mnist.name} arch=${arch.join(',')}`,
      });
      exportArchitecture({ backbone: mnist, arch, output: tmp('free.onnx'), seed: 7 });
      expect(Buffer.from(viaEngine).equals(readFileSync(tmp('free.onnx')))).toBe(true);
    } finally {
      net.dispose();
    }
  });

  it('convolutions are N(0, 2/fan_out) (Kaiming normal, fan-out, ReLU gain) and BatchNorm starts at scale 1, shift 0, statistics 0/1', () => {
    // The 1x1 expansion of MB_3_6 from 40 to 240 channels: 9,600 weights; fan_out = 240·1·1.
    const graph = operatorGraph('MB_3_6', { h: 7, w: 7, cin: 40, cout: 40, stride: 1 });
    const specs = graphParams(graph);
    const pw = specs.find((s) => s.kind === 'conv_weight' && s.shape[2] === 1 && s.shape[0] === 240) as ParamSpec;
    const { mean, std } = moments(initialValues(pw, 0));
    const expected = Math.sqrt(2 / 240);
    // Sampling error of 9,600 draws: the mean within 4 standard errors, the std within 4 %.
    expect(Math.abs(mean)).toBeLessThan((4 * expected) / Math.sqrt(9600));
    expect(Math.abs(std / expected - 1)).toBeLessThan(0.04);
    const bn = (kind: ParamSpec['kind']) => [...new Set(initialValues(specs.find((s) => s.kind === kind) as ParamSpec, 0))];
    expect([bn('bn_gamma'), bn('bn_beta'), bn('bn_mean'), bn('bn_var')]).toEqual([[1], [0], [0], [1]]);
  });

  it("depthwise convolutions start as PyTorch's kaiming_normal_(mode='fan_out') does: std √(2 / (C·k·k)), not √(2 / (k·k))", () => {
    // PyTorch counts a [C, 1, k, k] filter's fan-out as C·k·k (size(0) times the receptive field).
    const graph = operatorGraph('MB_5_6', { h: 7, w: 7, cin: 40, cout: 40, stride: 1 });
    const dw = graphParams(graph).find((s) => s.kind === 'conv_weight' && s.depthwise) as ParamSpec;
    expect(dw.shape).toEqual([240, 1, 5, 5]);
    const { std } = moments(initialValues(dw, 0));
    const expected = Math.sqrt(2 / (240 * 5 * 5));
    // 6,000 draws: the sample std within 5 % of the expected one (√C = 15.5 times smaller than before).
    expect(Math.abs(std / expected - 1)).toBeLessThan(0.05);
  });

  it("each parameter's values depend on the seed and its own name only", () => {
    const a = graphParams(operatorGraph('SEP_3', { h: 8, w: 8, cin: 16, cout: 16, stride: 1 }));
    const conv = a.find((s) => s.kind === 'conv_weight') as ParamSpec;
    expect(initialValues(conv, 5)).toEqual(initialValues({ ...conv }, 5));
    expect(initialValues(conv, 5)).not.toEqual(initialValues(conv, 6));
    expect(initialValues(conv, 5)).not.toEqual(initialValues({ ...conv, name: `${conv.name}x` }, 5));
  });
});
