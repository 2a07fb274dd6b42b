import type { Predictor } from '../contracts/predictor.js';
import { HurricaneError } from '../errors.js';
import type { Architecture } from '../space/architecture.js';
import { type EncodableSpace, encodeArchitecture } from './encoding.js';

/**
 * Predicted latency of architectures: what a search answers to. `std` is absent for point models.
 */
export interface LatencyModel {
  predict(archs: readonly Architecture[]): { readonly mean: readonly number[]; readonly std?: readonly number[] };
}

/** A fitted predictor seen through a space's encoding (one-hot per layer and kept operator, docs/method.md §6). */
export function predictorLatencyModel(predictor: Predictor, space: EncodableSpace): LatencyModel & { readonly predictor: Predictor } {
  return {
    predictor,
    predict(archs: readonly Architecture[]) {
      const p = predictor.predict(archs.map((a) => encodeArchitecture(space, a)));
      return p.std ? { mean: p.mean, std: p.std } : { mean: p.mean };
    },
  };
}

/**
 * The least-squares line `y ≈ scale · x + offset` (scale 1 when every x is the same): how a sum of
 * operator latencies maps to a measured network latency (the stem, the head, memory traffic
 * between layers and the per-call floor are what the sum misses).
 */
export function fitScaleOffset(xs: readonly number[], ys: readonly number[]): { readonly scale: number; readonly offset: number } {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [i, x] of xs.entries()) {
    sxy += (x - mx) * ((ys[i] as number) - my);
    sxx += (x - mx) ** 2;
  }
  const scale = sxx > 0 ? sxy / sxx : 1;
  return { scale, offset: my - scale * mx };
}

/**
 * The paper's lookup table: a network's latency as its operators' profiled latencies summed along
 * the path, scaled and offset by a least-squares fit on measured networks. The SPOS baseline
 * searches every operator, which the reduced-space predictor cannot encode, so it answers to this
 * model on the same hardware and budget.
 */
export function lookupLatencyModel(
  operatorMs: (layer: number, op: string) => number,
  measured: readonly { readonly arch: Architecture; readonly latencyMs: number }[],
): LatencyModel & { readonly scale: number; readonly offset: number } {
  const sum = (a: Architecture) => a.reduce((s, op, l) => s + operatorMs(l, op), 0);
  if (measured.length < 2) throw new HurricaneError('the lookup-table latency model needs at least 2 measured networks');
  const { scale, offset } = fitScaleOffset(
    measured.map((m) => sum(m.arch)),
    measured.map((m) => m.latencyMs),
  );
  return { scale, offset, predict: (archs) => ({ mean: archs.map((a) => offset + scale * sum(a)) }) };
}
