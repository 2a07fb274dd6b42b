/**
 * `search/` — `@hurricane/core/search`: HURRICANE's search strategies (docs/method.md §2, §7) in plain
 * TypeScript: the search space (sample, mutate, crossover, encode, active/fixed layers), the
 * latency constraint, SPOS's evolution and coordinate ascent composing them. A strategy sees an
 * architecture's accuracy only through {@link Evaluator} and its latency only through a
 * {@link LatencyModel} over the `Predictor` contract: no TF.js, ONNX Runtime or hardware code
 * (import rule `search-imports-neither-tfjs-nor-hardware`).
 */
export { SearchSpace, activeLayersOf } from './search-space.js';
export type { CostOf, Evaluator, PathScore } from './evaluator.js';
export { LatencyConstraint, smallestLatency, unreachableBudgetError } from './latency-constraint.js';
export { smallestOf } from './constraint.js';
export type { Constraint, CostLimit, CostMetric, Costs, CostsOf } from './constraint.js';
export { LimitSet } from './limit-set.js';
export type { LimitSetInput, TargetLatency } from './limit-set.js';
export type { LatencyBudget, LatencyModel, LatencyVerdict } from './latency-constraint.js';
export { assertReachable, evolve } from './evolution.js';
export type { EvaluatedCandidate, EvolutionOptions, EvolutionResult, EvolutionState, EvolveInput } from './evolution.js';
export { coordinateAscent, iterationSpace } from './coordinate-ascent.js';
export { paretoFront } from './pareto.js';
export { fitnessNoise, summarise as summariseFitnessNoise } from './fitness-noise.js';
export { rankAgreement, rankCheckPaths } from './rank-check.js';
export type { CheckedPath, RankAgreement } from './rank-check.js';
export type { FitnessNoise, RescoredCandidate } from './fitness-noise.js';
export type {
  CoordinateAscentInput,
  CoordinateAscentOptions,
  IterationResult,
  SearchEvent,
  SearchJournal,
  SearchResult,
  SupernetTrainer,
  SupernetTraining,
} from './coordinate-ascent.js';
