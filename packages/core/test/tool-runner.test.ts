import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ToolError } from '../src/errors.js';
import { ExecaToolRunner } from '../src/session/execa-tool-runner.js';
import { REPO } from '../../../test/helpers.js';

const script = (name: string) => path.join(REPO, 'test/fixtures/scripts', name);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
async function waitDead(pid: number): Promise<boolean> {
  for (let i = 0; i < 50; i++) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

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
    const r = await runner.run(process.execPath, [script('spawn-sleeper.mjs')], { timeoutMs: 1_000 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    const grandchild = Number(r.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    expect(await waitDead(grandchild)).toBe(true);
  });

  it('kills the whole process tree when aborted', async () => {
    const controller = new AbortController();
    const pending = runner.run(process.execPath, [script('spawn-sleeper.mjs')], { timeoutMs: 60_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 700);
    const r = await pending;
    expect(r.aborted).toBe(true);
    expect(await waitDead(Number(r.stdout.trim()))).toBe(true);
  });

  it('throws a ToolError naming a program that does not exist', async () => {
    const e = await runner.run('/nonexistent/snpe-net-run', ['--version'], { timeoutMs: 5_000 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ToolError);
    expect((e as Error).message).toBe("cannot start '/nonexistent/snpe-net-run': not found; check that it is installed and on PATH");
  });

  it('requires a timeout', async () => {
    await expect(runner.run(process.execPath, ['-e', '0'], { timeoutMs: 0 })).rejects.toThrow(/timeoutMs must be > 0/);
  });
});
