import { HurricaneError } from '../errors.js';
import { Rng, hash32 } from '../random.js';
import type { Architecture } from '../space/architecture.js';
import type { CostOf, Evaluator } from './evaluator.js';
import { type EvaluatedCandidate, type EvolutionOptions, type EvolutionState, assertReachable, evolve } from './evolution.js';
import { type FitnessNoise, fitnessNoise } from './fitness-noise.js';
import type { Constraint } from './constraint.js';
import { admittedShare } from './latency-constraint.js';
import { SearchSpace, activeLayersOf } from './search-space.js';

/** How one supernet training ended. */
export interface SupernetTraining {
  /** Training iterations (mini-batches) spent. */
  readonly steps: number;
  readonly lossEma: number;
  readonly stoppedBy: 'steps' | 'loss-target';
}

/**
 * Trains a freshly initialised supernet over a sub-space by single-path uniform sampling of the
 * paths `samplePath` draws — uniform over the sub-space's paths within the budget (docs/method.md §2) — and returns an {@link Evaluator} over the trained weights. The
 * workflow implements it with TF.js; the strategy never sees weights.
 */
export interface SupernetTrainer {
  train(
    iteration: number,
    space: SearchSpace,
    samplePath: (rng: Rng) => Architecture,
  ): Promise<{ training: SupernetTraining; evaluator: Evaluator }>;
}

/** What one coordinate-ascent iteration did. */
export interface IterationResult {
  readonly iteration: number;
  /** 0-based active layers. */
  readonly activeLayers: readonly number[];
  readonly training: SupernetTraining;
  readonly evaluated: readonly EvaluatedCandidate[];
  readonly rejected: number;
  /** Share (0–1) of this iteration's sub-space the constraint admits (absent in runs recorded before it). */
  readonly admitted?: number;
  readonly best: EvaluatedCandidate;
  /** `a_win` after this iteration. */
  readonly winner: Architecture;
  /** The top candidates scored again on an independent recalibration sample (absent when not checked). */
  readonly noise?: FitnessNoise;
}

/**
 * Where a search keeps its progress: finished iterations and the evolution state of the one in
 * progress (the workflow writes them atomically into the run folder).
 */
export interface SearchJournal {
  iteration(i: number): IterationResult | null;
  saveIteration(result: IterationResult): void;
  evolution(i: number): EvolutionState | null;
  saveEvolution(i: number, state: EvolutionState): void;
}

/** Coordinate-ascent settings. */
export interface CoordinateAscentOptions {
  /** `I`: iterations, alternating the layer groups (odd: layers t..n−1, even: 0..t−1). */
  readonly iterations: number;
  /** `t`: the split (8 in the paper: the second downsampling). */
  readonly t: number;
  /**
   * The SPOS baseline: one step with every layer active over `candidates` (pass every operator,
   * no operator-level reduction); `iterations` and `t` are ignored.
   */
  readonly baseline?: boolean;
  readonly evolution: EvolutionOptions;
  /** Top candidates of each evolution scored again for the fitness-noise check (0 or absent: none). */
  readonly noiseCheck?: number;
}

/** Input of {@link coordinateAscent}. */
export interface CoordinateAscentInput {
  readonly candidates: readonly (readonly string[])[];
  /** `a_win` at the start: each layer's best-scored operator. */
  readonly initial: Architecture;
  readonly constraint: Constraint;
  readonly trainer: SupernetTrainer;
  readonly options: CoordinateAscentOptions;
  readonly journal: SearchJournal;
  readonly costOf?: CostOf;
  readonly signal?: AbortSignal;
  /** Events: an iteration starts or ends, or its evolution evaluated a candidate. */
  readonly onEvent?: (e: SearchEvent) => void;
}

export type SearchEvent =
  | {
      readonly kind: 'iteration';
      readonly iteration: number;
      readonly activeLayers: readonly number[];
      readonly size: number;
      /** Share (0–1) of the sub-space the constraint admits. */
      readonly admitted: number;
    }
  | { readonly kind: 'trained'; readonly iteration: number; readonly training: SupernetTraining }
  | { readonly kind: 'evaluated'; readonly iteration: number; readonly candidate: EvaluatedCandidate; readonly count: number }
  | { readonly kind: 'rescoring'; readonly iteration: number; readonly count: number }
  | { readonly kind: 'done'; readonly result: IterationResult; readonly resumed: boolean };

/** The result of a whole search. */
export interface SearchResult {
  readonly winner: Architecture;
  readonly iterations: readonly IterationResult[];
  /** Supernet training iterations spent over all steps. */
  readonly supernetSteps: number;
}

/** The sub-space of iteration `i`: active layers over their candidates, the rest fixed to `a_win`. */
export function iterationSpace(
  input: { readonly candidates: readonly (readonly string[])[]; readonly options: Pick<CoordinateAscentOptions, 't' | 'baseline'> },
  i: number,
  aWin: Architecture,
): SearchSpace {
  const n = input.candidates.length;
  const active = input.options.baseline ? input.candidates.map((_, l) => l) : activeLayersOf(i, input.options.t, n);
  return new SearchSpace(input.candidates, active, aWin);
}

const layerRange = (ls: readonly number[]) => (ls.length === 0 ? 'none' : `${ls[0]}–${ls[ls.length - 1]}`);

/** The fitness-noise check of iteration `i`, when asked for and the evaluator can score a path again. */
async function checkNoise(
  input: CoordinateAscentInput,
  i: number,
  evaluator: Evaluator,
  evaluated: readonly EvaluatedCandidate[],
): Promise<FitnessNoise | null> {
  const count = Math.min(input.options.noiseCheck ?? 0, evaluated.length);
  const again = evaluator.evaluateAgain?.bind(evaluator);
  if (count < 2 || !again || !evaluator.validationImages) return null;
  input.onEvent?.({ kind: 'rescoring', iteration: i, count });
  return fitnessNoise(evaluated, count, again, evaluator.validationImages, input.signal);
}

/**
 * HURRICANE's coordinate ascent (docs/method.md §2, Algorithm 1 lines 6–14): for i = 1..I, train a
 * re-initialised supernet over the iteration's sub-space restricted to the latency budget, run
 * the constrained evolution with inherited weights, and make its best the new `a_win`. With
 * `baseline` it is plain SPOS: one step over every layer. Finished iterations are read back from
 * the journal; an interrupted evolution continues from its state.
 */
export async function coordinateAscent(input: CoordinateAscentInput): Promise<SearchResult> {
  const { options } = input;
  const iterations = options.baseline ? 1 : options.iterations;
  if (!Number.isInteger(iterations) || iterations < 1)
    throw new HurricaneError(`search.iterations must be a whole number ≥ 1, got ${iterations}`);
  let aWin = [...input.initial];
  const done: IterationResult[] = [];
  for (let i = 1; i <= iterations; i++) {
    const finished = input.journal.iteration(i);
    if (finished) {
      done.push(finished);
      aWin = [...finished.winner];
      input.onEvent?.({ kind: 'done', result: finished, resumed: true });
      continue;
    }
    const space = iterationSpace(input, i, aWin);
    const what = options.baseline
      ? 'the whole space'
      : `iteration ${i}'s sub-space (layers ${layerRange(space.active)} active, the others fixed to a_win)`;
    const start = assertReachable(space, input.constraint, new Rng(hash32(`${options.evolution.seed}:reach:${i}`)), what);
    const admitted = admittedShare(space, input.constraint, hash32(`${options.evolution.seed}:admitted:${i}`));
    input.onEvent?.({ kind: 'iteration', iteration: i, activeLayers: space.active, size: space.size, admitted });
    const accept = (a: Architecture) => input.constraint.check([a])[0]?.ok === true;
    const { training, evaluator } = await input.trainer.train(i, space, (rng) => space.sampleWithin(rng, accept, start));
    input.onEvent?.({ kind: 'trained', iteration: i, training });
    const evo = await evolve({
      space,
      evaluator,
      constraint: input.constraint,
      options: { ...options.evolution, seed: hash32(`${options.evolution.seed}:evolution:${i}`) },
      ...(input.costOf ? { costOf: input.costOf } : {}),
      resume: input.journal.evolution(i),
      onState: (s) => input.journal.saveEvolution(i, s),
      onEvaluated: (candidate, count) => input.onEvent?.({ kind: 'evaluated', iteration: i, candidate, count }),
      ...(input.signal ? { signal: input.signal } : {}),
      describe: what,
    });
    aWin = [...evo.best.arch];
    const noise = await checkNoise(input, i, evaluator, evo.evaluated);
    const result: IterationResult = {
      ...{ iteration: i, activeLayers: space.active, training, evaluated: evo.evaluated },
      ...{ rejected: evo.rejected, admitted, best: evo.best, winner: aWin },
      ...(noise ? { noise } : {}),
    };
    input.journal.saveIteration(result);
    done.push(result);
    input.onEvent?.({ kind: 'done', result, resumed: false });
  }
  return { winner: aWin, iterations: done, supernetSteps: done.reduce((a, r) => a + r.training.steps, 0) };
}
