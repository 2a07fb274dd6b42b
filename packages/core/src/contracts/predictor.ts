import { token } from './token.js';

/** Predictions for a batch of encoded architectures. */
export interface PredictionBatch {
  /** Predicted latency per row, in milliseconds. */
  readonly mean: readonly number[];
  /** Predictive variance per row (ms²); 0 for models without an uncertainty estimate. */
  readonly variance: readonly number[];
}

/** A predictor's state as plain JSON, enough to rebuild it with {@link PredictorFactory.deserialize}. */
export interface SerializedPredictor {
  /** Name of the factory that can read it. */
  readonly kind: string;
  /** Format version of `state`. */
  readonly version: number;
  /** Model parameters; plain JSON. */
  readonly state: unknown;
}

/**
 * A latency predictor (SPEC §6): maps an architecture's binary encoding (one slot per
 * (layer, candidate) of the reduced space) to a latency with an uncertainty.
 */
export interface Predictor {
  /** Factory name, e.g. `gaussian-process`, `lasso`, `bayesian-ridge`. */
  readonly kind: string;
  /** Fits the model to rows `x` (each of the same length) and latencies `y` in milliseconds. */
  fit(x: readonly (readonly number[])[], y: readonly number[]): Promise<void>;
  /** Predicts mean and variance per row. Throws when called before `fit` or with the wrong width. */
  predict(x: readonly (readonly number[])[]): PredictionBatch;
  /** The fitted state as plain JSON. */
  serialize(): SerializedPredictor;
}

/** Creates predictors of one kind and restores them from their serialized form. */
export interface PredictorFactory {
  /** The `kind` of the predictors it makes. */
  readonly kind: string;
  /** One-line description. */
  readonly description: string;
  /** A new, unfitted predictor with the given options (validated by the factory). */
  create(options?: Readonly<Record<string, unknown>>): Predictor;
  /** Restores a predictor from {@link Predictor.serialize}'s output; throws on a kind or version mismatch. */
  deserialize(data: SerializedPredictor): Predictor;
}

/** Injection token of {@link Predictor} (the run's configured predictor). */
export const Predictor = token<Predictor>('Predictor');
/** Injection token of {@link PredictorFactory}; plugins register any number of factories under it. */
export const PredictorFactory = token<PredictorFactory>('PredictorFactory');
