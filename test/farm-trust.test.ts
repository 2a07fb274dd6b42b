// The device farm under attack and faults (issue 22): forged and malformed results, a store that
// cannot write, corrupt blobs in Redis, and an agent stopped while Redis is down. Real redis-server,
// real agent and requester processes, a forger that speaks BullMQ directly.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { farmSchema } from '../packages/core/src/config/schema.js';
import { fetchBlob, putBlobs, sha256 } from '../packages/core/src/farm/blob-store.js';
import { announce } from '../packages/core/src/farm/device-registry.js';
import { FarmRequest } from '../packages/core/src/farm/farm-request.js';
import { queueName } from '../packages/core/src/farm/protocol.js';
import { type CliProcess, handResult, measurementLog, scratch, spawnCli, startAgent, startRedis, stopAll } from './farm-helpers.js';
import { runCli } from './helpers.js';

const { temp, project, removeAll } = scratch('hurricane-trust-');
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
  await stopAll();
});
afterAll(removeAll);

const ARCH = Array(20).fill('MB_3_1').join(',');
const DEVICE = { adapterId: 'sim', device: 'simulated device', runtime: 'sim', runtimeVersion: '1', deviceFingerprint: 'sim-1' };
const QUEUE = queueName(DEVICE);

/** Rows of the network-latency table of a project's store. */
function networkRows(project: string): number {
  const file = path.join(project, '.hurricane', 'latency.sqlite');
  if (!existsSync(file)) return 0;
  const db = new Database(file, { readonly: true });
  try {
    const t = db.prepare("SELECT name FROM sqlite_master WHERE name = 'network_latency'").get();
    return t ? (db.prepare('SELECT count(*) AS n FROM network_latency').get() as { n: number }).n : 0;
  } finally {
    db.close();
  }
}

/** The simulated device announced (renewed every second) by an agent that takes no job: requesters wait for it while the test plays the agent. */
async function idleDevice(port: number, agentId: string): Promise<{ client: Redis; queue: Queue }> {
  const client = new Redis(port, '127.0.0.1');
  const queue = new Queue(QUEUE, { connection: { host: '127.0.0.1', port }, prefix: 'hurricane' });
  const a = { ...DEVICE, agentId, host: 'lab', queue: QUEUE, done: 0 };
  await announce(client, 'hurricane', a);
  const beat = setInterval(() => void announce(client, 'hurricane', a).catch(() => {}), 1000);
  closers.push(async () => {
    clearInterval(beat);
    await queue.close();
    client.disconnect();
  });
  return { client, queue };
}

/** The first job waiting in `queue` (polled: Redis has no event for a job added), once the requester `run` sent it. */
async function firstWaiting(queue: Queue, run: CliProcess): Promise<Job | undefined> {
  closers.push(() => queue.close());
  for (let i = 0; i < 600 && run.proc.exitCode === null; i++) {
    const [job] = await queue.getWaiting();
    if (job) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no job reached the queue: ${run.stderr()}`);
}

/** A bad agent: announces the simulated device and answers its jobs with `answer(job)`, straight through BullMQ. */
async function forger(port: number, answer: (job: Job) => unknown): Promise<void> {
  const client = new Redis(port, '127.0.0.1');
  const a = { ...DEVICE, agentId: 'forger', host: 'evil', queue: QUEUE, done: 0 };
  await announce(client, 'hurricane', a);
  const beat = setInterval(() => void announce(client, 'hurricane', a).catch(() => {}), 1000);
  const worker = new Worker(QUEUE, async (job) => answer(job), { connection: { host: '127.0.0.1', port }, prefix: 'hurricane' });
  closers.push(async () => {
    clearInterval(beat);
    await worker.close(true);
    client.disconnect();
  });
}

describe('device farm trust: forged input, failed stores, corrupt blobs, stops without Redis', { timeout: 90_000 }, () => {
  it('a forged result sent raw through BullMQ is refused with one line naming its agent and never reaches the store', async () => {
    const redis = await startRedis();
    // a latency of 0.001 ms, with samples that say 3 ms: what poisoning the store would look like
    await forger(redis.port, () => ({ ...handResult('forger', new Date().toISOString()), medianMs: 0.001 }));
    const requester = project({ plugin: false, farm: { attempts: 1 } });
    const r = await runCli(['latency', '--arch', ARCH, '--farm', redis.url], requester);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      /^hurricane: 1 of 1 farm measurements failed on sim simulated device .*first: .*\.onnx: refused a result from agent "forger": it reports medianMs 0\.001 where its samples give 3 \(forged or corrupt\);/,
    );
    expect(networkRows(requester)).toBe(0);
  });

  it('with a farm key, a self-consistent unsigned result is refused, and an agent holding the key is believed', async () => {
    const redis = await startRedis();
    await forger(redis.port, () => handResult('forger', new Date().toISOString()));
    const requester = project({ plugin: false, farm: { attempts: 1 } });
    const key = { HURRICANE_FARM_KEY: 'lab-secret-1' };
    const forged = await runCli(['latency', '--arch', ARCH, '--farm', redis.url], requester, { env: key });
    expect(forged.code).toBe(1);
    expect(forged.stderr).toContain('refused an unsigned result from agent "forger": give the agent the farm key (HURRICANE_FARM_KEY)');
    expect(networkRows(requester)).toBe(0);
    for (const c of closers.splice(0)) await c(); // the forger leaves; its announcement expires
    const log = path.join(temp(), 'measured.log');
    await startAgent(project({ sim: { log } }), redis.url, [], key);
    const good = await runCli(['latency', '--arch', ARCH, '--farm', redis.url], requester, { env: key });
    expect(good.code, good.stderr).toBe(0);
    expect(networkRows(requester)).toBe(1);
    expect(measurementLog(log)).toHaveLength(1);
  });

  it('a malformed returnvalue fails its job with one line instead of hanging the requester', async () => {
    const redis = await startRedis();
    // nothing takes the job: the test writes its "result"
    const { client, queue } = await idleDevice(redis.port, 'broken');
    const run = spawnCli(['latency', '--arch', ARCH, '--farm', redis.url], project({ plugin: false, farm: { attempts: 1 } }));
    const job = await firstWaiting(queue, run);
    await client.hset(queue.toKey(String(job?.id)), 'finishedOn', Date.now(), 'returnvalue', '{"samplesMs": [1, 2');
    expect(await run.exited).toBe(1);
    expect(run.stderr().trim().split('\n').at(-1)).toMatch(/refused a malformed result from an unnamed agent/);
  });

  it('a store that cannot write stops the run with one line; the measurement stays in the farm and the next run stores it without measuring again', async () => {
    const redis = await startRedis();
    const log = path.join(temp(), 'measured.log');
    const agent = await startAgent(project({ sim: { log, delayMs: 500 } }), redis.url);
    const requester = project({ plugin: false });
    const run = spawnCli(['latency', '--arch', ARCH, '--farm', redis.url], requester);
    await agent.waitFor(/measuring [0-9a-f]{12}/);
    // another process holds the store's write lock (SQLITE_BUSY, as a locked or full disk makes it fail)
    const db = new Database(path.join(requester, '.hurricane', 'latency.sqlite'));
    db.exec('BEGIN EXCLUSIVE');
    try {
      expect(await run.exited).toBe(1);
    } finally {
      db.exec('ROLLBACK');
      db.close();
    }
    expect(run.stderr().trim().split('\n').at(-1)).toMatch(
      /^hurricane: could not store the measurement of .*\.onnx \(database is locked\); it stays in the farm: fix the store \(disk space, permissions\) and run again to collect it$/,
    );
    expect(networkRows(requester)).toBe(0);
    const again = await runCli(['latency', '--arch', ARCH, '--farm', redis.url], requester);
    expect(again.code, again.stderr).toBe(0);
    expect(networkRows(requester)).toBe(1);
    expect(measurementLog(log)).toHaveLength(1); // collected from the farm, not measured again
  });

  it('a corrupt model in Redis is deleted by the agent that refuses it, so the next upload replaces it instead of renewing it', async () => {
    const redis = await startRedis();
    const client = new Redis(redis.port, '127.0.0.1');
    closers.push(async () => client.disconnect());
    const model = Buffer.from('the real model bytes');
    const sha = sha256(model);
    const dir = temp();
    // same length, other bytes: the size check cannot tell
    await client.set(`hurricane:blob:${sha}`, Buffer.from('THE REAL MODEL BYTES'));
    const blobs = [{ sha, bytes: model.length }];
    expect(await putBlobs(client, 'hurricane', blobs, () => model)).toBe(0);
    const fetch = () => fetchBlob(client, 'hurricane', { sha, bytes: model.length, maxBytes: 1000, dir });
    await expect(fetch()).rejects.toThrow(/refused as corrupt or tampered/);
    expect(await client.exists(`hurricane:blob:${sha}`)).toBe(0);
    expect(await putBlobs(client, 'hurricane', blobs, () => model)).toBe(1);
    expect(path.basename(await fetch())).toBe(`${sha}.onnx`);
    // it lives an hour past its last renewal, not 7 days: Redis does not fill up with finished runs' models
    const ttl = await client.ttl(`hurricane:blob:${sha}`);
    expect(ttl).toBeGreaterThan(3500);
    expect(ttl).toBeLessThanOrEqual(3600);
    // a blob cut short is replaced at once (its length is checked on upload)
    await client.set(`hurricane:blob:${sha}`, model.subarray(0, 5));
    expect(await putBlobs(client, 'hurricane', blobs, () => model)).toBe(1);
    expect(await client.strlen(`hurricane:blob:${sha}`)).toBe(model.length);
  });

  it('a model changed on disk is never uploaded under its old hash: when Redis lost the job, the re-send stops with one line', async () => {
    const redis = await startRedis();
    const { client } = await idleDevice(redis.port, 'idle');
    const requester = project({ plugin: false, farm: { attempts: 1 } });
    const run = spawnCli(['latency', '--arch', ARCH, '--farm', redis.url], requester);
    await firstWaiting(new Queue(QUEUE, { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'hurricane' }), run);
    const dir = path.join(requester, '.hurricane', 'networks', 'mnist');
    const [file] = readdirSync(dir).filter((f) => f.endsWith('.onnx'));
    writeFileSync(path.join(dir, file as string), 'other bytes than the ones hashed');
    await redis.kill(); // no persistence: the job and the model are gone
    await redis.restart();
    await announce(client, 'hurricane', { ...DEVICE, agentId: 'idle', host: 'lab', queue: QUEUE, done: 0 }).catch(() => {});
    expect(await run.exited).toBe(1);
    expect(run.stderr().trim().split('\n').at(-1)).toMatch(
      /^hurricane: model .*\.onnx changed on disk while it was being measured: run again to measure the new one$/,
    );
  });

  it('Redis restarting empty between a model upload and the add of its jobs: the requester uploads the models again and every job completes', async () => {
    const redis = await startRedis();
    await startAgent(project({ sim: {} }), redis.url);
    const client = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE, { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'hurricane' });
    closers.push(async () => {
      await queue.close();
      client.disconnect();
    });
    // the race the CI run hit, made certain: the models went to the old Redis, the jobs reach the new one
    const addBulk = queue.addBulk.bind(queue);
    let restarted = false;
    queue.addBulk = async (jobs) => {
      if (!restarted) {
        restarted = true;
        await redis.kill();
        await redis.restart();
      }
      return addBulk(jobs);
    };
    const dir = temp();
    const jobs = [0, 1, 2].map((i) => {
      const file = path.join(dir, `m${i}.onnx`);
      writeFileSync(file, Buffer.alloc(100 + i, i));
      return { key: `k${i}`, model: { source: { path: file, inputShape: [1, 1, 28, 28] } } };
    });
    const lines: string[] = [];
    const farm = farmSchema.parse({ backoffMs: 50, timeoutMs: 60_000 });
    const request = new FarmRequest({
      url: redis.url,
      farm,
      env: {},
      log: (l) => lines.push(l),
      redis: client,
      queue,
      target: { ...DEVICE, queue: QUEUE },
      noAgent: () => new Error('no agent') as never,
    });
    const got: number[] = [];
    await request.run(jobs as never, (i) => got.push(i), {});
    expect(restarted).toBe(true);
    expect(got.sort()).toEqual([0, 1, 2]);
  });

  it('an idle agent stops on SIGTERM within its grace while Redis is down', async () => {
    const redis = await startRedis();
    const agent = await startAgent(project({ sim: {} }), redis.url, ['--grace', '1']);
    await redis.kill();
    agent.proc.kill('SIGTERM');
    const late = new Promise<string>((r) => setTimeout(() => r('still running after 15 s'), 15_000));
    expect(await Promise.race([agent.exited, late])).toBe(143);
  });
});
