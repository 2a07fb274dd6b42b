// Waiting for what a test waits for — a line on a stream, a file that is complete, a process that
// exits — by its event, never by a fixed sleep. Each wait has a generous deadline that only a
// broken run reaches, and says what it waited for when it does.
import { type FSWatcher, existsSync, watch } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { ChildProcess } from 'node:child_process';

/** What the text must show: a pattern, or a test of the whole text so far. */
export type TextCondition = RegExp | ((text: string) => boolean);

/** Collects a stream's text; `until(condition)` resolves with the text so far once it holds (rejects if the stream ends first). */
export function textOf(stream: Readable | null): {
  text: () => string;
  until: (condition: TextCondition, timeoutMs?: number) => Promise<string>;
} {
  let text = '';
  let ended = false;
  const waiters = new Set<() => void>();
  stream?.on('data', (d) => {
    text += String(d);
    for (const w of waiters) w();
  });
  stream?.on('close', () => {
    ended = true;
    for (const w of waiters) w();
  });
  return {
    text: () => text,
    until: (condition, timeoutMs = 120_000) =>
      new Promise((resolve, reject) => {
        const holds = typeof condition === 'function' ? condition : (t: string) => condition.test(t);
        const pattern = String(condition);
        const check = () => {
          if (holds(text)) done(() => resolve(text));
          else if (ended) done(() => reject(new Error(`the stream ended without ${pattern}; it said:\n${text.slice(-2000)}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`no ${pattern} within ${timeoutMs} ms; the stream said:\n${text.slice(-2000)}`))),
          timeoutMs,
        );
        const done = (then: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          then();
        };
        waiters.add(check);
        check();
      }),
  };
}

/**
 * Resolves with `read(file)` once it returns non-null: checked now and on every change in the
 * file's folder (fs.watch), so a file written in steps (or atomically renamed) is seen when whole.
 */
export function fileReady<T>(file: string, read: (file: string) => T | null, timeoutMs = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    let watcher: FSWatcher | undefined;
    const timer = setTimeout(() => finish(() => reject(new Error(`${file} was not ready within ${timeoutMs} ms`))), timeoutMs);
    const finish = (then: () => void) => {
      clearTimeout(timer);
      watcher?.close();
      then();
    };
    const check = () => {
      let v: T | null = null;
      try {
        v = existsSync(file) ? read(file) : null;
      } catch {
        v = null; // caught half-written: the next change event checks again
      }
      if (v !== null) finish(() => resolve(v as T));
    };
    // the nearest folder that exists already (recursively when the file's own folder is yet to come)
    let dir = path.dirname(file);
    while (!existsSync(dir)) dir = path.dirname(dir);
    watcher = watch(dir, { recursive: dir !== path.dirname(file) }, check);
    check();
  });
}

/** The exit code of a child process (null when a signal ended it). */
export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/**
 * Whether process `pid` (not a child of this one, so no exit event reaches us) is gone within
 * `timeoutMs`: asked of the kernel every 50 ms.
 */
export async function processGone(pid: number, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return true;
    }
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}
