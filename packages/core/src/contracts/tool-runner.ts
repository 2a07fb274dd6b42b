import { token } from './token.js';

/** Options of one external tool run. */
export interface ToolRunOptions {
  /** Kill the tool (and every process it started) after this many milliseconds. Required: no tool runs unbounded. */
  readonly timeoutMs: number;
  /** Working directory. */
  readonly cwd?: string;
  /** Extra environment variables (merged over the process environment). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Data written to the tool's stdin; stdin is closed otherwise. */
  readonly input?: string;
  /** Aborting kills the tool's whole process tree. */
  readonly signal?: AbortSignal;
}

/** What one tool run produced. A non-zero exit is a result, not an exception. */
export interface ToolResult {
  /** The exact argv that ran: `[file, ...args]`. */
  readonly command: readonly string[];
  /** Exit code, or `null` when the tool was killed by a signal. */
  readonly exitCode: number | null;
  /** Signal that ended the tool, if any. */
  readonly signal: string | null;
  /** Everything the tool wrote to stdout. */
  readonly stdout: string;
  /** Everything the tool wrote to stderr. */
  readonly stderr: string;
  /** True when the timeout expired and the tool's process tree was killed. */
  readonly timedOut: boolean;
  /** True when the run was aborted through `signal` (or Ctrl-C). */
  readonly aborted: boolean;
  /** Wall-clock duration of the run. */
  readonly durationMs: number;
}

/**
 * Runs external programs: always an argv array (never a shell string), always with a timeout,
 * and on timeout, abort or Ctrl-C the whole process tree is killed. Adapters inject it so
 * tests can substitute a fake.
 */
export interface ToolRunner {
  /** Runs `file` with `args`. Rejects only when the program cannot be started (e.g. not found). */
  run(file: string, args: readonly string[], options: ToolRunOptions): Promise<ToolResult>;
}

/** Injection token of {@link ToolRunner}. */
export const ToolRunner = token<ToolRunner>('ToolRunner');
