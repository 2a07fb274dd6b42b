import { token } from './token.js';

/** Predictions for a batch of encoded architectures. */
export interface PredictionBatch {
  /** Predicted latency per row, in milliseconds. */
  readonly mean: readonly number[];
  /**
   * Predictive standard deviation per row (ms), for models that estimate their uncertainty
   * (Gaussian process, Bayesian ridge); absent for point predictors (Lasso, lookup table).
   */
  readonly std?: readonly number[];
}

/** A predictor's model as plain JSON, enough to rebuild it with {@link PredictorFactory.deserialize}. */
export interface SerializedPredictor {
  /** Name of the factory that can read it. */
  readonly kind: string;
  /** Format version of `state`, owned by the factory (it refuses versions it does not know). */
  readonly version: number;
  /** The hyper-parameters the model was fitted with (plain JSON), shown to users and recorded in artefacts. */
  readonly hyperparameters: Readonly<Record<string, unknown>>;
  /** Fitted parameters; plain JSON. */
  readonly state: unknown;
}

/** What a predictor may know about the columns it is fitted on, besides their values. */
export interface FeatureContext {
  /** Column names, in order (for a Hurricane encoding `L03_MB_5_3_SE`: layer 3, operator MB_5_3_SE). */
  readonly columns: readonly string[];
  /**
   * Per column, the profiled latency (ms) of that operator in that layer, when the data come from a
   * profiled space (the lookup-table baseline sums them); absent for data brought from elsewhere.
   */
  readonly operatorLatencyMs?: readonly number[];
}

/**
 * A latency predictor (docs/method.md §6): maps an architecture's encoding (for Hurricane's spaces, one
 * binary slot per (layer, candidate) of the reduced space) to a latency with, where the model has
 * one, an uncertainty.
 */
export interface Predictor {
  /** Factory name, e.g. `gp`, `lasso`, `bayesian-ridge`, `lut`. */
  readonly kind: string;
  /** Fits the model to rows `x` (each of the same length) and latencies `y` in milliseconds. */
  fit(x: readonly (readonly number[])[], y: readonly number[]): Promise<void>;
  /** Predicts per row. Throws when called before `fit` or with a row of the wrong width. */
  predict(x: readonly (readonly number[])[]): PredictionBatch;
  /** The fitted model as plain JSON. Throws before `fit`. */
  serialize(): SerializedPredictor;
}

/** Creates predictors of one kind and restores them from their serialized form. */
export interface PredictorFactory {
  /** The `kind` of the predictors it makes; what `predictor.model` and `--model` name. */
  readonly kind: string;
  /** One-line description. */
  readonly description: string;
  /** Whether its predictions carry a standard deviation. */
  readonly hasUncertainty: boolean;
  /**
   * A new, unfitted predictor. `options` come from the config's `predictor` block or the command
   * line (the factory validates them and throws a `ConfigError`-like `RangeError` naming the bad one);
   * `features` describes the columns it will be fitted on.
   */
  create(options: Readonly<Record<string, unknown>>, features: FeatureContext): Predictor;
  /** Restores a predictor from {@link Predictor.serialize}'s output; throws, saying why, on a kind or version it cannot read. */
  deserialize(data: SerializedPredictor): Predictor;
}

/** Injection token of {@link Predictor} (the run's configured predictor). */
export const Predictor = token<Predictor>('Predictor');
/** Injection token of {@link PredictorFactory}; plugins register any number of factories under it. */
export const PredictorFactory = token<PredictorFactory>('PredictorFactory');
