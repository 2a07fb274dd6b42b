import { HurricaneError } from '../errors.js';
import { Rng } from '../random.js';
import type { Architecture } from '../space/architecture.js';
import type { CostOf, Evaluator } from './evaluator.js';
import type { Constraint } from './constraint.js';
import type { SearchSpace } from './search-space.js';

/** Evolution settings (the config's `search` block holds SPOS's defaults: population 50, 20 generations, top 10, 25 + 25 children, p = 0.1). */
export interface EvolutionOptions {
  readonly population: number;
  readonly generations: number;
  /** Parents kept per generation (`select_num`). */
  readonly topK: number;
  /** Children made by mutation per generation. */
  readonly mutations: number;
  /** Children made by crossover per generation. */
  readonly crossovers: number;
  /** Per-layer mutation probability. */
  readonly mutationProb: number;
  readonly seed: number;
}

/** One evaluated candidate, as recorded in the search's history. */
export interface EvaluatedCandidate {
  readonly arch: Architecture;
  readonly accuracy: number;
  readonly loss: number;
  readonly latencyMs: number;
  readonly latencyStdMs?: number;
  readonly pWithinBudget: number;
  /** Generation (0-based) in which it was first evaluated. */
  readonly generation: number;
  readonly origin: 'random' | 'mutation' | 'crossover';
  readonly flops?: number;
  readonly params?: number;
}

/** Everything needed to continue a search exactly: written after every evaluation by the caller. */
export interface EvolutionState {
  readonly format: 'hurricane-evolution';
  readonly version: 1;
  /** Generations finished. */
  readonly generation: number;
  /** The generator's state at the start of generation `generation`. */
  readonly rng: readonly number[];
  readonly evaluated: readonly EvaluatedCandidate[];
  /** Draws the constraint rejected so far. */
  readonly rejected: number;
}

/** Result of {@link evolve}. */
export interface EvolutionResult {
  readonly best: EvaluatedCandidate;
  readonly evaluated: readonly EvaluatedCandidate[];
  readonly rejected: number;
  readonly generations: number;
}

/** Options of one {@link evolve} call. */
export interface EvolveInput {
  readonly space: SearchSpace;
  readonly evaluator: Evaluator;
  readonly constraint: Constraint;
  readonly options: EvolutionOptions;
  readonly costOf?: CostOf;
  /** A state from an earlier, interrupted call of the same search: it continues where that stopped. */
  readonly resume?: EvolutionState | null;
  /** Called after every evaluation (write it atomically to resume after a kill). */
  readonly onState?: (state: EvolutionState) => void;
  /** Called after each evaluation with the count so far and the generation. */
  readonly onEvaluated?: (c: EvaluatedCandidate, count: number) => void;
  readonly signal?: AbortSignal;
  /** Describes the space in errors, e.g. "iteration 1's sub-space (layers 8–19)". */
  readonly describe?: string;
}

/** The evolution's order (for sorting, best first): higher accuracy, then lower loss, then lower latency. */
export const better = (a: EvaluatedCandidate, b: EvaluatedCandidate) =>
  b.accuracy - a.accuracy || a.loss - b.loss || a.latencyMs - b.latencyMs;

function checkOptions(o: EvolutionOptions): void {
  for (const k of ['population', 'generations', 'topK'] as const)
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new HurricaneError(`evolution ${k} must be a whole number ≥ 1, got ${o[k]}`);
  for (const k of ['mutations', 'crossovers'] as const)
    if (!Number.isInteger(o[k]) || o[k] < 0) throw new HurricaneError(`evolution ${k} must be a whole number ≥ 0, got ${o[k]}`);
  if (!(o.mutationProb >= 0 && o.mutationProb <= 1))
    throw new HurricaneError(`evolution mutationProb must be in [0, 1], got ${o.mutationProb}`);
}

/** The state of a generation in progress: the candidates known, and those this generation has evaluated. */
class Generation {
  readonly made: EvaluatedCandidate[] = [];
  constructor(
    readonly input: EvolveInput,
    readonly index: number,
    /** Candidates of earlier generations (never evaluated again). */
    readonly seen: ReadonlyMap<string, EvaluatedCandidate>,
    /** Candidates this generation evaluated before an interruption (reused, not re-evaluated). */
    readonly cache: ReadonlyMap<string, EvaluatedCandidate>,
    readonly record: (c: EvaluatedCandidate) => void,
    public rejected: number,
  ) {}

  /**
   * Adds `count` legal new candidates drawn by `draw`: within SPOS's 10× attempt limit for
   * children; random candidates are drawn until the population is full (at most 200 draws per
   * place: draws cost one prediction, and a tight budget rejects most of them).
   */
  async fill(count: number, origin: EvaluatedCandidate['origin'], draw: () => Architecture): Promise<void> {
    const target = this.made.length + count;
    const tries = origin === 'random' ? Math.max(10_000, 200 * this.input.options.population) : 10 * count;
    for (let t = 0; t < tries && this.made.length < target; t++) {
      if (this.input.signal?.aborted)
        throw new HurricaneError('the search was stopped; it resumes from its last evaluation when run again');
      const arch = draw();
      const key = this.input.space.key(arch);
      if (this.seen.has(key) || this.made.some((c) => this.input.space.key(c.arch) === key)) continue;
      const cached = this.cache.get(key);
      if (cached) {
        this.made.push(cached);
        continue;
      }
      const [v] = this.input.constraint.check([arch]);
      if (!v?.ok) {
        this.rejected++;
        continue;
      }
      const score = await this.input.evaluator.evaluate(arch);
      const cost = this.input.costOf?.(arch);
      const c: EvaluatedCandidate = {
        ...{ arch, accuracy: score.accuracy, loss: score.loss, latencyMs: v.meanMs },
        ...(v.stdMs !== undefined ? { latencyStdMs: v.stdMs } : {}),
        ...{ pWithinBudget: v.pWithinBudget, generation: this.index, origin },
        ...(cost ? { flops: cost.flops, params: cost.params } : {}),
      };
      this.made.push(c);
      this.record(c);
    }
  }
}

/**
 * An architecture of the space that meets the constraint (a feasible sample, else one found by
 * coordinate descent from the samples), or the constraint's unreachable error when none is found.
 */
export function assertReachable(space: SearchSpace, constraint: Constraint, rng: Rng, what: string): Architecture {
  const samples = Array.from({ length: 64 }, () => space.sample(rng));
  const ok = constraint.check(samples).findIndex((v) => v.ok);
  if (ok >= 0) return samples[ok] as Architecture;
  return constraint.reach(space, samples, what);
}

/**
 * SPOS's evolutionary search over `space` under the latency constraint (docs/method.md §7): a random
 * population, then each generation the top-k of everything evaluated so far breed `mutations`
 * children by mutation and `crossovers` by crossover, and random candidates fill the rest. A
 * candidate is checked against the budget before it is evaluated and no architecture is evaluated
 * twice. Fitness is validation accuracy (ties: lower loss). Resumable from any evaluation.
 */
export async function evolve(input: EvolveInput): Promise<EvolutionResult> {
  const o = input.options;
  checkOptions(o);
  const what = input.describe ?? 'the search space';
  const prior = input.resume ?? null;
  const all: EvaluatedCandidate[] = prior ? [...prior.evaluated] : [];
  let rejected = prior?.rejected ?? 0;
  const rng = prior ? Rng.fromState(prior.rng) : new Rng(o.seed);
  const start = assertReachable(input.space, input.constraint, new Rng(o.seed ^ 0x5bd1e995), what);
  const admitted = (a: Architecture) => input.constraint.check([a])[0]?.ok === true;
  for (let g = prior?.generation ?? 0; g < o.generations; g++) {
    const startState = rng.state();
    const seen = new Map(all.filter((c) => c.generation < g).map((c) => [input.space.key(c.arch), c]));
    const cache = new Map(all.filter((c) => c.generation === g).map((c) => [input.space.key(c.arch), c]));
    const save = (generation: number, r: readonly number[], rej: number) =>
      input.onState?.({ format: 'hurricane-evolution', version: 1, generation, rng: r, evaluated: [...all], rejected: rej });
    const gen = new Generation(
      input,
      g,
      seen,
      cache,
      (c) => {
        all.push(c);
        input.onEvaluated?.(c, all.length);
        save(g, startState, rejected);
      },
      rejected,
    );
    const top = [...seen.values()].sort(better).slice(0, o.topK);
    if (top.length > 0) {
      const pick = () => top[rng.int(0, top.length - 1)] as EvaluatedCandidate;
      await gen.fill(o.mutations, 'mutation', () => input.space.mutate(pick().arch, o.mutationProb, rng));
      await gen.fill(o.crossovers, 'crossover', () => input.space.crossover(pick().arch, pick().arch, rng));
    }
    // random draws the constraint turns away count as rejected too
    const counted = (a: Architecture) => {
      if (admitted(a)) return true;
      gen.rejected++;
      return false;
    };
    await gen.fill(o.population - gen.made.length, 'random', () => input.space.sampleWithin(rng, counted, start));
    rejected = gen.rejected;
    if (all.length === 0) {
      input.constraint.reach(input.space, [], what);
      throw new HurricaneError(`the evolution found no candidate of ${what} to evaluate (population ${o.population})`);
    }
    save(g + 1, rng.state(), rejected);
  }
  const best = [...all].sort(better)[0] as EvaluatedCandidate;
  return { best, evaluated: all, rejected, generations: o.generations };
}
