import type { Architecture } from '../space/architecture.js';

/** What evaluating one architecture with inherited supernet weights gives (docs/method.md §7). */
export interface PathScore {
  /** Validation top-1 accuracy in [0, 1], after BatchNorm recalibration on training batches with that path. */
  readonly accuracy: number;
  /** Mean validation cross-entropy. */
  readonly loss: number;
}

/**
 * The accuracy side of a search: how a strategy learns how good an architecture is. The workflow
 * implements it with a trained supernet (recalibrate + validate on ONNX Runtime); tests with a
 * known function. Strategies never see weights, data or a runtime.
 */
export interface Evaluator {
  evaluate(arch: Architecture): Promise<PathScore>;
  /**
   * The same path scored after BatchNorm recalibration on an independent sample of training
   * batches: the fitness-noise check compares it with {@link Evaluator.evaluate}. Optional.
   */
  evaluateAgain?(arch: Architecture): Promise<PathScore>;
  /** Validation images behind each accuracy (for its binomial noise); with `evaluateAgain`. */
  readonly validationImages?: number;
}

/** FLOPs (multiply-adds) and parameters of an architecture, recorded beside each candidate. */
export type CostOf = (arch: Architecture) => { readonly flops: number; readonly params: number };
