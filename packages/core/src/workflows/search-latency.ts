import type { Predictor } from '../contracts/predictor.js';
import { HurricaneError } from '../errors.js';
import { encodeArchitecture, type EncodableSpace } from '../predict/encoding.js';
import { readPredictorFile, restorePredictor } from '../predict/predictor-file.js';
import { Rng, hash32 } from '../random.js';
import type { LatencyModel } from '../search/latency-constraint.js';
import { SearchSpace } from '../search/search-space.js';
import type { Architecture } from '../space/architecture.js';
import type { HurricaneSession } from '../session/session.js';

/** The predictor file as a {@link LatencyModel} over the reduced space's encoding. */
export function predictorLatencyModel(
  session: HurricaneSession,
  file: string,
  space: EncodableSpace,
): LatencyModel & { predictor: Predictor } {
  const pf = readPredictorFile(file);
  const predictor = restorePredictor(file, pf, session.predictorFactories());
  return {
    predictor,
    predict(archs: readonly Architecture[]) {
      const p = predictor.predict(archs.map((a) => encodeArchitecture(space, a)));
      return p.std ? { mean: p.mean, std: p.std } : { mean: p.mean };
    },
  };
}

/**
 * The SPOS baseline searches every operator, which the reduced-space predictor cannot encode: its
 * latency is the profiled operator latencies summed along the path (the paper's lookup table),
 * with a scale and offset fitted by least squares on the measured networks of the predictor's data
 * set, so both searches answer to the same budget on the same hardware.
 */
export function lookupLatencyModel(
  operatorMs: (layer: number, op: string) => number,
  measured: readonly { readonly arch: Architecture; readonly latencyMs: number }[],
): LatencyModel & { scale: number; offset: number } {
  const sum = (a: Architecture) => a.reduce((s, op, l) => s + operatorMs(l, op), 0);
  const xs = measured.map((m) => sum(m.arch));
  const ys = measured.map((m) => m.latencyMs);
  const n = xs.length;
  if (n < 2) throw new HurricaneError('the lookup-table latency model needs at least 2 measured networks');
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  xs.forEach((x, i) => {
    sxy += (x - mx) * ((ys[i] as number) - my);
    sxx += (x - mx) ** 2;
  });
  const scale = sxx > 0 ? sxy / sxx : 1;
  const offset = my - scale * mx;
  return { scale, offset, predict: (archs) => ({ mean: archs.map((a) => offset + scale * sum(a)) }) };
}

/** `budgetMs: auto`: the median predicted latency of 1,000 seeded uniform samples of the reduced space. */
export function autoBudget(candidates: readonly (readonly string[])[], model: LatencyModel, seed: number): number {
  const space = SearchSpace.whole(candidates);
  const rng = new Rng(hash32(`${seed}:budget`));
  const { mean } = model.predict(Array.from({ length: 1000 }, () => space.sample(rng)));
  const sorted = [...mean].sort((a, b) => a - b);
  return Number((((sorted[499] as number) + (sorted[500] as number)) / 2).toPrecision(4));
}
