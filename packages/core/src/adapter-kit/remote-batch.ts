import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { HealthCheck } from '../contracts/hardware-adapter.js';
import type { Environment } from '../contracts/environment.js';
import type { ToolResult, ToolRunner } from '../contracts/tool-runner.js';
import { ToolError } from '../errors.js';
import { AdbSession, batchStatuses, shellQuote } from './adb-session.js';
import type { AdbDevice } from './adb.js';
import { checkAdbDevice } from './checks.js';
import { withDeviceLock } from './device-lock.js';
import { findExecutable } from './which.js';

/** A device reached by adb or ssh: the three verbs a remote batch needs, and every command it ran. */
export interface RemoteSession {
  /** The device's name in messages and locks (adb serial, `user@host:port`). */
  readonly serial: string;
  /** Every command run, in order (argv arrays), for the measurement's provenance. */
  readonly commands: readonly (readonly string[])[];
  push(local: string, remote: string): Promise<ToolResult>;
  pull(remote: string, local: string): Promise<ToolResult>;
  shell(step: string, script: string): Promise<{ stdout: string; status: number | null; command: readonly string[] }>;
}

/** A session to a device, or the check that says why there is none. */
export interface Connection<S extends RemoteSession = RemoteSession> {
  readonly session: S | null;
  readonly check: HealthCheck;
  /** What the device is (model and serial), or `unknown`. */
  readonly name: string;
}

/** The session, or a {@link ToolError} saying what is wrong with the device and the fix. */
export function sessionOf<S extends RemoteSession>(adapterId: string, c: Connection<S>): S {
  if (c.session) return c.session;
  throw new ToolError([], `${adapterId}: ${c.check.detail}${c.check.fix ? ` (${c.check.fix})` : ''}`);
}

/**
 * find adb → check the device (the configured serial, else the only one connected) → open a session.
 * `check` says what is wrong when there is no session; `device` is what adb reported.
 */
export async function connectAdb(
  runner: ToolRunner,
  o: {
    readonly adb: string;
    readonly adbKey: string;
    readonly serial?: string | undefined;
    readonly serialKey: string;
    readonly env: Environment;
    readonly timeoutMs: number;
    readonly retries?: number;
    readonly signal?: AbortSignal | undefined;
    readonly onResult?: (step: string, r: ToolResult) => void;
  },
): Promise<Connection<AdbSession> & { readonly device: AdbDevice | null }> {
  const adb = await findExecutable(o.adb, { env: o.env });
  if (!adb) {
    const check: HealthCheck = {
      name: 'device (adb)',
      status: 'missing',
      detail: 'adb not found',
      fix: `install Android platform-tools (Debian: 'apt-get install adb') or set '${o.adbKey}'`,
    };
    return { session: null, check, name: 'unknown', device: null };
  }
  const found = await checkAdbDevice(runner, adb, { env: o.env, serial: o.serial, serialKey: o.serialKey, timeoutMs: o.timeoutMs });
  if (!found.device || found.check.status !== 'ok') return { session: null, check: found.check, name: 'unknown', device: found.device };
  const session = new AdbSession(runner, adb, found.device.serial, {
    env: o.env,
    timeoutMs: o.timeoutMs,
    ...(o.retries !== undefined ? { retries: o.retries } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onResult ? { onResult: o.onResult } : {}),
  });
  const name = `${found.device.properties.model ?? found.device.serial} (${found.device.serial})`;
  return { session, check: found.check, name, device: found.device };
}

/** One model × round of a remote batch. */
export interface BatchRun {
  /** `m<model>_r<round>`: the tag of its `__RC_<tag>__=$?` exit-status marker. */
  readonly tag: string;
  /** Index of the model in the batch. */
  readonly model: number;
  /** 1-based round. */
  readonly round: number;
}

/** What a vendor supplies to {@link runRemoteBatch}: its staging, its script and its parser. */
export interface RemoteBatch<T> {
  /** Folder of this batch on the device, removed afterwards (also after a failure). */
  readonly runDir: string;
  /** Local folder under which the staging folder is made (and removed afterwards). */
  readonly stagingParent: string;
  readonly models: number;
  readonly rounds: number;
  /** The shell step's name in tool logs (default `batch`). */
  readonly label?: string;
  /** Make `runDir` on the device before the push (scp needs it; adb push makes it). */
  readonly makeRunDir?: boolean;
  /** Lays out what goes to the device under `up` (the converter's outputs and inputs). */
  stage(up: string): void;
  /** The one shell script running every run, rounds outermost, echoing `__RC_<tag>__=$?` after each (the runner's argv). */
  script(runs: readonly BatchRun[]): string;
  /** One run's sample, from the pulled folder and its exit status (the parser); throws a {@link ToolError} naming the run when it failed. */
  read(run: BatchRun, down: string, status: number | undefined, command: readonly string[]): Promise<T> | T;
}

/** Every model × round, rounds outermost (drift affects every model alike). */
export function batchRuns(models: number, rounds: number): BatchRun[] {
  const runs: BatchRun[] = [];
  for (let round = 1; round <= rounds; round++)
    for (let model = 0; model < models; model++) runs.push({ tag: `m${model}_r${round}`, model, round });
  return runs;
}

/**
 * A batch of models in one device round-trip: one push of the staged folder, one shell running
 * every model × round, one pull of every output, each run read by the vendor's parser. Returns, per
 * model, the value of each round. The run folder and the staging folder are removed afterwards.
 */
export async function runRemoteBatch<T>(s: RemoteSession, b: RemoteBatch<T>): Promise<T[][]> {
  const staging = mkdtempSync(path.join(b.stagingParent, '.batch-'));
  try {
    const up = path.join(staging, 'up');
    mkdirSync(up, { recursive: true });
    b.stage(up);
    if (b.makeRunDir) await s.shell('make run folder', `mkdir -p ${shellQuote(b.runDir)}; echo __RC__=$?`);
    await s.push(`${up}/.`, b.runDir);
    const runs = batchRuns(b.models, b.rounds);
    const shell = await s.shell(b.label ?? 'batch', b.script(runs));
    const statuses = batchStatuses(shell.stdout);
    const down = path.join(staging, 'down');
    await s.pull(`${b.runDir}/.`, down);
    const out: T[][] = Array.from({ length: b.models }, () => []);
    for (const run of runs) (out[run.model] as T[]).push(await b.read(run, down, statuses.get(run.tag), shell.command));
    return out;
  } finally {
    await s.shell('clean up', `rm -rf ${shellQuote(b.runDir)}; echo __RC__=$?`).catch(() => undefined);
    rmSync(staging, { recursive: true, force: true });
  }
}

/** {@link runRemoteBatch} while holding the device's lock across processes (`<transport>-<serial>`). */
export function runLockedBatch<T>(env: Environment, lockName: string, s: RemoteSession, b: RemoteBatch<T>): Promise<T[][]> {
  return withDeviceLock(env, lockName, () => runRemoteBatch(s, b));
}

/** A folder name for one batch on the device, unique to this process and moment. */
export function batchDir(remoteDir: string): string {
  return `${remoteDir}/runs/${process.pid}-${Date.now()}`;
}
