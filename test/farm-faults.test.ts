// Fault injection on the device farm (issue 22): seeded rounds of `hurricane profile` and
// `predictor dataset` through three real agents on a real redis-server, with faults at random
// moments. Per round two or three of: an agent SIGKILLed and restarted, the requester SIGKILLed and
// restarted, Redis SIGKILLed and restarted, the requester's store unable to write, a forger that
// answers jobs with forged and malformed results, oversized jobs, an agent stalled (SIGSTOP). Then
// the faults stop and the same command runs until it succeeds. The invariants are checked after
// every round; the figures (faults per kind, violations, time to recover) are printed and, with
// FARM_FAULTS_REPORT=<file>, written as JSON. FARM_FAULT_ROUNDS / FARM_FAULT_SEED change the run.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { queueName } from '../packages/core/src/farm/protocol.js';
import { Rng } from '../packages/core/src/random.js';
import { type CliProcess, type RedisServer, measurementLog, scratch, spawnCli, startAgent, startRedis, stopAll } from './farm-helpers.js';

const ROUNDS = Number(process.env.FARM_FAULT_ROUNDS ?? 4);
const SEED = Number(process.env.FARM_FAULT_SEED ?? 22);
const KEY = { HURRICANE_FARM_KEY: 'fault-suite-key' };
const DEVICE = { adapterId: 'sim', deviceFingerprint: 'sim-1', runtimeVersion: '1' };
const QUEUE = queueName(DEVICE);
/** The forger's values: none of them may ever reach a store. */
const FORGED_MS = [777.777, 0.000123];

type Fault = 'agent-kill' | 'requester-kill' | 'redis-kill' | 'store-fails' | 'forged-results' | 'oversized-jobs' | 'agent-stall';
const FAULTS: readonly Fault[] = [
  'agent-kill',
  'requester-kill',
  'redis-kill',
  'store-fails',
  'forged-results',
  'oversized-jobs',
  'agent-stall',
];

const { temp, project: newProject, removeAll } = scratch('hurricane-faults-');
afterAll(async () => {
  await stopAll();
  removeAll();
});

/** Rows of a store table, by key, with their medians (read-only: the requester may be writing). */
function rows(project: string, table: 'operator_latency' | 'network_latency'): { key: string; median: number }[] {
  let db: Database.Database;
  try {
    db = new Database(path.join(project, '.hurricane', 'latency.sqlite'), { readonly: true, fileMustExist: true });
  } catch {
    return [];
  }
  try {
    if (!db.prepare('SELECT name FROM sqlite_master WHERE name = ?').get(table)) return [];
    const cols = table === 'operator_latency' ? 'operator, context_id' : 'arch';
    return (db.prepare(`SELECT ${cols} AS k1, median_ms FROM ${table}`).raw().all() as unknown[][]).map((r) => ({
      key: r.slice(0, -1).join('|'),
      median: r.at(-1) as number,
    }));
  } finally {
    db.close();
  }
}

/** Waits until the store holds `n` rows, or the run exits; polled every 50 ms (a store has no change event across processes). */
async function storedAtLeast(project: string, table: Parameters<typeof rows>[1], n: number, run: CliProcess): Promise<boolean> {
  for (let i = 0; i < 1200; i++) {
    if (rows(project, table).length >= n) return true;
    if (run.proc.exitCode !== null || run.proc.signalCode !== null) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** The highest `[k/N]` progress count a requester printed: what it reported as stored. */
const reported = (run: CliProcess) => Math.max(0, ...[...run.stderr().matchAll(/^\[(\d+)\/\d+\]/gm)].map((m) => Number(m[1])));

interface Figures {
  rounds: number;
  injected: Record<Fault, number>;
  violations: string[];
  recoverMs: Record<Fault, number[]>;
  failedRuns: number;
  remeasured: number;
  wallMs: number;
}

/** One command under faults: its project, what it stores, and the requester process now running it. */
interface Step {
  readonly round: number;
  readonly project: string;
  readonly args: readonly string[];
  readonly table: Parameters<typeof rows>[1];
  run: CliProcess;
  /** When the fault was injected, and how many rows the store had then. */
  t0: number;
  before: number;
  readonly cleanup: (() => Promise<unknown>)[];
}

/** The farm under test: Redis, three agents, the seeded dealer of faults, and the figures. */
class FaultyFarm {
  readonly f: Figures = {
    rounds: ROUNDS,
    injected: Object.fromEntries(FAULTS.map((k) => [k, 0])) as Record<Fault, number>,
    violations: [],
    recoverMs: Object.fromEntries(FAULTS.map((k) => [k, []])) as unknown as Record<Fault, number[]>,
    failedRuns: 0,
    remeasured: 0,
    wallMs: 0,
  };
  private readonly rng = new Rng(SEED);
  private readonly deck: Fault[] = [];
  readonly log = path.join(temp(), 'measured.log');
  private agents: CliProcess[] = [];
  /** Every agent process started, killed ones included (their logs count). */
  private readonly everyAgent: CliProcess[] = [];

  private constructor(readonly redis: RedisServer) {}

  static async start(): Promise<FaultyFarm> {
    // AOF with fsync always: a Redis SIGKILL loses no job, so "measured once" holds except where a fault explains it
    const farm = new FaultyFarm(await startRedis({ extra: ['--appendonly', 'yes', '--appendfsync', 'always'] }));
    for (let i = 0; i < 3; i++) farm.agents.push(await farm.agent());
    return farm;
  }

  private async agent(): Promise<CliProcess> {
    const a = await startAgent(newProject({ sim: { log: this.log, delayMs: 15 } }), this.redis.url, ['--grace', '1'], KEY);
    this.everyAgent.push(a);
    return a;
  }

  /** How many jobs agents have said they lost the lock of so far (taken over while they measured them). */
  lockLosses(): number {
    return this.everyAgent.reduce((n, a) => n + (a.stderr().match(/lost the lock of job/g) ?? []).length, 0);
  }

  private get connection() {
    return { host: '127.0.0.1', port: this.redis.port };
  }

  violate(what: string): void {
    this.f.violations.push(what);
  }

  /** Faults are dealt from a shuffled deck, so every kind comes up within a few rounds. */
  private draw(): Fault {
    if (this.deck.length === 0) this.deck.push(...this.rng.shuffle([...FAULTS]));
    return this.deck.pop() as Fault;
  }

  spawn(project: string, args: readonly string[]): CliProcess {
    return spawnCli([...args, '--farm', this.redis.url], project, KEY);
  }

  /** Runs `args` in `project` with two or three faults at random stored counts, then again without faults until it succeeds. */
  async faultyRun(round: number, project: string, args: readonly string[], table: Step['table'], total: number): Promise<void> {
    const kinds = Array.from({ length: 2 + this.rng.int(0, 1) }, () => this.draw()).filter((k, i, all) => all.indexOf(k) === i);
    const at = kinds.map(() => this.rng.int(Math.floor(total * 0.1), Math.floor(total * 0.7))).sort((a, b) => a - b);
    const step: Step = { round, project, args, table, run: this.spawn(project, args), t0: 0, before: 0, cleanup: [] };
    for (const [i, kind] of kinds.entries()) {
      if (!(await storedAtLeast(project, table, at[i] as number, step.run))) break;
      this.f.injected[kind]++;
      step.t0 = performance.now();
      step.before = rows(project, table).length;
      await this[kind](step);
    }
    const exits = [{ code: await this.exitOf(step, step.run), stderr: step.run.stderr() }];
    for (const c of step.cleanup) await c();
    // the faults have stopped: the same command finishes (at most three reruns)
    for (let i = 0; i < 3 && (exits.at(-1)?.code ?? 0) !== 0; i++) {
      const again = this.spawn(project, args);
      exits.push({ code: await this.exitOf(step, again), stderr: again.stderr() });
    }
    this.checkRun(step, exits, total);
  }

  /** The exit code of a run; a run that hangs for 3 minutes is a violation, and is killed. */
  private async exitOf(step: Step, run: CliProcess): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((r) => {
      timer = setTimeout(() => r('hung'), 180_000);
    });
    const code = await Promise.race([run.exited, hung]);
    clearTimeout(timer);
    if (code !== 'hung') return code;
    this.violate(`round ${step.round}: '${step.args.join(' ')}' hung (no exit in 3 min): ${run.stderr().trim().split('\n').at(-1)}`);
    run.proc.kill('SIGKILL');
    return run.exited;
  }

  /** The invariants of one command: failures were one line, it finished, every model stored once, nothing forged stored. */
  private checkRun(step: Step, exits: readonly { code: number; stderr: string }[], total: number): void {
    for (const e of exits.slice(0, -1)) {
      if (e.code === 0 || e.code === 137) continue; // 137: killed by the test
      this.f.failedRuns++;
      const last = e.stderr.trim().split('\n').at(-1) ?? '';
      if (!/^hurricane: /.test(last) || /\n\s+at /.test(e.stderr))
        this.violate(`round ${step.round}: a failure was not one line: ${last.slice(0, 200)}`);
    }
    const end = exits.at(-1);
    if (end?.code !== 0)
      this.violate(
        `round ${step.round}: '${step.args.join(' ')}' did not finish after the faults stopped: ${end?.stderr.trim().split('\n').at(-1)}`,
      );
    const stored = rows(step.project, step.table);
    const distinct = new Set(stored.map((r) => r.key)).size;
    if (stored.length !== total || distinct !== total)
      this.violate(`round ${step.round}: ${stored.length} rows (${distinct} distinct) for ${total} models`);
    if (stored.some((r) => FORGED_MS.includes(r.median))) this.violate(`round ${step.round}: a forged value was stored`);
  }

  /** Records the time from the fault to the next stored result of `run` (none when the run ended first). */
  private async recovered(kind: Fault, step: Step): Promise<void> {
    if (await storedAtLeast(step.project, step.table, step.before + 1, step.run)) this.f.recoverMs[kind].push(performance.now() - step.t0);
  }

  private async 'agent-kill'(step: Step): Promise<void> {
    const j = this.rng.int(0, this.agents.length - 1);
    this.agents[j]?.proc.kill('SIGKILL');
    await this.agents[j]?.exited;
    this.agents[j] = await this.agent();
    await this.recovered('agent-kill', step);
  }

  private async 'agent-stall'(step: Step): Promise<void> {
    const a = this.agents[this.rng.int(0, this.agents.length - 1)] as CliProcess;
    const others = this.agents.filter((b) => b !== a).map((b) => ({ b, mark: b.stderr().length }));
    const markA = a.stderr().length;
    a.proc.kill('SIGSTOP');
    const job = (a.stderr().trim().split('\n').at(-1) ?? '').match(/measuring ([0-9a-f]{12})/)?.[1];
    await this.recovered('agent-stall', step); // the others go on
    // stalled until it matters: the job it was measuring is taken over by another agent (its lock
    // expired), unless it had in fact finished it (its `measured` line was still in the pipe) or
    // the run ended; when it was idle, until its announcement expires. 30 s at most, then it resumes.
    const settled = job
      ? Promise.any([
          ...others.map(({ b, mark }) => b.waitUntil((t) => t.slice(mark).includes(`measuring ${job}`), 30_000)),
          a.waitUntil((t) => t.slice(markA).includes(`measured ${job}`), 30_000),
          step.run.exited,
        ])
      : this.announcementGone(a);
    await settled.catch(() => {});
    a.proc.kill('SIGCONT');
  }

  /** Resolves when agent `a`'s announcement has expired from Redis (it stopped renewing it); rejects after 30 s. */
  private async announcementGone(a: CliProcess): Promise<void> {
    const client = new Redis(this.redis.port, '127.0.0.1');
    try {
      for (let i = 0; i < 600; i++) {
        if ((await client.keys(`hurricane:device:*:${os.hostname()}:${a.pid}:*`)).length === 0) return;
        await new Promise((r) => setTimeout(r, 50)); // polled: key expiry is not announced
      }
      throw new Error('the announcement did not expire');
    } finally {
      client.disconnect();
    }
  }

  private async 'requester-kill'(step: Step): Promise<void> {
    const said = reported(step.run);
    step.run.proc.kill('SIGKILL');
    await step.run.exited;
    const have = rows(step.project, step.table).length;
    if (have < said) this.violate(`round ${step.round}: ${said} reported stored, ${have} in the store`);
    step.run = this.spawn(step.project, step.args);
    await this.recovered('requester-kill', step);
  }

  private async 'redis-kill'(step: Step): Promise<void> {
    await this.redis.kill();
    await this.redis.restart();
    await this.recovered('redis-kill', step);
  }

  /** Another process holds the store's write lock longer than SQLite's busy timeout (5 s). */
  private async 'store-fails'(step: Step): Promise<void> {
    const db = new Database(path.join(step.project, '.hurricane', 'latency.sqlite'));
    db.exec('BEGIN EXCLUSIVE');
    // held until the requester gives up on its store write (SQLite's busy timeout, 5 s) and exits;
    // a requester that had nothing left to write goes on once the lock is released after 30 s
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([step.run.exited, new Promise((r) => (timer = setTimeout(r, 30_000)))]);
    clearTimeout(timer);
    db.exec('ROLLBACK');
    db.close();
    this.f.recoverMs['store-fails'].push(performance.now() - step.t0);
  }

  /** A forger takes jobs beside the agents and answers them, alternately malformed and forged (unsigned, self-consistent). */
  private async 'forged-results'(step: Step): Promise<void> {
    let n = 0;
    const forger = new Worker(
      QUEUE,
      async () => {
        n++;
        if (n % 2 === 1) return { samplesMs: [1, 'two'], medianMs: FORGED_MS[1] };
        const p = { ...DEVICE, device: 'simulated device', runtime: 'sim', commands: [], settings: {} };
        const v = FORGED_MS[0] as number;
        const stats = { samplesMs: [v], medianMs: v, meanMs: v, p10Ms: v, p90Ms: v, cov: 0, outlierIndices: [] };
        return { ...stats, provenance: { ...p, timestamp: new Date().toISOString(), agent: { id: 'forger', host: 'x' } } };
      },
      { connection: this.connection, prefix: 'hurricane', concurrency: 1 },
    );
    forger.on('error', () => {});
    step.cleanup.push(() => forger.close(true));
    await storedAtLeast(step.project, step.table, step.before + 5, step.run);
    await forger.close(true);
    this.f.recoverMs['forged-results'].push(performance.now() - step.t0);
  }

  /** Jobs over the bounds, added raw: each agent that takes one refuses it at once, without retries. */
  private async 'oversized-jobs'(step: Step): Promise<void> {
    const q = new Queue(QUEUE, { connection: this.connection, prefix: 'hurricane' });
    const big = { v: 1, ...DEVICE, model: { sha256: 'e'.repeat(64), bytes: 10, inputShape: [1, 16384, 16384] }, measure: {} };
    const long = { ...big, model: { ...big.model, inputShape: [1, 1, 28, 28] }, measure: { timeoutMs: 86_400_000, minRuns: 100_000 } };
    const ids = [`big-${step.round}-${step.t0}`, `long-${step.round}-${step.t0}`];
    await q.addBulk([
      { name: 'measure', data: big, opts: { jobId: ids[0], attempts: 3 } },
      { name: 'measure', data: long, opts: { jobId: ids[1], attempts: 3 } },
    ]);
    for (const id of ids) {
      let state = '';
      for (let i = 0; i < 200 && state !== 'failed'; i++) {
        state = await q.getJobState(id as string);
        if (state !== 'failed') await new Promise((r) => setTimeout(r, 50)); // polled: no event crosses to this process
      }
      const job = await q.getJob(id as string);
      if (state !== 'failed' || !/^job refused: /.test(job?.failedReason ?? '') || job?.attemptsMade !== 1)
        this.violate(`round ${step.round}: oversized job ${id} was ${state} (${job?.failedReason}), not refused at once`);
      await q.remove(id as string);
    }
    await q.close();
    await this.recovered('oversized-jobs', step);
  }

  /**
   * Re-measurements of one round beyond what its faults explain: a killed or stalled agent's job
   * (one each), each agent's finished-but-unreported job when Redis died, and each job an agent
   * said it lost the lock of. Measurements the command asks for twice (`repeatsByDesign`) are not re-measurements.
   */
  checkRemeasured(
    round: number,
    measured: readonly { pid: number; model: string }[],
    injectedBefore: Record<Fault, number>,
    lockLossesBefore: number,
    repeatsByDesign: number,
  ): void {
    const models = measured.map((m) => m.model);
    const again = models.length - new Set(models).size - repeatsByDesign;
    this.f.remeasured += again;
    const during = (k: Fault) => this.f.injected[k] - injectedBefore[k];
    // a lock an agent failed to renew in time (a fault, or this loaded 2-core machine starving it) is one more
    const allowed =
      during('agent-kill') + during('agent-stall') + this.agents.length * during('redis-kill') + (this.lockLosses() - lockLossesBefore);
    if (again > allowed) {
      const kinds = FAULTS.filter((k) => during(k) > 0).map((k) => `${k} ×${during(k)}`);
      const twice = [...new Set(models.filter((m, i) => models.indexOf(m) !== i))].map(
        (m) =>
          `${m.slice(0, 12)} by ${measured
            .filter((x) => x.model === m)
            .map((x) => x.pid)
            .join(',')}`,
      );
      this.violate(
        `round ${round}: ${again} models measured twice, ${allowed} explained by faults (${kinds.join(', ')}; ${twice.join('; ')})`,
      );
    }
  }
}

describe('device farm under injected faults (seeded rounds, real redis-server and agents)', () => {
  it(`${ROUNDS} rounds of profile and dataset runs with random faults: every model stored exactly once, nothing forged stored, nothing reported lost, every failure one line, and the run finishes once the faults stop`, async () => {
    const started = performance.now();
    const farm = await FaultyFarm.start();
    for (let round = 1; round <= ROUNDS; round++) {
      const project = newProject({ plugin: false });
      const before = measurementLog(farm.log).length;
      const injectedBefore = { ...farm.f.injected };
      const lockLossesBefore = farm.lockLosses();
      await farm.faultyRun(round, project, ['profile'], 'operator_latency', 256);
      if (round % 2 === 0) {
        const space = farm.spawn(project, ['space']);
        expect(await space.exited, space.stderr()).toBe(0);
        await farm.faultyRun(round, project, ['predictor', 'dataset', '-n', '40', '--repeats', '1'], 'network_latency', 40);
      }
      // the data set's noise-floor repeat measures one network twice on purpose (--repeats 1)
      const repeats = round % 2 === 0 ? 1 : 0;
      farm.checkRemeasured(round, measurementLog(farm.log).slice(before), injectedBefore, lockLossesBefore, repeats);
    }
    farm.f.wallMs = performance.now() - started;
    const figures = JSON.stringify(farm.f);
    process.stdout.write(`farm fault injection: ${figures}\n`);
    if (process.env.FARM_FAULTS_REPORT) writeFileSync(process.env.FARM_FAULTS_REPORT, `${figures}\n`);
    expect(farm.f.violations).toEqual([]);
    expect(Object.values(farm.f.injected).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2 * ROUNDS);
  }, 600_000);
});
