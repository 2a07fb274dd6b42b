import type { Environment } from '../contracts/environment.js';
import type { ToolResult, ToolRunner } from '../contracts/tool-runner.js';
import { ToolError } from '../errors.js';
import { adbStateFix } from './adb.js';

/** Quotes one word for a device's POSIX shell (`adb shell` and `ssh` take one command string). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The exit status of each `echo __RC_<tag>__=$?` marker of a batch script (a run missing from the map never reported). */
export function batchStatuses(stdout: string): Map<string, number> {
  return new Map([...stdout.matchAll(/__RC_([\w-]+)__=(\d+)/g)].map((m) => [m[1] as string, Number(m[2])]));
}

/** The remote exit status from an `echo __RC__=$?` marker, or null when the marker is missing (the shell died). */
export function remoteStatus(stdout: string): number | null {
  const m = /__RC__=(\d+)\s*$/m.exec(stdout);
  return m ? Number(m[1]) : null;
}

/** adb failures worth another try (vendor-tools.md §1.2–1.3): the device dropped off the bus, or the adb server was restarting. */
const TRANSIENT = /device offline|protocol fault|Connection reset|daemon not running|cannot connect to daemon|no devices\/emulators found/;

/** adb commands to one device (`adb -s <serial> …`), each with a timeout; adb's own words on failure. */
export class AdbSession {
  /** Every command run, in order (argv arrays), for the measurement's provenance. */
  readonly commands: (readonly string[])[] = [];

  constructor(
    private readonly runner: ToolRunner,
    private readonly adb: string,
    readonly serial: string,
    private readonly o: {
      env: Environment;
      timeoutMs: number;
      signal?: AbortSignal;
      onResult?: (step: string, r: ToolResult) => void;
      /** Further attempts after a transient failure (device offline, adb server restarting), 1 s, 2 s, 4 s … apart. */
      retries?: number;
    },
  ) {}

  private async run(step: string, args: readonly string[]): Promise<ToolResult> {
    const retries = this.o.retries ?? 2;
    for (let attempt = 0; ; attempt++) {
      const r = await this.runner.run(this.adb, ['-s', this.serial, ...args], {
        timeoutMs: this.o.timeoutMs,
        env: this.o.env,
        ...(this.o.signal ? { signal: this.o.signal } : {}),
      });
      this.commands.push(r.command);
      this.o.onResult?.(step, r);
      if (attempt < retries && !r.timedOut && !r.aborted && r.exitCode !== 0 && TRANSIENT.test(`${r.stderr}\n${r.stdout}`)) {
        await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
        continue;
      }
      return this.checked(args, r);
    }
  }

  private checked(args: readonly string[], r: ToolResult): ToolResult {
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
