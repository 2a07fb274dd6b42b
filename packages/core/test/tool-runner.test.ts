import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ToolError } from '../src/errors.js';
import { ExecaToolRunner } from '../src/session/execa-tool-runner.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { REPO } from '../../../test/helpers.js';
import { fileReady, processGone } from '../../../test/events.js';

const script = (name: string) => path.join(REPO, 'test/fixtures/scripts', name);
describe('ExecaToolRunner', () => {
  const runner = new ExecaToolRunner();

  it('passes arguments as an argv array, never through a shell', async () => {
    const args = ['a b', '; rm -rf /', '$(whoami)', '"quoted"', '*'];
    const r = await runner.run(process.execPath, [script('echo-args.mjs'), ...args], { timeoutMs: 10_000 });
    expect(JSON.parse(r.stdout)).toEqual(args);
    expect(r.stderr).toBe('err');
    expect(r.exitCode).toBe(0);
    expect(r.command).toEqual([process.execPath, script('echo-args.mjs'), ...args]);
  });

  it('returns a non-zero exit as a result', async () => {
    const r = await runner.run(process.execPath, [script('echo-args.mjs')], { timeoutMs: 10_000, env: { EXIT_CODE: '3' } });
    expect(r.exitCode).toBe(3);
    expect(r.timedOut).toBe(false);
  });

  it('kills the whole process tree on timeout', async () => {
    // long enough for two Node start-ups on a loaded machine: the sleeper and its grandchild
    const r = await runner.run(process.execPath, [script('spawn-sleeper.mjs')], { timeoutMs: 8_000 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    const grandchild = Number(r.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    expect(await processGone(grandchild)).toBe(true);
  }, 30_000);

  it('kills the whole process tree when aborted', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hurricane-abort-'));
    const pidFile = path.join(dir, 'grandchild.pid');
    const controller = new AbortController();
    const pending = runner.run(process.execPath, [script('spawn-sleeper.mjs')], {
      timeoutMs: 60_000,
      signal: controller.signal,
      env: { PID_FILE: pidFile },
    });
    // abort once the grandchild runs (its pid file is whole), so there is a tree to kill
    const grandchild = await fileReady(pidFile, (f) => (/^\d+\n$/.test(readFileSync(f, 'utf8')) ? Number(readFileSync(f, 'utf8')) : null));
    controller.abort();
    const r = await pending;
    expect(r.aborted).toBe(true);
    expect(await processGone(grandchild)).toBe(true);
    rmSync(dir, { recursive: true, force: true });
  });

  it('throws a ToolError naming a program that does not exist', async () => {
    const e = await runner.run('/nonexistent/snpe-net-run', ['--version'], { timeoutMs: 5_000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ToolError);
    expect((e as Error).message).toBe("cannot start '/nonexistent/snpe-net-run': not found; check that it is installed and on PATH");
  });

  it("keeps the farm's Redis password from vendor tools: neither this process's variable nor the caller's reaches them", async () => {
    const print = ['-e', 'process.stdout.write(JSON.stringify([process.env.HURRICANE_FARM_PASSWORD ?? null, process.env.KEEP ?? null]))'];
    process.env.HURRICANE_FARM_PASSWORD = 'from-this-process';
    try {
      const r = await runner.run(process.execPath, print, { timeoutMs: 10_000, env: { KEEP: 'yes' } });
      expect(JSON.parse(r.stdout)).toEqual([null, 'yes']);
      const passed = await runner.run(process.execPath, print, { timeoutMs: 10_000, env: { HURRICANE_FARM_PASSWORD: 'from-the-caller' } });
      expect(JSON.parse(passed.stdout)).toEqual([null, null]);
    } finally {
      delete process.env.HURRICANE_FARM_PASSWORD;
    }
  });

  it('keeps the farm key from vendor tools too', async () => {
    const print = ['-e', 'process.stdout.write(String(process.env.HURRICANE_FARM_KEY ?? null))'];
    const r = await runner.run(process.execPath, print, { timeoutMs: 10_000, env: { HURRICANE_FARM_KEY: 'secret' } });
    expect(r.stdout).toBe('null');
  });

  it('stops a tool that writes more than 16 MiB of output and says so in one line, instead of holding 100 MB per stream', async () => {
    // 17 MiB in 1 MiB writes, then it would go on sleeping: the cap stops it, not its end
    const flood = [
      '-e',
      "const b = 'x'.repeat(2 ** 20); for (let i = 0; i < 17; i++) process.stdout.write(b); setTimeout(() => {}, 60000)",
    ];
    const e = await runner.run(process.execPath, flood, { timeoutMs: 30_000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ToolError);
    expect((e as Error).message).toMatch(
      /wrote more than 16 MiB of output and was stopped: a runaway tool or a wrong command line; run it by hand to see$/,
    );
  });

  it('requires a timeout', async () => {
    await expect(runner.run(process.execPath, ['-e', '0'], { timeoutMs: 0 })).rejects.toThrow(/timeoutMs must be > 0/);
  });
});
