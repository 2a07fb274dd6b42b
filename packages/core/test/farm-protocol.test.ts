// The device farm's pure parts, without Redis: Redis URLs (password, database, TLS), the job
// schema that keeps paths and commands out of jobs, job ids (a restarted requester re-attaches),
// result checks, and the `farm` config block with its `--farm` flag.
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/resolve.js';
import { ConfigError, ExitCode } from '../src/errors.js';
import { PASSWORD_ENV, redactUrl, redisOptions } from '../src/farm/connection.js';
import { checkResult, signResult, jobId, jobSchema, queueName } from '../src/farm/protocol.js';
import { handResult } from '../../../test/farm-helpers.js';
import { makeProject } from '../../../test/helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const error = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('did not throw');
};

describe('farm Redis URLs', () => {
  it('reads host, port, database, user and password (URL-decoded) from redis:// and turns TLS on for rediss://', () => {
    const plain = redisOptions('redis://lab-redis:6380/2', {});
    expect(plain).toMatchObject({ host: 'lab-redis', port: 6380, db: 2, maxRetriesPerRequest: null });
    expect(plain.password).toBeUndefined();
    expect(plain.tls).toBeUndefined();
    const tls = redisOptions('rediss://farm:p%40ss%3Aword@10.0.0.5', {});
    expect(tls).toMatchObject({
      host: '10.0.0.5',
      port: 6379,
      db: 0,
      username: 'farm',
      password: 'p@ss:word',
      tls: { servername: '10.0.0.5' },
    });
  });

  it(`takes the password from ${PASSWORD_ENV} when the URL has none, and the URL's when both do`, () => {
    expect(redisOptions('redis://h:1', { env: { [PASSWORD_ENV]: 'from-env' } }).password).toBe('from-env');
    expect(redisOptions('redis://:in-url@h:1', { env: { [PASSWORD_ENV]: 'from-env' } }).password).toBe('in-url');
  });

  it('refuses a non-Redis URL, a bad database, and a CA file without TLS or unreadable, each as a config error (exit 2)', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => redisOptions('http://h:6379', {}), /must start with redis:\/\/ or rediss:\/\//],
      [() => redisOptions('redis://h:6379/x', {}), /the database 'x' must be a number/],
      [() => redisOptions('redis://h:6379', { caFile: '/ca.pem' }), /farm\.caFile is set but the farm URL .* is not TLS: use rediss:\/\//],
      [
        () => redisOptions('rediss://h:6379', { caFile: '/nonexistent/ca.pem' }),
        /farm\.caFile \/nonexistent\/ca\.pem cannot be read \(ENOENT\)/,
      ],
    ];
    for (const [f, re] of cases) {
      const e = error(f);
      expect(e).toBeInstanceOf(ConfigError);
      expect((e as ConfigError).exitCode).toBe(ExitCode.BadUsage);
      expect(e.message).toMatch(re);
    }
  });

  it('hides the password in messages', () => {
    expect(redactUrl('rediss://user:secret@h:6380/1')).toBe('rediss://user:***@h:6380/1');
    expect(redactUrl('redis://:secret@h')).toBe('redis://:***@h');
    expect(redactUrl('redis://h:6379')).toBe('redis://h:6379');
    // a password with '@' in it (the URL parser splits at the last '@'): hidden whole
    expect(redactUrl('redis://:p@ss@host:6379/0')).toBe('redis://:***@host:6379/0');
    expect(redactUrl('rediss://u:a@b@c@host')).toBe('rediss://u:***@host');
  });

  it('a farm.url the schema refuses is quoted without its password', async () => {
    const dir = makeProject({ 'hurricane.config.json': JSON.stringify({ plugins: [], farm: { url: 'redis://:s3cret@bad host' } }) });
    dirs.push(dir);
    const e = (await resolveConfig({ cwd: dir }).catch((err: unknown) => err)) as ConfigError;
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toContain('farm.url');
    expect(`${e.message} ${e.details.join(' ')}`).not.toContain('s3cret');
  });
});

describe('farm jobs', () => {
  const good = {
    v: 1,
    adapterId: 'snpe-dsp',
    deviceFingerprint: 'R5CT1234 SM8450 V69',
    runtimeVersion: '2.10.0',
    model: { sha256: 'ab'.repeat(32), bytes: 1234, inputShape: [1, 3, 32, 32] },
    measure: { minRuns: 20 },
  };

  it('accept an adapter, a device and a model hash, and nothing that could be a path or a command', () => {
    expect(jobSchema.safeParse(good).success).toBe(true);
    const bad: unknown[] = [
      { ...good, command: ['sh', '-c', 'rm -rf /'] },
      { ...good, model: { ...good.model, path: '/etc/passwd' } },
      { ...good, model: { ...good.model, sha256: '../../etc/passwd' } },
      { ...good, model: { ...good.model, sha256: 'AB'.repeat(32) } },
      { ...good, adapterId: 'snpe-dsp; reboot' },
      { ...good, model: { ...good.model, inputShape: [1, -3, 32, 32] } },
      { ...good, measure: { minRuns: 20, args: '--perf_profile burst' } },
      { ...good, v: 2 },
    ];
    for (const b of bad) expect(jobSchema.safeParse(b).success, JSON.stringify(b)).toBe(false);
  });

  it('have ids that depend on key, model and options (not on the options’ order), so a restart finds the same job', () => {
    const sha = 'cd'.repeat(32);
    expect(jobId('k', sha, { minRuns: 5, maxRuns: 9 })).toBe(jobId('k', sha, { maxRuns: 9, minRuns: 5 }));
    const ids = new Set([jobId('k', sha, {}), jobId('k2', sha, {}), jobId('k', 'ef'.repeat(32), {}), jobId('k', sha, { minRuns: 5 })]);
    expect(ids.size).toBe(4);
    expect(jobId('k', sha, {})).toMatch(/^[0-9a-f]{40}$/);
  });

  it('go to one queue per adapter, fingerprint and runtime version', () => {
    const d = { adapterId: 'openvino', deviceFingerprint: 'MYRIAD 1.2', runtimeVersion: '2022.1' };
    expect(queueName(d)).toBe(queueName({ ...d }));
    expect(queueName(d)).toMatch(/^measure-[0-9a-f]{16}$/);
    expect(queueName({ ...d, runtimeVersion: '2022.3' })).not.toBe(queueName(d));
    expect(queueName({ ...d, deviceFingerprint: 'MYRIAD 1.3' })).not.toBe(queueName(d));
  });

  it('refuse inputs, timeouts and run counts that could exhaust an agent or hold its device for long', () => {
    const over: unknown[] = [
      { ...good, model: { ...good.model, inputShape: [1, 16384, 16384] } }, // 2^28 values: 1 GiB of float32
      { ...good, measure: { timeoutMs: 86_400_000 } },
      { ...good, measure: { minRuns: 100_000 } },
      { ...good, measure: { warmupRuns: 50_000 } },
    ];
    for (const b of over) expect(jobSchema.safeParse(b).success, JSON.stringify(b)).toBe(false);
    expect(jobSchema.safeParse({ ...good, model: { ...good.model, inputShape: [1, 3, 2048, 2048] } }).success).toBe(true);
  });
});

describe('farm results', () => {
  const want = { adapterId: 'sim', device: 'simulated device', runtime: 'sim', runtimeVersion: '1', deviceFingerprint: 'sim-1' };
  const m = handResult('lab:1');
  const provenance = m.provenance;
  const bound = { jobId: 'j1', sha256: 'ab'.repeat(32) };

  it('accept a measurement of the device asked for whose statistics its samples give', () => {
    expect(checkResult(m, want, bound)).toMatchObject({ ok: true, m: { medianMs: 3 } });
    expect(checkResult({ ...m, provenance: { ...provenance, deviceFingerprint: 'g' } }, want, bound)).toMatchObject({
      ok: false,
      why: 'refused a result from agent "lab:1": it is from sim "g" (runtime "1"), not the device asked for',
    });
  });

  it('refuse, naming the agent, statistics the samples contradict (a forged median), absurd values, unknown keys and unbounded arrays', () => {
    const refused = (v: unknown) => {
      const r = checkResult(v, want, bound);
      expect(r.ok, JSON.stringify(v).slice(0, 200)).toBe(false);
      return r.ok ? '' : r.why;
    };
    expect(refused({ ...m, medianMs: 0.001 })).toBe(
      'refused a result from agent "lab:1": it reports medianMs 0.001 where its samples give 3 (forged or corrupt)',
    );
    expect(refused({ ...m, outlierIndices: [4] })).toMatch(/outlier indices that its samples do not give/);
    expect(refused({ ...m, samplesMs: [1, 2, 3, 4, 1e9] })).toMatch(/^refused a malformed result from agent "lab:1" \(samplesMs\.4: /);
    expect(refused({ ...m, medianMs: Number.NaN })).toMatch(/^refused a malformed result from agent "lab:1" \(medianMs: /);
    expect(refused({ ...m, extra: { evil: true } })).toMatch(/malformed result .*extra/);
    expect(refused({ ...m, provenance: { ...provenance, sql: 'x' } })).toMatch(/malformed result .*sql/);
    expect(refused({ ...m, samplesMs: new Array(20_000).fill(1) })).toMatch(/samplesMs/);
    expect(refused({ ...m, provenance: { ...provenance, device: 'x'.repeat(10_000) } })).toMatch(/provenance\.device/);
    expect(refused({ ...m, provenance: { ...provenance, agent: undefined } })).toMatch(/^refused a malformed result from an unnamed agent/);
    expect(refused({ malformed: 'not JSON: {' })).toMatch(/^refused a malformed result from an unnamed agent/);
  });

  it("carry a measurement's fallen-back layers and conditions through to the requester, bounded (an agent's SNPE DSP run with CPU layers)", () => {
    const fallback = { to: 'CPU', layers: ['1', '7: conv/Relu'] };
    const conditions = { cores: 8, loadAverage: [0.5, 2.75], governor: 'schedutil', frequencyMHz: [1800, 1700], flags: ['load'] };
    expect(checkResult({ ...m, fallback, conditions }, want, bound)).toMatchObject({ ok: true, m: { fallback, conditions } });
    const odd = checkResult({ ...m, conditions: { ...conditions, flags: ['cosmic rays'] } }, want, bound);
    expect(odd.ok ? '' : odd.why).toMatch(/\(conditions\.flags\.0: /);
    const r = checkResult({ ...m, fallback: { to: 'CPU', layers: new Array(5000).fill('1') } }, want, bound);
    expect(r.ok ? '' : r.why).toMatch(/^refused a malformed result from agent "lab:1" \(fallback\.layers: /);
  });

  it('with a farm key, accept only results signed for this job and model: unsigned, re-signed or replayed ones are refused', () => {
    const key = 'farm-secret';
    const signed = { ...m, signature: signResult(m, bound, key) };
    expect(checkResult(signed, want, bound, key)).toMatchObject({ ok: true });
    expect(checkResult(m, want, bound, key)).toMatchObject({
      ok: false,
      why: expect.stringMatching(/^refused an unsigned result from agent "lab:1": give the agent the farm key \(HURRICANE_FARM_KEY\)$/),
    });
    expect(
      checkResult({ ...signed, samplesMs: [1, 2, 3, 4, 6], meanMs: 3.2, p90Ms: 5.2, cov: Math.sqrt(3.7) / 3.2 }, want, bound, key),
    ).toMatchObject({
      ok: false,
      why: expect.stringMatching(/its signature does not match/),
    });
    expect(checkResult(signed, want, { ...bound, jobId: 'j2' }, key)).toMatchObject({
      ok: false,
      why: expect.stringMatching(/its signature does not match/),
    });
    expect(checkResult({ ...m, signature: signResult(m, bound, 'another key') }, want, bound, key)).toMatchObject({ ok: false });
  });
});

describe('the farm config block', () => {
  it('--farm sets farm.url (shown without its password in hints) over the file, with the defaults kept', async () => {
    const dir = makeProject({ 'hurricane.config.json': JSON.stringify({ plugins: [], farm: { url: 'redis://file:1', attempts: 5 } }) });
    dirs.push(dir);
    const c = await resolveConfig({ cwd: dir, overrides: { farm: 'redis://:pw@flag:2' } });
    expect(c.core.farm).toMatchObject({ url: 'redis://:pw@flag:2', attempts: 5, timeoutMs: 120_000, prefix: 'hurricane' });
    expect(c.sources.get('farm.url')).toEqual({ kind: 'flag', flag: '--farm' });
    expect(c.commandLine).toEqual(['--farm', "'redis://:***@flag:2'"]);
  });

  it('a bad farm URL or key in the file is one config error naming it', async () => {
    const dir = makeProject({ 'hurricane.config.json': JSON.stringify({ plugins: [], farm: { url: 'http://x', atempts: 3 } }) });
    dirs.push(dir);
    const e = await resolveConfig({ cwd: dir }).catch((err: unknown) => err as ConfigError);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message).toMatch(/'farm\.url': a Redis URL such as redis:\/\/localhost:6379 .*found the string "http:\/\/x"/);
    expect((e as ConfigError).details.join('\n')).toMatch(/unknown key 'farm\.atempts'.*did you mean 'attempts'/);
    writeFileSync(path.join(dir, 'hurricane.config.json'), JSON.stringify({ plugins: [], farm: { url: 'redis://x' } }));
    await expect(resolveConfig({ cwd: dir })).resolves.toBeTruthy();
  });
});
