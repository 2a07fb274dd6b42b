import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import type { Environment } from '../contracts/environment.js';
import { HurricaneError } from '../errors.js';

/**
 * Where device locks live: `HURRICANE_LOCK_DIR`, else `<tmp>/hurricane-locks`, one folder for the
 * whole machine (every user and project), world-writable with the sticky bit like `/tmp` itself.
 */
export function lockDir(env: Environment): string {
  return env.HURRICANE_LOCK_DIR ?? process.env.HURRICANE_LOCK_DIR ?? path.join(os.tmpdir(), 'hurricane-locks');
}

function makeLockDir(dir: string): void {
  if (existsSync(dir)) return;
  mkdirSync(dir, { recursive: true, mode: 0o1777 });
  try {
    chmodSync(dir, 0o1777); // the umask cut the mode down; another user's process must create its locks here too
  } catch {
    // not ours to change: the lock files still work for this user
  }
}

/**
 * Runs `fn` holding the machine-wide lock of one device (proper-lockfile), so two Hurricane
 * processes never measure on the same phone or stick at once. Waits up to `waitMs` (default 10 min)
 * for another holder; a holder that died (even by SIGKILL) stops refreshing its lock, which goes
 * stale after 30 s and is taken over. A holder that stalled so long that its lock was taken over
 * gets a {@link HurricaneError} instead of its result (the device may have been shared meanwhile);
 * `fn`'s signal aborts the moment that happens, so it can stop early.
 */
export async function withDeviceLock<T>(
  env: Environment,
  device: string,
  fn: (lost: AbortSignal) => Promise<T>,
  o: { waitMs?: number; staleMs?: number } = {},
): Promise<T> {
  const dir = lockDir(env);
  makeLockDir(dir);
  const file = path.join(dir, `${device.replace(/[^\w.-]/g, '_')}.lock`);
  if (!existsSync(file)) writeFileSync(file, `${device}\n`, { mode: 0o666 });
  const waitMs = o.waitMs ?? 600_000;
  let release: () => Promise<void>;
  let lost: Error | undefined;
  const lostSignal = new AbortController();
  try {
    release = await lockfile.lock(file, {
      stale: o.staleMs ?? 30_000,
      update: Math.max(1000, Math.floor((o.staleMs ?? 30_000) / 3)),
      realpath: false,
      // proper-lockfile's default throws out of a timer and crashes the process; a lost lock is reported instead
      onCompromised: (error: Error) => {
        lost ??= error;
        lostSignal.abort(error);
      },
      retries: waitMs <= 0 ? 0 : { retries: Math.ceil(waitMs / 500), factor: 1, minTimeout: 500, maxTimeout: 500 },
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOCKED') {
      throw new HurricaneError(`another Hurricane process is measuring on ${device} (lock ${file}); wait for it to finish or stop it`);
    }
    throw error;
  }
  let result: T;
  try {
    result = await fn(lostSignal.signal);
  } finally {
    await release().catch(() => undefined);
  }
  if (lost) {
    throw new HurricaneError(
      `the lock on ${device} was lost while measuring (${lost.message.split('\n')[0]}): another process may have measured at the same time, so this measurement is dropped; measure again`,
    );
  }
  return result;
}
