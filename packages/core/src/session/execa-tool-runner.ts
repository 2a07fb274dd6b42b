import { execa } from 'execa';
import { ToolError } from '../errors.js';
import type { ToolResult, ToolRunOptions, ToolRunner } from '../contracts/tool-runner.js';
import { SECRET_ENVS } from '../redact.js';

/** Grace period between SIGTERM and SIGKILL when a tool's process tree is stopped. */
const KILL_GRACE_MS = 2_000;

/**
 * The most output kept per stream of one tool run (execa's default is 100 MB). A tool that writes
 * more is stopped and reported; vendor tools write their results to files, not to stdout.
 */
export const MAX_TOOL_OUTPUT_BYTES = 16 * 2 ** 20;

/** Process-group ids of tools running right now, so Ctrl-C can stop all of them. */
const liveGroups = new Set<number>();

/** Sends `signal` to the whole process group of `pid` (POSIX) or the process (Windows). */
function killTree(pid: number, signal: NodeJS.Signals): void {
  try {
    if (process.platform === 'win32') process.kill(pid, signal);
    else process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Kills the process tree of every tool that is still running (used on Ctrl-C / SIGTERM). */
export function killAllTools(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of liveGroups) killTree(pid, signal);
  liveGroups.clear();
}

/**
 * The environment a tool runs with: this process's, then the caller's, without the farm's Redis
 * password (vendor tools and the adb server they start have no business with it).
 */
function toolEnv(env: Readonly<Record<string, string | undefined>> | undefined): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = { ...process.env, ...env };
  for (const k of SECRET_ENVS) delete out[k];
  return out;
}

/** The runner's result of a finished child, or a {@link ToolError} when the program could not start. */
function resultOf(
  file: string,
  command: string[],
  result: Awaited<ReturnType<typeof execa>>,
  o: { timedOut: boolean; aborted: boolean; started: number },
): ToolResult {
  if ((result as { isMaxBuffer?: boolean }).isMaxBuffer) {
    throw new ToolError(
      command,
      `'${file}' wrote more than ${MAX_TOOL_OUTPUT_BYTES / 2 ** 20} MiB of output and was stopped: a runaway tool or a wrong command line; run it by hand to see`,
    );
  }
  const spawnError = result.failed && result.exitCode === undefined && !result.isTerminated && !o.timedOut && !o.aborted;
  if (spawnError) {
    const code = (result as unknown as { code?: string }).code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not executable' : (result.shortMessage ?? 'failed to start');
    throw new ToolError(command, `cannot start '${file}': ${why}; check that it is installed and on PATH`);
  }
  return {
    command,
    exitCode: result.exitCode ?? null,
    signal: result.signal ?? null,
    stdout: typeof result.stdout === 'string' ? result.stdout : '',
    stderr: typeof result.stderr === 'string' ? result.stderr : '',
    timedOut: o.timedOut,
    aborted: o.aborted,
    durationMs: performance.now() - o.started,
  };
}

/**
 * The default {@link ToolRunner}: execa with an argv array and no shell. Each tool starts in its
 * own process group, so a timeout, an abort or Ctrl-C stops the tool and everything it spawned
 * (e.g. `adb` servers, Python interpreters) instead of leaving orphans behind.
 */
export class ExecaToolRunner implements ToolRunner {
  async run(file: string, args: readonly string[], options: ToolRunOptions): Promise<ToolResult> {
    if (!(options.timeoutMs > 0)) throw new TypeError(`ToolRunner.run(${file}): timeoutMs must be > 0`);
    const command = [file, ...args];
    const started = performance.now();
    const child = execa(file, [...args], {
      cwd: options.cwd,
      env: toolEnv(options.env),
      extendEnv: false,
      input: options.input,
      stdin: options.input === undefined ? 'ignore' : 'pipe',
      reject: false,
      shell: false,
      detached: process.platform !== 'win32',
      cleanup: true,
      stripFinalNewline: false,
      maxBuffer: MAX_TOOL_OUTPUT_BYTES,
      windowsHide: true,
    });
    const pid = child.pid;
    if (pid !== undefined) liveGroups.add(pid);

    let timedOut = false;
    let aborted = false;
    let forceTimer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (pid === undefined) return;
      killTree(pid, 'SIGTERM');
      forceTimer = setTimeout(() => killTree(pid, 'SIGKILL'), KILL_GRACE_MS);
      forceTimer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      stop();
    };
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });

    try {
      return resultOf(file, command, await child, { timedOut, aborted, started });
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (pid !== undefined) {
        // The tool itself has ended; make sure nothing it started outlives it when we stopped it.
        if (timedOut || aborted) killTree(pid, 'SIGKILL');
        liveGroups.delete(pid);
      }
      if (forceTimer) clearTimeout(forceTimer);
    }
  }
}
