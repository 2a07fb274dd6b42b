import type { FeatureContext, Predictor, PredictorFactory } from '../contracts/predictor.js';
import { ConfigError, HurricaneError } from '../errors.js';
import { type PredictionMetrics, predictionMetrics } from './metrics.js';
import { type RankingCheck, meanPredictorMape, rankingCheck } from './ranking-check.js';
import { type Split, holdoutSplit, kFolds, pick } from './split.js';

/** A model to fit: a factory and its options. */
export interface ModelSpec {
  readonly factory: PredictorFactory;
  readonly options: Readonly<Record<string, unknown>>;
}

/** A new predictor of `spec`; a rejected option becomes a config error (exit 2) naming the model and option. */
export function createPredictor(spec: ModelSpec, features: FeatureContext): Predictor {
  try {
    return spec.factory.create(spec.options, features);
  } catch (error) {
    if (error instanceof RangeError) throw new ConfigError(`predictor ${error.message}`);
    throw error;
  }
}

/** A new predictor of `spec` fitted on `x`, `y`; a rejected fit (RangeError) becomes one line naming the model. */
async function fitted(
  spec: ModelSpec,
  features: FeatureContext,
  x: readonly (readonly number[])[],
  y: readonly number[],
): Promise<Predictor> {
  const p = createPredictor(spec, features);
  try {
    await p.fit(x, y);
  } catch (error) {
    if (error instanceof RangeError) throw new HurricaneError(`predictor ${error.message}`);
    throw error;
  }
  return p;
}

/** Fits `spec` on rows `train` of the data and predicts rows `test`. */
async function fitPredict(spec: ModelSpec, features: FeatureContext, x: readonly (readonly number[])[], y: readonly number[], s: Split) {
  const p = await fitted(spec, features, pick(x, s.train), pick(y, s.train));
  return { predictor: p, prediction: p.predict(pick(x, s.test)) };
}

/** A model fitted on the training share and scored on the held-out share (docs/method.md §6: 80/20). */
export async function fitWithHoldout(
  spec: ModelSpec,
  features: FeatureContext,
  x: readonly (readonly number[])[],
  y: readonly number[],
  o: { testShare: number; seed: number },
): Promise<{ predictor: Predictor; split: Split; holdout: PredictionMetrics }> {
  const split = holdoutSplit(x.length, o.testShare, o.seed);
  const { predictor, prediction } = await fitPredict(spec, features, x, y, split);
  return { predictor, split, holdout: predictionMetrics(pick(y, split.test), prediction.mean, prediction.std) };
}

/** A model fitted on every row: the final fit after scoring and model selection. */
export async function fitAll(
  spec: ModelSpec,
  features: FeatureContext,
  x: readonly (readonly number[])[],
  y: readonly number[],
): Promise<Predictor> {
  return fitted(spec, features, x, y);
}

/** k-fold cross-validation: every row predicted once by a model that did not see it; metrics over the pooled predictions. */
export async function crossValidate(
  spec: ModelSpec,
  features: FeatureContext,
  x: readonly (readonly number[])[],
  y: readonly number[],
  o: { folds: number; seed: number },
): Promise<PredictionMetrics & { folds: number }> {
  const truth: number[] = [];
  const mean: number[] = [];
  const std: number[] = [];
  for (const fold of kFolds(x.length, o.folds, o.seed)) {
    const { prediction } = await fitPredict(spec, features, x, y, fold);
    truth.push(...pick(y, fold.test));
    mean.push(...prediction.mean);
    if (prediction.std) std.push(...prediction.std);
  }
  return { ...predictionMetrics(truth, mean, std.length === mean.length ? std : undefined), folds: o.folds };
}

/** What `--model auto` did: the chosen model, why, and every candidate's cross-validated metrics. */
export interface ModelSelection {
  readonly chosen: ModelSpec;
  readonly reason: string;
  readonly candidates: readonly { readonly model: string; readonly metrics: PredictionMetrics; readonly ranking: RankingCheck }[];
  /** Models left out, and why (e.g. the lookup table without profiled latencies). */
  readonly skipped: readonly string[];
}

/**
 * `--model auto`: cross-validates every registered model with its default options on the training
 * rows and picks, among those that can rank ({@link rankingCheck}), the lowest cross-validated MAPE
 * (ties: the higher Kendall τ). Models that cannot be built for these data (the lookup table without
 * profiled operator latencies) are skipped, saying why. When no model can rank, it fails in one line
 * naming the best one's figures, unless `allowWeak` (then the best of them is chosen and says so).
 */
export async function chooseModel(
  factories: readonly PredictorFactory[],
  features: FeatureContext,
  x: readonly (readonly number[])[],
  y: readonly number[],
  o: { folds: number; seed: number; onModel?: (kind: string) => void; allowWeak?: boolean; advice?: string },
): Promise<ModelSelection> {
  const scored: { spec: ModelSpec; metrics: PredictionMetrics; ranking: RankingCheck }[] = [];
  const skipped: string[] = [];
  const meanMape = meanPredictorMape(y, o);
  for (const factory of factories) {
    const spec = { factory, options: {} };
    try {
      spec.factory.create({}, features);
    } catch (error) {
      skipped.push(`${factory.kind}: ${(error as Error).message}`);
      continue;
    }
    o.onModel?.(factory.kind);
    const metrics = await crossValidate(spec, features, x, y, o);
    scored.push({ spec, metrics, ranking: rankingCheck(metrics, meanMape) });
  }
  if (scored.length === 0)
    throw new ConfigError(`no predictor model can be fitted on these data (${skipped.join('; ') || 'no predictor plugin is loaded'})`);
  scored.sort((a, b) => a.metrics.mapePct - b.metrics.mapePct || b.metrics.kendallTau - a.metrics.kendallTau);
  const ranking = scored.filter((r) => r.ranking.ok);
  if (ranking.length === 0 && !o.allowWeak) {
    const b = scored[0] as (typeof scored)[0];
    throw new HurricaneError(
      `no predictor model can rank these latencies (the best, ${b.spec.factory.kind}: ${b.ranking.reason})${o.advice ? `: ${o.advice}` : ''}`,
    );
  }
  const best = (ranking.length > 0 ? ranking : scored)[0] as (typeof scored)[0];
  const others = scored
    .filter((r) => r !== best)
    .map((r) => `${r.spec.factory.kind} ${r.metrics.mapePct.toFixed(2)} %${r.ranking.ok ? '' : ' (cannot rank)'}`)
    .join(', ');
  const why = best.ranking.ok ? 'lowest' : 'lowest, though no model can rank these latencies,';
  return {
    chosen: best.spec,
    reason: `${best.spec.factory.kind}: ${why} ${o.folds}-fold cross-validated MAPE, ${best.metrics.mapePct.toFixed(2)} %${others ? ` (${others})` : ''}`,
    candidates: scored.map((r) => ({ model: r.spec.factory.kind, metrics: r.metrics, ranking: r.ranking })),
    skipped,
  };
}
