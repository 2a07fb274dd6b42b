import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockDir, withDeviceLock } from '../src/adapter-kit/device-lock.js';

const env = { HURRICANE_LOCK_DIR: mkdtempSync(path.join(os.tmpdir(), 'locks-')) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('withDeviceLock: one measurement per device, across processes', () => {
  it('serialises two measurements of the same device and lets different devices run together', async () => {
    const log: string[] = [];
    const job = (device: string, tag: string) =>
      withDeviceLock(env, device, async () => {
        log.push(`${tag} start`);
        await sleep(300);
        log.push(`${tag} end`);
      });
    await Promise.all([job('adb-A', 'a1'), job('adb-A', 'a2')]);
    expect(log).toEqual(['a1 start', 'a1 end', 'a2 start', 'a2 end']);
    log.length = 0;
    await Promise.all([job('adb-A', 'a'), job('adb-B', 'b')]);
    expect(log.slice(0, 2).sort()).toEqual(['a start', 'b start']);
  });

  it('while another process holds the device, says so (no waiting) and names the lock file', async () => {
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { default: l } = await import(${JSON.stringify(import.meta.resolve('proper-lockfile'))}); const { writeFileSync } = await import('node:fs');
         const f = ${JSON.stringify(path.join(env.HURRICANE_LOCK_DIR, 'adb-C.lock'))}; writeFileSync(f, 'adb-C');
         await l.lock(f, { realpath: false, stale: 30000, update: 10000 }); console.log('locked'); setTimeout(() => {}, 60000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => child.stdout.on('data', () => resolve()));
    try {
      await expect(withDeviceLock(env, 'adb-C', async () => 1, { waitMs: 0 })).rejects.toThrow(
        /^another Hurricane process is measuring on adb-C \(lock .*adb-C\.lock\); wait for it to finish or stop it$/,
      );
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a lock taken from its holder is reported as one line after the measurement, and never crashes the process (proper-lockfile throws by default)', async () => {
    const file = path.join(env.HURRICANE_LOCK_DIR, 'adb-D.lock');
    const run = withDeviceLock(
      env,
      'adb-D',
      async (lost) => {
        rmSync(`${file}.lock`, { recursive: true, force: true }); // what a takeover after a stall does to the holder's lock
        await new Promise((resolve) => lost.addEventListener('abort', resolve, { once: true }));
        return 'measured';
      },
      { staleMs: 2000 },
    );
    await expect(run).rejects.toThrow(
      /^the lock on adb-D was lost while measuring \(.*\): another process may have measured at the same time, so this measurement is dropped; measure again$/,
    );
  });

  it("without HURRICANE_LOCK_DIR the locks live in one machine-wide folder, not under the user's home", () => {
    const mine = process.env.HURRICANE_LOCK_DIR; // test/setup.ts gives each test process its own
    delete process.env.HURRICANE_LOCK_DIR;
    try {
      expect(lockDir({})).toBe(path.join(os.tmpdir(), 'hurricane-locks'));
      expect(lockDir({}).startsWith(os.homedir())).toBe(false);
    } finally {
      process.env.HURRICANE_LOCK_DIR = mine;
    }
  });
});
