import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
// tsyringe needs the Reflect metadata polyfill loaded once before any decorated class.
import 'reflect-metadata';
import { afterAll } from 'vitest';

// Every temporary folder a test file makes (os.tmpdir() in the test and in the processes it starts)
// lands in one folder of its own, removed when the file's tests are done: tests leave nothing behind.
const own = mkdtempSync(path.join(os.tmpdir(), 'hurricane-vitest-'));
process.env.TMPDIR = own;
// Device locks (adapter-kit's withDeviceLock) go there too, not to ~/.cache/hurricane/locks.
process.env.HURRICANE_LOCK_DIR = path.join(own, 'locks');
afterAll(() => {
  process.env.TMPDIR = path.dirname(own);
  rmSync(own, { recursive: true, force: true });
});
