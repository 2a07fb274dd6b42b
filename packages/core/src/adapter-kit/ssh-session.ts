import type { Environment } from '../contracts/environment.js';
import type { ToolResult, ToolRunner } from '../contracts/tool-runner.js';
import { ToolError } from '../errors.js';
import { remoteStatus } from './adb-session.js';

/** A Linux board reached over OpenSSH. */
export interface SshTarget {
  readonly host: string;
  readonly user?: string | undefined;
  readonly port: number;
  /** Private key (`ssh -i`); default: the user's ssh agent and ~/.ssh keys. */
  readonly identityFile?: string | undefined;
  /** ssh and scp executables. */
  readonly ssh: string;
  readonly scp: string;
}

/**
 * Connection failures worth another try. OpenSSH prints `ssh: connect to host H port P: <strerror>`
 * (sshconnect.c) and exits 255 when no connection opens; refused, timed out, reset and unreachable
 * can all pass while a board reboots or its network comes up.
 */
const TRANSIENT = /Connection refused|Connection timed out|Operation timed out|Connection reset|No route to host|Network is unreachable/;

/** The same three verbs as `AdbSession` (push, pull, shell) over ssh and scp, never through a local shell. */
export class SshSession {
  readonly commands: (readonly string[])[] = [];
  /** `user@host:port`, the name messages and locks use. */
  readonly serial: string;
  private readonly dest: string;

  constructor(
    private readonly runner: ToolRunner,
    private readonly t: SshTarget,
    private readonly o: {
      env: Environment;
      timeoutMs: number;
      retries?: number;
      signal?: AbortSignal;
      onResult?: (step: string, r: ToolResult) => void;
    },
  ) {
    // a value starting with '-' would be read as an option of ssh (`-oProxyCommand=…` runs a command)
    for (const [what, v] of [
      ['host', t.host],
      ['user', t.user],
    ] as const) {
      if (v !== undefined && !/^[\w.][\w.-]*$/.test(v))
        throw new ToolError(
          [t.ssh],
          `ssh ${what} '${v.slice(0, 60)}' is not a plain name: use letters, digits, '.', '_' and '-', not starting with '-'`,
        );
    }
    this.dest = t.user ? `${t.user}@${t.host}` : t.host;
    this.serial = `${this.dest}:${t.port}`;
  }

  private common(portFlag: '-p' | '-P'): string[] {
    return [
      portFlag,
      String(this.t.port),
      '-o',
      'BatchMode=yes',
      '-o',
      'ConnectTimeout=10',
      ...(this.t.identityFile ? ['-i', this.t.identityFile] : []),
    ];
  }

  private async run(step: string, file: string, args: string[]): Promise<ToolResult> {
    const retries = this.o.retries ?? 2;
    for (let attempt = 0; ; attempt++) {
      const r = await this.runner.run(file, args, {
        timeoutMs: this.o.timeoutMs,
        env: this.o.env,
        ...(this.o.signal ? { signal: this.o.signal } : {}),
      });
      this.commands.push(r.command);
      this.o.onResult?.(step, r);
      const said = `${r.stderr}\n${r.stdout}`;
      if (attempt < retries && r.exitCode === 255 && !r.timedOut && !r.aborted && TRANSIENT.test(said)) {
        await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
        continue;
      }
      if (r.timedOut)
        throw new ToolError(r.command, `${step} on ${this.serial} did not finish in ${this.o.timeoutMs} ms (its process tree was killed)`);
      if (r.exitCode === 255 || (file === this.t.scp && r.exitCode !== 0)) {
        const first = r.stderr.trim().split('\n')[0] ?? '';
        throw new ToolError(
          r.command,
          `${step} on ${this.serial} failed: ${first || `exit ${r.exitCode}`} (check the board's address, that sshd runs, and that your key is authorized: ssh-copy-id ${this.dest})`,
        );
      }
      return r;
    }
  }

  push(local: string, remote: string): Promise<ToolResult> {
    return this.run('push', this.t.scp, [...this.common('-P'), '-r', '--', local, `${this.dest}:${remote}`]);
  }

  pull(remote: string, local: string): Promise<ToolResult> {
    return this.run('pull', this.t.scp, [...this.common('-P'), '-r', '--', `${this.dest}:${remote}`, local]);
  }

  /** Runs `script` on the board (ssh passes it to the remote shell); returns stdout and the `__RC__=` status. */
  async shell(
    step: string,
    script: string,
  ): Promise<{ stdout: string; stderr: string; status: number | null; command: readonly string[] }> {
    const r = await this.run(step, this.t.ssh, [...this.common('-p'), '--', this.dest, script]);
    return { stdout: r.stdout, stderr: r.stderr, status: remoteStatus(r.stdout), command: r.command };
  }
}
