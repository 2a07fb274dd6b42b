// Fault injection on the device farm (issue 22): seeded rounds of `hurricane profile` and
// `predictor dataset` through three real agents on a real redis-server, with faults at random
// moments. Per round two or three of: an agent SIGKILLed and restarted, the requester SIGKILLed and
// restarted, Redis SIGKILLed and restarted, the requester's store unable to write, a forger that
// answers jobs with forged and malformed results, oversized jobs, an agent stalled (SIGSTOP). Then
// the faults stop and the same command runs until it succeeds. The invariants are checked after
// every round; the figures (faults per kind, violations, time to recover) are printed and, with
// FARM_FAULTS_REPORT=<file>, written as JSON. FARM_FAULT_ROUNDS / FARM_FAULT_SEED change the run.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Queue, Worker } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { queueName } from '../packages/core/src/farm/protocol.js';
import { Rng } from '../packages/core/src/random.js';
import { type CliProcess, measurementLog, scratch, spawnCli, startAgent, startRedis, stopAll } from './farm-helpers.js';

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

describe('device farm under injected faults (seeded rounds, real redis-server and agents)', () => {
  it(`${ROUNDS} rounds of profile and dataset runs with random faults: every model stored exactly once, nothing forged stored, nothing reported lost, every failure one line, and the run finishes once the faults stop`, async () => {
    const started = performance.now();
    const rng = new Rng(SEED);
    // AOF with fsync always: a Redis SIGKILL loses no job, so "measured once" holds except where a fault explains it
    const redis = await startRedis({ extra: ['--appendonly', 'yes', '--appendfsync', 'always'] });
    const log = path.join(temp(), 'measured.log');
    const agentProject = () => newProject({ sim: { log, delayMs: 15 } });
    const agents: CliProcess[] = [];
    for (let i = 0; i < 3; i++) agents.push(await startAgent(agentProject(), redis.url, ['--grace', '1'], KEY));
    const f: Figures = {
      rounds: ROUNDS,
      injected: Object.fromEntries(FAULTS.map((k) => [k, 0])) as Record<Fault, number>,
      violations: [],
      recoverMs: Object.fromEntries(FAULTS.map((k) => [k, []])) as unknown as Record<Fault, number[]>,
      failedRuns: 0,
      remeasured: 0,
      wallMs: 0,
    };
    const violate = (what: string) => f.violations.push(what);
    // faults dealt from a shuffled deck, so every kind comes up within a few rounds
    const deck: Fault[] = [];
    const draw = (): Fault => {
      if (deck.length === 0) deck.push(...rng.shuffle([...FAULTS]));
      return deck.pop() as Fault;
    };
    const connection = { host: '127.0.0.1', port: redis.port };

    /** Runs `args` in `project` with faults at random stored counts, then again without faults until it succeeds. */
    const faultyRun = async (round: number, project: string, args: string[], table: Parameters<typeof rows>[1], total: number) => {
      const kinds = Array.from({ length: 2 + rng.int(0, 1) }, draw).filter((k, i, all) => all.indexOf(k) === i);
      const at = kinds.map(() => rng.int(Math.floor(total * 0.1), Math.floor(total * 0.7))).sort((a, b) => a - b);
      let run = spawnCli([...args, '--farm', redis.url], project, KEY);
      const exits: { code: number; stderr: string }[] = [];
      const cleanup: (() => Promise<unknown>)[] = [];
      for (const [i, kind] of kinds.entries()) {
        if (!(await storedAtLeast(project, table, at[i] as number, run))) break;
        f.injected[kind]++;
        const t0 = performance.now();
        const before = rows(project, table).length;
        const recovered = async (r: CliProcess) => {
          if (await storedAtLeast(project, table, before + 1, r)) f.recoverMs[kind].push(performance.now() - t0);
        };
        if (kind === 'agent-kill') {
          const j = rng.int(0, agents.length - 1);
          agents[j]?.proc.kill('SIGKILL');
          await agents[j]?.exited;
          agents[j] = await startAgent(agentProject(), redis.url, ['--grace', '1'], KEY);
          await recovered(run);
        } else if (kind === 'agent-stall') {
          const a = agents[rng.int(0, agents.length - 1)] as CliProcess;
          a.proc.kill('SIGSTOP');
          await recovered(run); // the others go on; the stalled one's job is taken over when its lock expires
          await new Promise((r) => setTimeout(r, 2500)); // a stall longer than farm.lockMs (2 s): the point of the fault
          a.proc.kill('SIGCONT');
        } else if (kind === 'requester-kill') {
          const said = reported(run);
          run.proc.kill('SIGKILL');
          await run.exited;
          if (rows(project, table).length < said)
            violate(`round ${round}: ${said} reported stored, ${rows(project, table).length} in the store`);
          run = spawnCli([...args, '--farm', redis.url], project, KEY);
          await recovered(run);
        } else if (kind === 'redis-kill') {
          await redis.kill();
          await redis.restart();
          await recovered(run);
        } else if (kind === 'store-fails') {
          // another process holds the write lock longer than SQLite's busy timeout (5 s)
          const db = new Database(path.join(project, '.hurricane', 'latency.sqlite'));
          db.exec('BEGIN EXCLUSIVE');
          const held = new Promise((r) => setTimeout(r, 6000));
          await Promise.race([held, run.exited]);
          db.exec('ROLLBACK');
          db.close();
          f.recoverMs[kind].push(performance.now() - t0);
        } else if (kind === 'forged-results') {
          let n = 0;
          const forger = new Worker(
            QUEUE,
            async () => {
              n++;
              if (n % 2 === 1) return { samplesMs: [1, 'two'], medianMs: FORGED_MS[1] }; // malformed
              const p = { ...DEVICE, device: 'simulated device', runtime: 'sim', commands: [], settings: {} };
              const m = { samplesMs: [777.777], medianMs: 777.777, meanMs: 777.777, p10Ms: 777.777, p90Ms: 777.777 };
              return {
                ...m,
                cov: 0,
                outlierIndices: [],
                provenance: { ...p, timestamp: new Date().toISOString(), agent: { id: 'forger', host: 'x' } },
              };
            },
            { connection, prefix: 'hurricane', concurrency: 1 },
          );
          forger.on('error', () => {});
          cleanup.push(() => forger.close(true));
          await storedAtLeast(project, table, before + 5, run);
          await forger.close(true);
          f.recoverMs[kind].push(performance.now() - t0);
        } else if (kind === 'oversized-jobs') {
          const q = new Queue(QUEUE, { connection, prefix: 'hurricane' });
          const big = { v: 1, ...DEVICE, model: { sha256: 'e'.repeat(64), bytes: 10, inputShape: [1, 16384, 16384] }, measure: {} };
          const long = {
            ...big,
            model: { ...big.model, inputShape: [1, 1, 28, 28] },
            measure: { timeoutMs: 86_400_000, minRuns: 100_000 },
          };
          await q.addBulk([
            { name: 'measure', data: big, opts: { jobId: `big-${round}`, attempts: 3 } },
            { name: 'measure', data: long, opts: { jobId: `long-${round}`, attempts: 3 } },
          ]);
          for (const id of [`big-${round}`, `long-${round}`]) {
            let state = '';
            for (let i = 0; i < 200 && state !== 'failed'; i++) {
              state = await q.getJobState(id);
              if (state !== 'failed') await new Promise((r) => setTimeout(r, 50));
            }
            const job = await q.getJob(id);
            if (state !== 'failed' || !/^job refused: /.test(job?.failedReason ?? '') || job?.attemptsMade !== 1)
              violate(`round ${round}: oversized job ${id} was ${state} (${job?.failedReason}), not refused at once`);
            await q.remove(id);
          }
          await q.close();
          await recovered(run);
        }
      }
      exits.push({ code: await run.exited, stderr: run.stderr() });
      for (const c of cleanup) await c();
      // the faults have stopped: the same command finishes (at most three reruns)
      for (let i = 0; i < 3 && (exits.at(-1)?.code ?? 0) !== 0; i++) {
        const again = spawnCli([...args, '--farm', redis.url], project, KEY);
        exits.push({ code: await again.exited, stderr: again.stderr() });
      }
      for (const e of exits.slice(0, -1)) {
        if (e.code === 0 || e.code === 137) continue; // 137: killed by the test
        f.failedRuns++;
        const last = e.stderr.trim().split('\n').at(-1) ?? '';
        if (!/^hurricane: /.test(last) || /\n\s+at /.test(e.stderr))
          violate(`round ${round}: a failure was not one line: ${last.slice(0, 200)}`);
      }
      if (exits.at(-1)?.code !== 0)
        violate(
          `round ${round}: '${args.join(' ')}' did not finish after the faults stopped: ${exits.at(-1)?.stderr.trim().split('\n').at(-1)}`,
        );
      const stored = rows(project, table);
      if (stored.length !== total || new Set(stored.map((r) => r.key)).size !== total)
        violate(`round ${round}: ${stored.length} rows (${new Set(stored.map((r) => r.key)).size} distinct) for ${total} models`);
      if (stored.some((r) => FORGED_MS.includes(r.median))) violate(`round ${round}: a forged value was stored`);
    };

    for (let round = 1; round <= ROUNDS; round++) {
      const project = newProject({ plugin: false });
      const before = measurementLog(log).length;
      const injectedBefore = { ...f.injected };
      await faultyRun(round, project, ['profile'], 'operator_latency', 256);
      if (round % 2 === 0) {
        const space = spawnCli(['space', '--farm', redis.url], project, KEY);
        expect(await space.exited, space.stderr()).toBe(0);
        await faultyRun(round, project, ['predictor', 'dataset', '-n', '40', '--repeats', '1'], 'network_latency', 40);
      }
      const models = measurementLog(log)
        .slice(before)
        .map((m) => m.model);
      const again = models.length - new Set(models).size;
      f.remeasured += again;
      // measured twice only where a fault explains it: the job of a killed or stalled agent (one
      // each), and the job each of the 3 agents had finished but not reported when Redis died
      const explained = (k: Fault) => f.injected[k] - (injectedBefore[k] ?? 0);
      const allowed = explained('agent-kill') + explained('agent-stall') + 3 * explained('redis-kill');
      if (again > allowed) violate(`round ${round}: ${again} models measured twice, ${allowed} explained by faults`);
    }
    f.wallMs = performance.now() - started;
    const figures = JSON.stringify(f);
    process.stdout.write(`farm fault injection: ${figures}\n`);
    if (process.env.FARM_FAULTS_REPORT) writeFileSync(process.env.FARM_FAULTS_REPORT, `${figures}\n`);
    expect(f.violations).toEqual([]);
    expect(Object.values(f.injected).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(2 * ROUNDS);
  }, 600_000);
});
