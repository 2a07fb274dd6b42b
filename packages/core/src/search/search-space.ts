import { HurricaneError } from '../errors.js';
import type { Rng } from '../random.js';
import type { Architecture } from '../space/architecture.js';

/**
 * The architectures a search step may visit (docs/method.md §2): every layer picks one of its candidates, the
 * *active* layers range over their candidates and the others stay at `fixed` (coordinate ascent's
 * sub-space `A_i`). The operators of evolution — sample, mutate, crossover — live here so a
 * strategy never needs to know how an architecture is built.
 */
export class SearchSpace {
  /** Active layer indices, ascending. */
  readonly active: readonly number[];
  private readonly isActive: readonly boolean[];

  constructor(
    /** Candidate operators per layer (the reduced space, or every operator for the SPOS baseline). */
    readonly candidates: readonly (readonly string[])[],
    active: readonly number[],
    /** The operator of every layer, used for the inactive ones. */
    readonly fixed: Architecture,
  ) {
    const n = candidates.length;
    if (fixed.length !== n) throw new HurricaneError(`the fixed architecture has ${fixed.length} layers, the space ${n}`);
    this.active = [...new Set(active)].sort((a, b) => a - b);
    for (const l of this.active)
      if (!Number.isInteger(l) || l < 0 || l >= n) throw new HurricaneError(`active layer ${l} is not a layer of this ${n}-layer space`);
    this.isActive = candidates.map((_, l) => this.active.includes(l));
    candidates.forEach((ops, l) => {
      if (ops.length === 0) throw new HurricaneError(`layer ${l} has no candidate operator`);
    });
  }

  /** Every layer active: the whole space. */
  static whole(candidates: readonly (readonly string[])[]): SearchSpace {
    return new SearchSpace(
      candidates,
      candidates.map((_, l) => l),
      candidates.map((ops) => ops[0] as string),
    );
  }

  /** Number of layers. */
  get layers(): number {
    return this.candidates.length;
  }

  /** Number of architectures in the space (a float: it overflows integers for the full space). */
  get size(): number {
    return this.active.reduce((a, l) => a * (this.candidates[l]?.length ?? 1), 1);
  }

  /** The candidates of layer `l` in this space: all of them when active, else only the fixed one. */
  choices(l: number): readonly string[] {
    return this.isActive[l] ? (this.candidates[l] as readonly string[]) : [this.fixed[l] as string];
  }

  /** A uniform sample: each active layer an independent uniform choice. */
  sample(rng: Rng): Architecture {
    return this.candidates.map((ops, l) => (this.isActive[l] ? (ops[rng.int(0, ops.length - 1)] as string) : (this.fixed[l] as string)));
  }

  /**
   * A uniform sample of the architectures `accept` admits (`Γh(A)` of docs/method.md §2: the paths a
   * supernet trains on, the random part of the evolution). Rejection sampling first; when a tight
   * budget rejects `draws` uniform samples in a row (the whole 32-operator space under a budget
   * set on the reduced one, say), a Markov chain from the feasible architecture `start`: `walk`
   * proposals that redraw one active layer, each kept when still admitted. Its stationary law is
   * uniform on the admitted set, so the walk stands in for the rejection sampler. Throws when
   * nothing is admitted and there is no `start`.
   */
  sampleWithin(
    rng: Rng,
    accept: (arch: Architecture) => boolean,
    start?: Architecture,
    o: { draws?: number; walk?: number } = {},
  ): Architecture {
    const draws = o.draws ?? 200;
    for (let i = 0; i < draws; i++) {
      const a = this.sample(rng);
      if (accept(a)) return a;
    }
    if (!start || !accept(start))
      throw new HurricaneError(
        `no path of this space met the search's limits in ${draws} draws: raise search.budgetMs (or the limits of search.constraints) or allow faster, smaller operators (the paper's Appendix B)`,
      );
    let current = [...start];
    const walk = o.walk ?? 10 * this.active.length;
    for (let i = 0; i < walk; i++) {
      const l = this.active[rng.int(0, this.active.length - 1)] as number;
      const ops = this.candidates[l] as readonly string[];
      const next = current.map((op, k) => (k === l ? (ops[rng.int(0, ops.length - 1)] as string) : op));
      if (accept(next)) current = next;
    }
    return current;
  }

  /** SPOS mutation: each active layer is redrawn uniformly with probability `p` (it may draw its own operator). */
  mutate(arch: Architecture, p: number, rng: Rng): Architecture {
    return arch.map((op, l) => {
      if (!this.isActive[l] || rng.next() >= p) return op;
      const ops = this.candidates[l] as readonly string[];
      return ops[rng.int(0, ops.length - 1)] as string;
    });
  }

  /** SPOS crossover: each layer from either parent with probability ½. */
  crossover(a: Architecture, b: Architecture, rng: Rng): Architecture {
    return a.map((op, l) => (rng.next() < 0.5 ? op : (b[l] as string)));
  }

  /** Whether `arch` lies in this space (every layer a candidate, inactive layers at their fixed operator). */
  contains(arch: Architecture): boolean {
    return arch.length === this.layers && arch.every((op, l) => this.choices(l).includes(op));
  }

  /** A stable identity of an architecture (for "never evaluate twice"). */
  key(arch: Architecture): string {
    return arch.join(',');
  }

  /** One-hot code over every (layer, candidate) slot, in the order of the candidates (docs/method.md §6). */
  encode(arch: Architecture): number[] {
    return this.candidates.flatMap((ops, l) => ops.map((op) => (arch[l] === op ? 1 : 0)));
  }
}

/**
 * Coordinate ascent's active layers in iteration `i` (1-based, docs/method.md §2): the last `n − t` layers when
 * `i` is odd, the first `t` when it is even. Returns 0-based layer indices.
 */
export function activeLayersOf(iteration: number, t: number, n: number): number[] {
  if (!Number.isInteger(iteration) || iteration < 1) throw new RangeError(`iteration must be 1 or more, got ${iteration}`);
  if (!Number.isInteger(t) || t < 1 || t >= n) throw new RangeError(`t must split the ${n} layers (1 ≤ t < ${n}), got ${t}`);
  return iteration % 2 === 1 ? Array.from({ length: n - t }, (_, k) => t + k) : Array.from({ length: t }, (_, k) => k);
}
