import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { RunFolder, SEARCH_PHASES, type SearchPhase } from '../src/workflows/run-folder.js';
import { exitOf, textOf } from '../../../test/events.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'hurricane-runs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('RunFolder: one process per run folder, and a reset that a kill cannot leave half-done', () => {
  it('a second process on the same run folder is refused with exit 2 while the first holds it, and admitted once it closes', async () => {
    const dir = path.join(work, 'runs', 'x');
    const first = await RunFolder.acquire(dir);
    const second = RunFolder.acquire(dir);
    await expect(second).rejects.toThrow(ConfigError);
    await expect(second).rejects.toThrow(
      /^run folder .*runs\/x is in use by another hurricane process \(lock .*runs\/x\/\.lock\): wait for it to finish, or give this run another --name$/,
    );
    await first.close();
    const third = await RunFolder.acquire(dir);
    await third.close();
  });

  it('a holder killed with kill -9 does not block the resume: its lock is taken over at once, not after 30 s', async () => {
    const dir = path.join(work, 'runs', 'killed');
    const dist = new URL('../dist/workflows/run-folder.js', import.meta.url).href;
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { RunFolder } = await import(${JSON.stringify(dist)}); await RunFolder.acquire(${JSON.stringify(dir)}); console.log('held'); setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await textOf(child.stdout).until(/held/, 20_000);
    const gone = exitOf(child);
    child.kill('SIGKILL');
    await gone;
    const run = await RunFolder.acquire(dir);
    await run.close();
  });

  it('--from writes the new state before deleting the files, so a kill in between never leaves a phase marked done without its files', async () => {
    const dir = path.join(work, 'runs', 'reset');
    const run = await RunFolder.acquire(dir);
    try {
      for (const p of ['profile', 'space', 'dataset'] as const) {
        writeFileSync(run.file(`${p}.out`), p);
        run.finish(p, { ok: true });
      }
      // the deletion is cut short after its first file, as a kill would
      let deleted = 0;
      const killed = (name: string): readonly string[] =>
        new Proxy([name], {
          get(target, key, receiver) {
            if (key === Symbol.iterator && deleted++ >= 1) throw new Error('killed');
            return Reflect.get(target, key, receiver);
          },
        });
      const files = Object.fromEntries(SEARCH_PHASES.map((p) => [p, killed(`${p}.out`)])) as Record<SearchPhase, readonly string[]>;
      expect(() => run.resetFrom('space', files)).toThrow('killed');
      const state = JSON.parse(readFileSync(run.file('state.json'), 'utf8')) as Record<string, unknown>;
      expect(Object.keys(state)).toEqual(['profile']);
      expect(existsSync(run.file('profile.out'))).toBe(true);
    } finally {
      await run.close();
    }
  });
});
