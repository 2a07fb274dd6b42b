import type { Environment, ToolResult, ToolRunner } from '@hurricane/core/plugin';
import { ToolError, adbStateFix } from '@hurricane/core/adapter-kit';
import { remoteStatus } from './net-run.js';

/** adb commands to one device (`adb -s <serial> …`), each with a timeout; adb's own words on failure. */
export class AdbSession {
  /** Every command run, in order (argv arrays), for the measurement's provenance. */
  readonly commands: (readonly string[])[] = [];

  constructor(
    private readonly runner: ToolRunner,
    private readonly adb: string,
    readonly serial: string,
    private readonly o: { env: Environment; timeoutMs: number; signal?: AbortSignal; onResult?: (step: string, r: ToolResult) => void },
  ) {}

  private async run(step: string, args: readonly string[]): Promise<ToolResult> {
    const r = await this.runner.run(this.adb, ['-s', this.serial, ...args], {
      timeoutMs: this.o.timeoutMs,
      env: this.o.env,
      ...(this.o.signal ? { signal: this.o.signal } : {}),
    });
    this.commands.push(r.command);
    this.o.onResult?.(step, r);
    if (r.timedOut)
      throw new ToolError(
        r.command,
        `adb ${args[0]} on ${this.serial} did not finish in ${this.o.timeoutMs} ms (its process tree was killed); check the device with 'adb devices -l'`,
      );
    if (r.exitCode !== 0) {
      const said = (r.stderr || r.stdout).trim().split('\n')[0] ?? '';
      const state = /unauthorized/.test(said) ? 'unauthorized' : /offline/.test(said) ? 'offline' : null;
      const fix = state
        ? adbStateFix({ serial: this.serial, state, properties: {} })
        : /not found/.test(said)
          ? "check 'snpe.serial' against 'adb devices -l'"
          : 'check the device with adb devices -l';
      throw new ToolError(r.command, `adb ${args[0]} failed on ${this.serial}: ${said.replace(/^(adb: )?(error: )?/, '')} (${fix})`);
    }
    return r;
  }

  push(local: string, remote: string): Promise<ToolResult> {
    return this.run('push', ['push', local, remote]);
  }

  pull(remote: string, local: string): Promise<ToolResult> {
    return this.run('pull', ['pull', remote, local]);
  }

  /** Runs `script` on the device; returns its stdout and the remote exit status from the `__RC__=` marker (null if missing). */
  async shell(
    step: string,
    script: string,
  ): Promise<{ stdout: string; stderr: string; status: number | null; command: readonly string[] }> {
    const r = await this.run(step, ['shell', script]);
    return { stdout: r.stdout, stderr: r.stderr, status: remoteStatus(r.stdout), command: r.command };
  }
}
