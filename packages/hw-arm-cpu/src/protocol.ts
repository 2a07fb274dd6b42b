import { HurricaneError, Rng, percentile } from '@hurricane/core/adapter-kit';

/** Something that can be timed: runs `n` consecutive inference calls and returns the elapsed milliseconds. */
export interface TimedTarget {
  runGroup(n: number): Promise<number>;
}

/** Knobs of the measurement protocol (defaults tuned on a shared, noisy 2-core host). */
export interface ProtocolOptions {
  /** Each timed sample groups consecutive calls until it lasts at least this long. */
  readonly targetSampleMs: number;
  /**
   * Untimed warm-up per model before calibration, beyond the 3 calls every session gets (shared by
   * its sessions). 0 by default: after 3 calls and the 5 calibration calls the first round was no
   * slower than the median round on the host measured (docs/adapters/arm-cpu.md).
   */
  readonly warmupMs: number;
  /** Timed samples per model per round (spread over its sessions: at least one per session). */
  readonly samplesPerRound: number;
  /**
   * Inference sessions per model, measured side by side in the same rounds: a session has a speed
   * of its own (where its weights and buffers landed in memory), which one session per model would
   * take for the model's.
   */
  readonly sessions: number;
  readonly minRounds: number;
  readonly maxRounds: number;
  /** Stop once every target's 95 % uncertainty is at most this fraction of its estimate. */
  readonly relUncertainty: number;
  /** Seed of the per-round interleaving order. */
  readonly seed: number;
  /** Wall-clock limit for the whole protocol. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

export const DEFAULT_PROTOCOL: ProtocolOptions = {
  targetSampleMs: 1,
  warmupMs: 0,
  samplesPerRound: 3,
  sessions: 3,
  minRounds: 10,
  maxRounds: 30,
  relUncertainty: 0.02,
  seed: 0,
  timeoutMs: 600_000,
};

/**
 * The protocol a measurement runs: the adapter's settings over {@link DEFAULT_PROTOCOL}, with the
 * caller's `MeasureOptions` applied so that they can only raise the noise guarantees:
 * `minRuns` raises the minimum number of rounds to `⌈minRuns / samplesPerRound⌉` (never below the
 * protocol's own `minRounds`), and the maximum follows it up when needed; `timeoutMs` sets the
 * wall-clock limit.
 */
export function protocolFor(
  adapter: Partial<ProtocolOptions>,
  options: { readonly minRuns?: number | undefined; readonly timeoutMs?: number | undefined },
): ProtocolOptions {
  const base = { ...DEFAULT_PROTOCOL, ...adapter };
  const minRounds =
    options.minRuns !== undefined ? Math.max(base.minRounds, Math.ceil(options.minRuns / base.samplesPerRound)) : base.minRounds;
  return {
    ...base,
    minRounds,
    maxRounds: Math.max(base.maxRounds, minRounds),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  };
}

/** What the protocol found for one target. */
export interface ProtocolResult {
  /** Per-call latency of every timed sample, call floor subtracted (clamped at 0). */
  readonly samplesMs: number[];
  /** Median of each round's samples. */
  readonly roundMedians: number[];
  /** The fastest sample of each round (noise only adds time: the round's least disturbed value). */
  readonly roundMins: number[];
  /** A model measured in several sessions ({@link runSessions}): each session's `roundMins`. */
  readonly sessionMins?: number[][];
  /** Calls per timed sample. */
  readonly groupSize: number;
  /** Median per-call cost of the do-nothing model over all its samples (subtracted). */
  readonly floorMs: number;
  /** Inference calls timed. */
  readonly runs: number;
  /** Wall time inside timed groups. */
  readonly timedMs: number;
  /** Median of round medians. */
  readonly estimateMs: number;
  /** Approximate 95 % half-width of the estimate. */
  readonly uncertaintyMs: number;
}

const median = (xs: readonly number[]) =>
  percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );

/** ≈95 % half-width of the median of `xs`: 1.96 · 1.2533 · 1.4826 · MAD / √n. */
export function medianUncertainty(xs: readonly number[]): number {
  if (xs.length < 2) return Number.POSITIVE_INFINITY;
  const m = median(xs);
  const mad = median(xs.map((x) => Math.abs(x - m)));
  return (1.96 * 1.2533 * 1.4826 * mad) / Math.sqrt(xs.length);
}

/**
 * Times `targets` together with `floor` (a do-nothing model): warm-up, per-target group sizes so
 * each sample lasts ≥ `targetSampleMs`, then rounds in a fresh seeded order each time (targets and
 * floor interleaved, so drift hits all alike). The floor's median over all its samples is
 * subtracted from every sample. Stops when every estimate's uncertainty is within `relUncertainty`, or at
 * `maxRounds`; `models` groups the targets that are sessions of one model, whose per-round median
 * over sessions is what must be stable.
 */
export async function runProtocol(
  targets: readonly TimedTarget[],
  floor: TimedTarget,
  options: Partial<ProtocolOptions> = {},
  models: readonly (readonly number[])[] = targets.map((_, i) => [i]),
): Promise<ProtocolResult[]> {
  const o = { ...DEFAULT_PROTOCOL, ...options };
  const started = performance.now();
  const check = () => {
    if (o.signal?.aborted) throw new HurricaneError('measurement aborted');
    if (performance.now() - started > o.timeoutMs)
      throw new HurricaneError(`measurement exceeded its ${o.timeoutMs} ms limit; raise the timeout or measure fewer models at once`);
  };
  const all = [...targets, floor];
  const groups: number[] = [];
  for (const t of all) {
    // warm-up: untimed calls until warmupMs has passed (at least 3)
    let spent = 0;
    for (let i = 0; i < 3 || spent < o.warmupMs; i++) {
      spent += await t.runGroup(1);
      check();
      await yieldSometimes();
      if (i > 10_000) break;
    }
    const singles: number[] = [];
    for (let i = 0; i < 5; i++) singles.push(await t.runGroup(1));
    const perCall = Math.max(median(singles), 1e-4);
    groups.push(Math.max(1, Math.ceil(o.targetSampleMs / perCall)));
  }
  const rng = new Rng(o.seed);
  const rawSamples = targets.map(() => [] as number[][]);
  const roundMedians = targets.map(() => [] as number[]);
  /** Each round's median per target before the floor is subtracted (the floor estimate moves; these do not). */
  const roundRaw = targets.map(() => [] as number[]);
  const floors: number[] = [];
  const runs = targets.map(() => 0);
  const timed = targets.map(() => 0);
  for (let round = 0; round < o.maxRounds; round++) {
    const raw = all.map(() => [] as number[]);
    for (const i of rng.shuffle(all.map((_, j) => j))) {
      const g = groups[i] as number;
      for (let s = 0; s < o.samplesPerRound; s++) {
        const ms = await all[i]?.runGroup(g);
        if (ms === undefined) throw new Error('unreachable');
        raw[i]?.push(ms / g);
        await yieldSometimes();
        if (i < targets.length) {
          runs[i] = (runs[i] as number) + g;
          timed[i] = (timed[i] as number) + ms;
        }
      }
      check();
    }
    floors.push(...(raw[targets.length] as number[]));
    targets.forEach((_, i) => {
      rawSamples[i]?.push(raw[i] as number[]);
      roundRaw[i]?.push(median(raw[i] as number[]));
    });
    // The floor is estimated from every floor sample so far (one noisy round must not shift all models).
    const floorNow = median(floors);
    targets.forEach((_, i) => {
      roundMedians[i] = (roundRaw[i] as number[]).map((r) => Math.max(0, r - floorNow));
    });
    if (round + 1 >= o.minRounds) {
      // a model measured in several sessions is stable when the median over its sessions is
      const combined = models.map((m) =>
        (roundMedians[m[0] as number] as number[]).map((_, k) => median(m.map((t) => roundMedians[t]?.[k] as number))),
      );
      const stable = combined.every((rm) => {
        const est = median(rm);
        return est > 0 ? medianUncertainty(rm) <= o.relUncertainty * est : medianUncertainty(rm) === 0;
      });
      if (stable) break;
    }
  }
  const floorMs = median(floors);
  return targets.map((_, i) => {
    const rm = roundMedians[i] as number[];
    return {
      samplesMs: (rawSamples[i] as number[][]).flat().map((x) => Math.max(0, x - floorMs)),
      roundMedians: rm,
      roundMins: (rawSamples[i] as number[][]).map((r) => Math.max(0, Math.min(...r) - floorMs)),
      groupSize: groups[i] as number,
      floorMs,
      runs: runs[i] as number,
      timedMs: timed[i] as number,
      estimateMs: median(rm),
      uncertaintyMs: medianUncertainty(rm),
    };
  });
}

/**
 * Lets timers and I/O run between timed samples (never inside one). ONNX Runtime's run resolves
 * in microtasks only, so without this a long measurement starves the event loop: a farm agent's
 * lock renewal and heartbeat, a progress bar, Ctrl-C.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** How long timing may hold the event loop between two yields (ms): far below any lock or heartbeat period. */
const YIELD_EVERY_MS = 100;
let lastYield = 0;

/** {@link yieldToEventLoop} when {@link YIELD_EVERY_MS} have passed since the last yield (a yield costs more than a 20 µs call). */
async function yieldSometimes(): Promise<void> {
  if (performance.now() - lastYield < YIELD_EVERY_MS) return;
  await yieldToEventLoop();
  lastYield = performance.now();
}

/**
 * {@link runProtocol} over several sessions per model (`sessions[i]` are model i's): every session
 * is a target of the same rounds, with `samplesPerRound` spread over a model's sessions, and each
 * model's result combines its sessions: all samples, and per round the median and the minimum
 * over its sessions.
 */
export async function runSessions(
  sessions: readonly (readonly TimedTarget[])[],
  floor: TimedTarget,
  options: Partial<ProtocolOptions> = {},
): Promise<ProtocolResult[]> {
  const o = { ...DEFAULT_PROTOCOL, ...options };
  const per = Math.max(...sessions.map((s) => s.length), 1);
  const flat = sessions.flat();
  const groups: number[][] = [];
  for (const s of sessions) groups.push(s.map((_, k) => (groups.at(-1)?.at(-1) ?? -1) + 1 + k));
  const spr = Math.max(1, Math.round(o.samplesPerRound / per));
  // the warm-up is the model's, shared by its sessions (the first rounds were not slower on a host measured)
  const results = await runProtocol(flat, floor, { ...o, samplesPerRound: spr, warmupMs: o.warmupMs / per }, groups);
  let at = 0;
  return sessions.map((s) => {
    const mine = results.slice(at, at + s.length);
    at += s.length;
    const rounds = Math.min(...mine.map((r) => r.roundMedians.length));
    const roundMedians = Array.from({ length: rounds }, (_, k) => median(mine.map((r) => r.roundMedians[k] as number)));
    const roundMins = Array.from({ length: rounds }, (_, k) => Math.min(...mine.map((r) => r.roundMins[k] as number)));
    const first = mine[0] as ProtocolResult;
    return {
      // in the order taken: round by round, each session's samples of the round
      samplesMs: roundMedians.flatMap((_, k) => mine.flatMap((r) => r.samplesMs.slice(k * spr, (k + 1) * spr))),
      roundMedians,
      roundMins,
      sessionMins: mine.map((r) => r.roundMins.slice(0, rounds)),
      groupSize: first.groupSize,
      floorMs: first.floorMs,
      runs: mine.reduce((a, r) => a + r.runs, 0),
      timedMs: mine.reduce((a, r) => a + r.timedMs, 0),
      estimateMs: median(roundMedians),
      uncertaintyMs: medianUncertainty(roundMedians),
    };
  });
}
