// Helpers of the device-farm tests: a real `redis-server` on a free local port, agent and
// requester processes of the real CLI, a simulated-device project, and reading the latency store.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { CLI, REPO, makeProject, pkgDir } from './helpers.js';
import { textOf } from './events.js';

/** The simulated-device plugin (test/fixtures/farm/sim-device.mjs). */
export const SIM_DEVICE = path.join(REPO, 'test/fixtures/farm/sim-device.mjs');

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A running `redis-server` (no persistence: a restart starts empty, the worst case for the farm). */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  /** SIGKILLs the server and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and arguments. */
  restart(): Promise<void>;
}

function redisBinary(): string {
  try {
    return execFileSync('which', ['redis-server'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error(
      "redis-server is not installed: the device-farm tests need a real Redis ('apt-get install redis-server'; .ci/run installs it)",
    );
  }
}

/** Starts `redis-server` on a free port; `extra` adds arguments (e.g. TLS, requirepass). `tls` listens with TLS only. */
export async function startRedis(o: { extra?: string[]; tls?: boolean } = {}): Promise<RedisServer> {
  const bin = redisBinary();
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hurricane-redis-'));
  const args = [
    ...(o.tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)]),
    ...['--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...(o.extra ?? [])],
  ];
  let proc: ChildProcess;
  const start = async () => {
    proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    // redis-server says so on stdout once it accepts connections
    await textOf(proc.stdout).until(/Ready to accept connections/, 10_000);
  };
  await start();
  const kill = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await gone;
  };
  servers.push({ kill });
  return { port, url: `${o.tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`, kill, restart: start };
}
const servers: { kill: () => Promise<void> }[] = [];

/** A process of the CLI with its output collected, for agents and requesters. */
export interface CliProcess {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Everything it printed on stderr so far. */
  stderr(): string;
  stdout(): string;
  /** Resolves with the exit code (or 128 + signal number). */
  readonly exited: Promise<number>;
  /** Waits until stderr matches `re` (the match), or fails after `timeoutMs` (or the exit) with the output so far. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Waits until `cond` holds of everything on stderr so far, checked as each chunk arrives. */
  waitUntil(cond: (stderr: string) => boolean, timeoutMs?: number): Promise<void>;
}

const procs: CliProcess[] = [];

/** Spawns `hurricane <args>` in `cwd` (env added to this process's). */
export function spawnCli(args: readonly string[], cwd: string, env: Record<string, string> = {}): CliProcess {
  const proc = spawn(process.execPath, [CLI, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const err = textOf(proc.stderr);
  let out = '';
  proc.stdout?.on('data', (d) => (out += d));
  const signals: Record<string, number> = { SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };
  const exited = new Promise<number>((resolve) =>
    proc.on('exit', (code, signal) => resolve(code ?? 128 + (signal ? (signals[signal] ?? 0) : 0))),
  );
  const p: CliProcess = {
    proc,
    pid: proc.pid ?? -1,
    stderr: () => err.text(),
    stdout: () => out,
    exited,
    async waitFor(re, timeoutMs = 30_000) {
      const text = await err.until(re, timeoutMs).catch((e: Error) => {
        throw new Error(`'hurricane ${args.join(' ')}' (exit ${proc.exitCode}): ${e.message}`);
      });
      return text.match(re) as RegExpMatchArray;
    },
    async waitUntil(cond, timeoutMs = 30_000) {
      await err.until(cond, timeoutMs).catch((e: Error) => {
        throw new Error(`'hurricane ${args.join(' ')}' (exit ${proc.exitCode}): ${e.message}`);
      });
    },
  };
  procs.push(p);
  return p;
}

/** Starts an agent in `project` on the farm and waits until it serves. */
export async function startAgent(
  project: string,
  url: string,
  extra: string[] = [],
  env: Record<string, string> = {},
): Promise<CliProcess> {
  const a = spawnCli(['agent', '--farm', url, ...extra], project, env);
  await a.waitFor(/ready with \d+ device/);
  return a;
}

/** SIGKILLs every process and server the helpers started (afterEach/afterAll). */
export async function stopAll(): Promise<void> {
  for (const p of procs.splice(0)) {
    if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    await p.exited;
  }
  for (const s of servers.splice(0)) await s.kill();
}

/**
 * A project with the simulated device (`sim`, preset mnist): `sim` are the plugin's options,
 * `farm` the farm block, `targets` named targets instead of `hardware: 'sim'`. `plugin: false`
 * makes a requester that has no device plugin at all.
 */
export function farmProject(
  o: { sim?: Record<string, unknown>; farm?: Record<string, unknown>; plugin?: boolean; targets?: Record<string, unknown> } = {},
): string {
  const config = {
    plugins: o.plugin === false ? [] : [SIM_DEVICE],
    ...(o.targets ? { targets: o.targets } : { hardware: 'sim' }),
    preset: 'mnist',
    ...(o.plugin === false ? {} : { simDevice: o.sim ?? {} }),
    farm: { lockMs: 2000, stalledCheckMs: 500, ...(o.farm ?? {}) },
  };
  return makeProject({ 'hurricane.config.json': JSON.stringify(config) }, { '@hurricane/core': pkgDir('core') });
}

/** Rows of the project's operator-latency table: key, median, and the agent that measured it. */
export function operatorRows(project: string): { key: string; median: number; agent: string | null; measuredAt: string }[] {
  const file = path.join(project, '.hurricane', 'latency.sqlite');
  if (!existsSync(file)) return [];
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    if (!db.prepare("SELECT name FROM sqlite_master WHERE name = 'operator_latency'").get()) return [];
    const rows = db
      .prepare(
        'SELECT adapter_id, device_fingerprint, runtime_version, operator, context_id, median_ms, measurement, measured_at FROM operator_latency ORDER BY context_id, operator',
      )
      .all() as Record<string, string | number>[];
    return rows.map((r) => ({
      key: [r.adapter_id, r.device_fingerprint, r.runtime_version, r.operator, r.context_id].join('|'),
      median: r.median_ms as number,
      agent: (JSON.parse(r.measurement as string) as { provenance: { agent?: { id: string } } }).provenance.agent?.id ?? null,
      measuredAt: r.measured_at as string,
    }));
  } finally {
    db.close();
  }
}

/** The simulated devices' measurement log: one `{pid, fingerprint, model}` per finished measurement. */
export function measurementLog(file: string): { pid: number; fingerprint: string; model: string }[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [pid, fingerprint, model] = l.split(' ');
      return { pid: Number(pid), fingerprint: fingerprint ?? '', model: model ?? '' };
    });
}

/** A self-signed CA and a `localhost` server certificate signed by it (openssl), for TLS tests. */
export function makeCertificates(dir: string): { ca: string; cert: string; key: string } {
  const f = (n: string) => path.join(dir, n);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=hurricane-test-ca',
  ]);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('redis.key'), '-out', f('redis.csr'), '-subj', '/CN=localhost']);
  writeFileSync(f('ext.cnf'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  run([
    'x509',
    '-req',
    '-in',
    f('redis.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-out',
    f('redis.crt'),
    '-days',
    '2',
    '-extfile',
    f('ext.cnf'),
  ]);
  return { ca: f('ca.crt'), cert: f('redis.crt'), key: f('redis.key') };
}

/** Scratch folders and farm projects of one test file: `temp()`, `project(o)`, and `removeAll()` for afterAll. */
export function scratch(prefix: string): {
  temp: () => string;
  project: (o: Parameters<typeof farmProject>[0]) => string;
  removeAll: () => void;
} {
  const dirs: string[] = [];
  const keep = (d: string) => {
    dirs.push(d);
    return d;
  };
  return {
    temp: () => keep(mkdtempSync(path.join(os.tmpdir(), prefix))),
    project: (o) => keep(farmProject(o)),
    removeAll: () => {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

/**
 * A result of the simulated device `sim-1` whose statistics agree with its samples, by hand:
 * samples 1..5 have median 3, mean 3, p10 1.4 and p90 4.6 (linear), sd √2.5, MAD 1 (no outlier).
 */
export function handResult(agent: string, timestamp = '2026-12-02T10:00:00.000Z') {
  const device = { adapterId: 'sim', device: 'simulated device', runtime: 'sim', runtimeVersion: '1', deviceFingerprint: 'sim-1' };
  return {
    samplesMs: [1, 2, 3, 4, 5],
    medianMs: 3,
    meanMs: 3,
    p10Ms: 1.4,
    p90Ms: 4.6,
    cov: Math.sqrt(2.5) / 3,
    outlierIndices: [] as number[],
    provenance: { ...device, commands: [] as string[][], timestamp, settings: {}, agent: { id: agent, host: 'lab' } },
  };
}
