import { inject, injectable } from 'tsyringe';
import type { OperatorProfile, ScoringFunction } from '../contracts/scoring-function.js';
import { token } from '../contracts/token.js';

/** α and β of Eq. 4 (config `scoring.alpha`, `scoring.beta`). */
export interface Eq4Options {
  readonly alpha: number;
  readonly beta: number;
}
/** Injection token of {@link Eq4Options}. */
export const Eq4Options = token<Eq4Options>('Eq4Options');

/**
 * The paper's Eq. 4: `score = (FLOPs · Params^β)^α · Latency^-1`, α, β ≥ 0. With α = 0 (the
 * default, the paper's Table 1) the score is 1 / latency: the fastest operator ranks first.
 */
@injectable()
export class Eq4Scoring implements ScoringFunction {
  readonly name = 'eq4';
  readonly description = 'HURRICANE Eq. 4: (FLOPs · Params^β)^α / latency';
  constructor(@inject(Eq4Options) private readonly options: Eq4Options) {
    if (!(options.alpha >= 0) || !(options.beta >= 0)) throw new RangeError('Eq. 4 needs alpha ≥ 0 and beta ≥ 0');
  }
  score(p: OperatorProfile): number {
    if (!(p.latencyMs > 0)) throw new RangeError(`cannot score ${p.operator}: latency must be > 0 ms, got ${p.latencyMs}`);
    const { alpha, beta } = this.options;
    const capacity = alpha === 0 ? 1 : (p.flops * p.params ** beta) ** alpha;
    return capacity / p.latencyMs;
  }
}
