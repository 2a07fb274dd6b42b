import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import type { Environment } from '../contracts/environment.js';
import { HurricaneError } from '../errors.js';

/** Where device locks live: `HURRICANE_LOCK_DIR`, else `~/.cache/hurricane/locks` (shared by every project of the user). */
export function lockDir(env: Environment): string {
  return env.HURRICANE_LOCK_DIR ?? process.env.HURRICANE_LOCK_DIR ?? path.join(os.homedir(), '.cache', 'hurricane', 'locks');
}

/**
 * Runs `fn` holding the machine-wide lock of one device (proper-lockfile), so two Hurricane
 * processes never measure on the same phone or stick at once. Waits up to `waitMs` (default 10 min)
 * for another holder; a holder that died (even by SIGKILL) stops refreshing its lock, which goes
 * stale after 30 s and is taken over.
 */
export async function withDeviceLock<T>(env: Environment, device: string, fn: () => Promise<T>, o: { waitMs?: number } = {}): Promise<T> {
  const dir = lockDir(env);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${device.replace(/[^\w.-]/g, '_')}.lock`);
  if (!existsSync(file)) writeFileSync(file, `${device}\n`);
  const waitMs = o.waitMs ?? 600_000;
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(file, {
      stale: 30_000,
      update: 10_000,
      realpath: false,
      retries: waitMs <= 0 ? 0 : { retries: Math.ceil(waitMs / 500), factor: 1, minTimeout: 500, maxTimeout: 500 },
    });
  } catch (error) {
    if ((error as { code?: string }).code === 'ELOCKED') {
      throw new HurricaneError(`another Hurricane process is measuring on ${device} (lock ${file}); wait for it to finish or stop it`);
    }
    throw error;
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => undefined);
  }
}
