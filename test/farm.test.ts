// The device farm with real processes: a real `redis-server` on a free port, agents and requesters
// as `hurricane` processes, simulated devices (test/fixtures/farm/sim-device.mjs). Each test makes
// its own Redis, so no state crosses tests; every process and folder is removed afterwards.
import { existsSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Job, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { queueName } from '../packages/core/src/farm/protocol.js';
import { scratch, makeCertificates, measurementLog, operatorRows, spawnCli, startAgent, startRedis, stopAll } from './farm-helpers.js';
import { runCli } from './helpers.js';

const { temp, project, removeAll } = scratch('hurricane-farm-');
afterEach(async () => {
  await stopAll();
});
afterAll(removeAll);

/** 20 operators of the mnist backbone: one network, one farm job. */
const ARCH = Array(20).fill('MB_3_1').join(',');
const OPERATORS = 256; // mnist: 8 distinct layer contexts × 32 operators

/** The requester's progress line of its 40th (or a later) stored result. */
const STORED_40 = /\[(4\d|[5-9]\d|1\d\d|2[0-5]\d)\/256\]/;

describe('device farm: agents and requesters through BullMQ on a real redis-server', { timeout: 90_000 }, () => {
  it('two agents fill the same latency store a local profile fills, each model measured once, with the agent in the provenance', async () => {
    const redis = await startRedis();
    const log = path.join(temp(), 'measured.log');
    const sim = { delayMs: 5, log };
    const [a, b] = [await startAgent(project({ sim }), redis.url), await startAgent(project({ sim }), redis.url)];
    const requester = project({ plugin: false });
    const r = await runCli(['profile', '--farm', redis.url], requester);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${OPERATORS} operator measurements, ${OPERATORS} new`);
    expect(r.stderr).toMatch(/farm: \d+\/256 done, \d+ in flight, \d+ queued · /);

    const local = project({ sim: {} });
    expect((await runCli(['profile'], local)).code).toBe(0);
    const farmRows = operatorRows(requester);
    const localRows = operatorRows(local);
    expect(farmRows.map((x) => [x.key, x.median])).toEqual(localRows.map((x) => [x.key, x.median]));
    expect(farmRows).toHaveLength(OPERATORS);
    // both agents worked, and the store says which one measured each row
    const agents = new Set(farmRows.map((x) => x.agent));
    expect(agents).toEqual(new Set([`${os.hostname()}:${a.pid}`, `${os.hostname()}:${b.pid}`]));
    const measured = measurementLog(log);
    expect(measured).toHaveLength(OPERATORS);
    expect(new Set(measured.map((m) => m.model)).size).toBe(OPERATORS);
    // the store a farm filled reduces the space like a local one
    expect((await runCli(['space', '--farm', redis.url], requester)).code).toBe(0);
    // a predictor data set through the farm: its noise-floor repeats are jobs of their own
    const before = measurementLog(log).length;
    const ds = await runCli(['predictor', 'dataset', '-n', '12', '--repeats', '3', '--farm', redis.url], requester);
    expect(ds.code, ds.stderr).toBe(0);
    expect(ds.stdout).toContain('15 new measurements');
    expect(measurementLog(log).length - before).toBe(15);
  });

  it("two device kinds served by two agents: one requester with two targets fills both targets' stores, each kind by its own agent", async () => {
    const redis = await startRedis();
    const kinds = { fast: { adapter: 'sim', fingerprint: 'sim-fast' }, slow: { adapter: 'sim', fingerprint: 'sim-slow', runtimeScale: 2 } };
    const a = await startAgent(project({ targets: kinds }), redis.url, ['--serve', 'fast']);
    const b = await startAgent(project({ targets: kinds }), redis.url, ['--serve', 'slow']);
    const requester = project({
      plugin: false,
      targets: { fast: { adapter: 'sim', farmDevice: 'sim-fast' }, slow: { adapter: 'sim', farmDevice: 'sim-slow' } },
    });
    const r = await runCli(['profile', '--farm', redis.url], requester);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.match(/256 operator measurements, 256 new/g)).toHaveLength(2);
    const rows = operatorRows(requester);
    const of = (fp: string) => new Map(rows.filter((x) => x.key.split('|')[1] === fp).map((x) => [x.key.split('|').slice(3).join('|'), x]));
    const [fast, slow] = [of('sim-fast'), of('sim-slow')];
    expect([fast.size, slow.size, rows.length]).toEqual([OPERATORS, OPERATORS, 2 * OPERATORS]);
    // each kind measured by the agent serving it, with that target's options (twice the latency)
    expect(new Set([...fast.values()].map((x) => x.agent))).toEqual(new Set([`${os.hostname()}:${a.pid}`]));
    expect(new Set([...slow.values()].map((x) => x.agent))).toEqual(new Set([`${os.hostname()}:${b.pid}`]));
    for (const [k, x] of fast) expect(slow.get(k)?.median).toBeCloseTo(2 * x.median, 12);
    const space = await runCli(['space', '--json', '--farm', redis.url], requester);
    expect(space.code, space.stderr).toBe(0);
    const spaces = JSON.parse(space.stdout) as Record<string, { deviceFingerprint: string }>;
    expect([spaces.fast?.deviceFingerprint, spaces.slow?.deviceFingerprint]).toEqual(['sim-fast', 'sim-slow']);
  });

  it('an agent names what is wrong with its command line or its host in one line', async () => {
    const dir = project({});
    const none = await runCli(['agent'], dir);
    expect([none.code, none.stderr.trim()]).toEqual([
      2,
      "hurricane: 'hurricane agent' needs the farm's Redis: give --farm redis://host:6379 (or rediss:// for TLS), or farm.url in the config",
    ]);
    const serve = await runCli(['agent', '--farm', 'redis://127.0.0.1:1', '--serve', 'simm'], dir);
    expect([serve.code, serve.stderr.trim()]).toEqual([
      2,
      "hurricane: --serve 'simm' is not an installed adapter — did you mean 'sim'?; available: sim",
    ]);
    const down = await runCli(['agent', '--farm', 'redis://127.0.0.1:1'], dir);
    expect(down.code).toBe(1);
    expect(down.stderr.trim()).toMatch(
      /^hurricane: cannot reach the farm's Redis at redis:\/\/127\.0\.0\.1:1 \(connect ECONNREFUSED[^)]*\): start redis-server there or fix farm\.url \/ --farm$/,
    );
  });

  it('an agent SIGKILLed mid-measurement: another agent takes its job over once the lock expires, and it is stored once', async () => {
    const redis = await startRedis();
    const log = path.join(temp(), 'measured.log');
    // A's measurements take long enough that the kill surely lands inside one, however late its
    // `measuring` line reaches this process on a loaded machine
    const a = await startAgent(project({ sim: { delayMs: 600, log } }), redis.url);
    // A's short lock (2 s) makes the takeover quick; B's long one keeps B's own jobs from expiring
    // while a loaded machine stalls it (a job whose lock expires is measured again: at least once)
    const b = await startAgent(project({ sim: { delayMs: 40, log }, farm: { lockMs: 30_000 } }), redis.url);
    const requester = project({ plugin: false });
    const run = spawnCli(['profile', '--farm', redis.url], requester);
    await a.waitUntil((t) => (t.match(/measured [0-9a-f]{12}/g) ?? []).length >= 3);
    // kill A while it measures: its last line is a `measuring` line
    let sha = '';
    await a.waitUntil((t) => {
      const m = (t.trim().split('\n').at(-1) ?? '').match(/measuring ([0-9a-f]{12})/);
      if (m?.[1]) sha = m[1];
      return m !== null;
    });
    a.proc.kill('SIGKILL');
    expect(await run.exited, run.stderr()).toBe(0);
    const rows = operatorRows(requester);
    expect(rows).toHaveLength(OPERATORS);
    const measured = measurementLog(log);
    expect(new Set(measured.map((m) => m.model)).size).toBe(OPERATORS);
    // Stored exactly once each (above); measured at least once. A job A had measured but not yet
    // reported to Redis when it died (its `measuring` line for the next job can come first) is
    // measured again by B: at most that one, A then B.
    const times = new Map<string, number[]>();
    for (const m of measured) times.set(m.model, [...(times.get(m.model) ?? []), m.pid]);
    const twice = [...times.values()].filter((pids) => pids.length > 1);
    expect(twice.length).toBeLessThanOrEqual(1);
    for (const pids of twice) expect(pids).toEqual([a.pid, b.pid]);
    // the job A was measuring when it died was never finished by A: B measured it, once
    const taken = measured.filter((m) => m.model.startsWith(sha));
    expect(taken).toEqual([expect.objectContaining({ pid: b.pid })]);
    expect(b.stderr()).toContain(`measured ${sha}`);
  });

  it('a requester killed and restarted re-attaches to its jobs: nothing is enqueued or measured twice', async () => {
    const redis = await startRedis();
    const log = path.join(temp(), 'measured.log');
    // a lock longer than the agent's pause below, so that its job in measurement is not taken as stalled
    const agent = await startAgent(project({ sim: { delayMs: 15, log }, farm: { lockMs: 30_000 } }), redis.url);
    const requester = project({ plugin: false });
    const first = spawnCli(['profile', '--farm', redis.url], requester);
    await first.waitFor(STORED_40); // the progress line comes once the result is stored
    first.proc.kill('SIGKILL');
    await first.exited;
    const before = operatorRows(requester).length;
    // the agent goes on measuring the queued jobs meanwhile: wait for five more of them, then pause it
    // (SIGSTOP) so that the rest stay queued until the new requester has found them
    const measuredLines = (t: string) => (t.match(/measured [0-9a-f]{12}/g) ?? []).length;
    const sofar = measuredLines(agent.stderr());
    await agent.waitUntil((t) => measuredLines(t) >= sofar + 5);
    agent.proc.kill('SIGSTOP');
    const second = spawnCli(['profile', '--json', '--farm', redis.url], requester);
    try {
      await second.waitFor(/re-attached to [1-9]\d* farm jobs/);
    } finally {
      agent.proc.kill('SIGCONT');
    }
    expect(await second.exited, second.stderr()).toBe(0);
    const summary = JSON.parse(second.stdout());
    expect(summary).toMatchObject({ measured: OPERATORS - before, reused: before });
    expect(operatorRows(requester)).toHaveLength(OPERATORS);
    const measured = measurementLog(log);
    expect(measured).toHaveLength(OPERATORS);
    expect(new Set(measured.map((m) => m.model)).size).toBe(OPERATORS);
  });

  it('a Redis restart loses no stored result: lost jobs are sent again and the run completes', async () => {
    const redis = await startRedis();
    await startAgent(project({ sim: { delayMs: 15 } }), redis.url);
    const requester = project({ plugin: false });
    const run = spawnCli(['profile', '--farm', redis.url], requester);
    await run.waitFor(STORED_40);
    await redis.kill();
    const stored = operatorRows(requester);
    await redis.restart(); // empty: no persistence
    expect(await run.exited, run.stderr()).toBe(0);
    expect(run.stderr()).toMatch(/farm jobs were lost by Redis \(restarted\?\): sending them again/);
    const after = operatorRows(requester);
    expect(after).toHaveLength(OPERATORS);
    // every result stored before the restart is still there, unchanged (not measured again)
    const byKey = new Map(after.map((x) => [x.key, x]));
    for (const s of stored) expect(byKey.get(s.key)).toEqual(s);
  });

  it('a device error is retried with backoff; after farm.attempts tries the run fails with the adapter error', async () => {
    const redis = await startRedis();
    const flaky = await startAgent(project({ sim: { failFirst: 2 } }), redis.url);
    const ok = await runCli(
      ['latency', '--arch', ARCH, '--farm', redis.url],
      project({ plugin: false, farm: { attempts: 3, backoffMs: 100 } }),
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(flaky.stderr()).toMatch(/failed [0-9a-f]{12} on sim \(try 1 of 3\): device busy \(simulated failure 1 of 2\)/);
    expect(flaky.stderr()).toMatch(/failed [0-9a-f]{12} on sim \(try 2 of 3\): device busy/);
    expect(flaky.stderr()).toMatch(/measuring [0-9a-f]{12} on sim \(try 3 of 3\)/);
    flaky.proc.kill('SIGKILL');

    const broken = await startAgent(project({ sim: { failFirst: 1000 } }), redis.url);
    const started = Date.now();
    const bad = await runCli(
      ['latency', '--arch', ARCH, '--farm', redis.url],
      project({ plugin: false, farm: { attempts: 2, backoffMs: 300 } }),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n').at(-1)).toMatch(
      /1 of 1 farm measurements failed on sim simulated device after 2 tries; first: .*device busy \(simulated failure 2 of 1000\)/,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(300); // the backoff was waited
    expect(broken.stderr().match(/measuring /g)).toHaveLength(2); // bounded: two tries, no more
  });

  it('a job no agent can serve fails after farm.timeoutMs, naming the device wanted and the devices available', async () => {
    const redis = await startRedis();
    const agent = await startAgent(project({ sim: { fingerprint: 'sim-A', device: 'board A' } }), redis.url);
    const r = await runCli(
      ['latency', '--arch', ARCH, '--farm', redis.url],
      project({ plugin: false, farm: { device: 'sim-B', timeoutMs: 1500 } }),
    );
    expect(r.code).toBe(1);
    const line = r.stderr.trim().split('\n').at(-1) ?? '';
    expect(line).toContain("no farm agent serves sim with device 'sim-B' (waited 2 s)");
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain(`sim board A (fingerprint sim-A, runtime 1) on ${os.hostname()}:${agent.pid}`);
    // two kinds of device for one adapter: the run asks which (config error, exit 2)
    await startAgent(project({ sim: { fingerprint: 'sim-B', device: 'board B' } }), redis.url);
    const which = await runCli(['latency', '--arch', ARCH, '--farm', redis.url], project({ plugin: false }));
    expect([which.code, which.stderr.trim().split('\n').length]).toEqual([2, 1]);
    expect(which.stderr).toContain(
      'the farm has 2 kinds of sim device: sim board A (fingerprint sim-A, runtime 1); sim board B (fingerprint sim-B, runtime 1): set farm.device to one fingerprint',
    );
  });

  it('an agent refuses, before any tool runs and without retries, jobs that fail the schema, ask for another device, or carry a bad model; a missing model is retried (a requester re-uploads it)', async () => {
    const redis = await startRedis();
    const log = path.join(temp(), 'measured.log');
    const agentDir = project({ sim: { log }, farm: { maxModelMiB: 0.01 } });
    await startAgent(agentDir, redis.url);
    const device = { adapterId: 'sim', deviceFingerprint: 'sim-1', runtimeVersion: '1' };
    const queue = new Queue(queueName(device), { connection: { host: '127.0.0.1', port: redis.port }, prefix: 'hurricane' });
    const client = new Redis(redis.port, '127.0.0.1');
    try {
      const good = { v: 1, ...device, model: { sha256: 'a'.repeat(64), bytes: 100, inputShape: [1, 1, 28, 28] }, measure: {} };
      const tampered = Buffer.from('not the model the hash names');
      await client.set(`hurricane:blob:${'b'.repeat(64)}`, tampered);
      const cases: [string, unknown, RegExp][] = [
        ['command', { ...good, command: 'rm -rf /' }, /job refused: Unrecognized key: "command"/],
        [
          'path',
          { ...good, model: { ...good.model, sha256: '../../../../etc/passwd' } },
          /job refused: model.sha256: a SHA-256 in lower-case hex/,
        ],
        ['device', { ...good, deviceFingerprint: 'someone-else' }, /job refused: it asks for sim someone-else/],
        [
          'size',
          { ...good, model: { ...good.model, bytes: 20_000 } },
          /is 0\.0 MiB, over this agent's farm\.maxModelMiB|over this agent's farm\.maxModelMiB/,
        ],
        [
          'hash',
          { ...good, model: { ...good.model, sha256: 'b'.repeat(64), bytes: tampered.length } },
          /hashes to [0-9a-f]{12} .*refused as corrupt or tampered/,
        ],
      ];
      const missing: [string, unknown, RegExp] = ['missing', good, /is not in the farm's Redis/];
      cases.push(missing);
      for (const [id, data] of cases) await queue.add('measure', data, { jobId: id, attempts: 3, backoff: { type: 'fixed', delay: 10 } });
      for (const [id, , reason] of cases) {
        let job: Job | undefined;
        for (let i = 0; i < 400; i++) {
          job = await Job.fromId(queue, id);
          if (job?.finishedOn) break;
          await new Promise((r) => setTimeout(r, 25));
        }
        expect(await job?.getState(), id).toBe('failed');
        expect(job?.failedReason, id).toMatch(reason);
        // unrecoverable: not retried; a missing model may come with the requester's next upload
        expect(job?.attemptsMade, id).toBe(id === 'missing' ? 3 : 1);
      }
      expect(measurementLog(log)).toEqual([]); // the device never ran
      const work = path.join(agentDir, '.hurricane');
      const agentFiles = existsSync(work) ? readdirSync(work, { recursive: true }).map(String) : [];
      expect(agentFiles.filter((f) => !f.startsWith('agent'))).toEqual([]); // nothing written outside the agent's folder
    } finally {
      await queue.close();
      client.disconnect();
    }
  });

  it('TLS with a private CA and a password: rediss:// works end to end; a wrong password is one line, exit 1', async () => {
    const certs = makeCertificates(temp());
    const redis = await startRedis({
      tls: true,
      extra: [
        '--tls-cert-file',
        certs.cert,
        '--tls-key-file',
        certs.key,
        '--tls-ca-cert-file',
        certs.ca,
        '--tls-auth-clients',
        'no',
        '--requirepass',
        's3cret',
      ],
    });
    const url = `rediss://localhost:${redis.port}`;
    const env = { HURRICANE_FARM_PASSWORD: 's3cret' };
    await startAgent(project({ farm: { caFile: certs.ca } }), url, [], env);
    const r = await runCli(['latency', '--arch', ARCH, '--farm', url, '--json'], project({ plugin: false, farm: { caFile: certs.ca } }), {
      env,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).provenance.agent.host).toBe(os.hostname());

    const wrong = await runCli(
      ['latency', '--arch', ARCH, '--farm', `rediss://:nope@localhost:${redis.port}`],
      project({ plugin: false, farm: { caFile: certs.ca } }),
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr.trim().split('\n')).toHaveLength(1);
    expect(wrong.stderr).toMatch(/the farm's Redis at rediss:\/\/:\*\*\*@localhost:\d+ refused the credentials .*HURRICANE_FARM_PASSWORD/);
    expect(wrong.stderr).not.toContain('nope');
    const noCa = await runCli(['latency', '--arch', ARCH, '--farm', url], project({ plugin: false }), { env });
    expect(noCa.code).toBe(1);
    expect(noCa.stderr).toMatch(/cannot open a TLS connection to the farm's Redis .*farm\.caFile/);
  });

  it('Ctrl-C on an agent hands its job back after --grace; another agent measures it', async () => {
    const redis = await startRedis();
    const log = path.join(temp(), 'measured.log');
    const slow = await startAgent(project({ sim: { delayMs: 60_000, log } }), redis.url, ['--grace', '0.3']);
    const requesterDir = project({ plugin: false, farm: { timeoutMs: 5000 } });
    const requester = spawnCli(['latency', '--arch', ARCH, '--farm', redis.url], requesterDir);
    await slow.waitFor(/measuring [0-9a-f]{12}/);
    slow.proc.kill('SIGINT');
    await slow.waitFor(/handed [0-9a-f]{12} back to the queue/);
    expect(await slow.exited).toBe(130);
    expect(slow.stderr()).toContain(
      'hurricane: SIGINT: stopping the agent: no new jobs; the job in measurement finishes, or goes back to the queue after 0.3 s',
    );
    const fast = await startAgent(project({ sim: { log } }), redis.url);
    expect(await requester.exited, requester.stderr()).toBe(0);
    expect(measurementLog(log)).toEqual([expect.objectContaining({ pid: fast.pid })]);

    // with every agent gone, the project still names the device it used; the job waits, then fails naming it
    fast.proc.kill('SIGINT');
    expect(await fast.exited).toBe(130);
    const alone = await runCli(['latency', '--arch', ARCH, '--farm', redis.url], requesterDir);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain(
      'no farm agent serves sim simulated device (fingerprint sim-1, runtime 1) right now; using it as this project did last time',
    );
    expect(alone.stderr.trim().split('\n').at(-1)).toMatch(
      /no farm agent serves sim simulated device \(fingerprint sim-1, runtime 1\) \(waited 5 s\); the farm's devices: none \(no agent is running\)/,
    );
  });
});
