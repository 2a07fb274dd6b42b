import type { Logger } from '../contracts/logger.js';
import type { ToolResult, ToolRunOptions, ToolRunner } from '../contracts/tool-runner.js';

/** A logger that keeps every line, for assertions. */
export class MemoryLogger implements Logger {
  readonly lines: { level: 'debug' | 'info' | 'warn' | 'error'; message: string }[] = [];
  debug(message: string): void {
    this.lines.push({ level: 'debug', message });
  }
  info(message: string): void {
    this.lines.push({ level: 'info', message });
  }
  warn(message: string): void {
    this.lines.push({ level: 'warn', message });
  }
  error(message: string): void {
    this.lines.push({ level: 'error', message });
  }
}

/** A scripted answer of {@link RecordingToolRunner}. */
export type ToolScript = (
  file: string,
  args: readonly string[],
  options: ToolRunOptions,
) => Partial<Omit<ToolResult, 'command'>> | Error | Promise<Partial<Omit<ToolResult, 'command'>> | Error>;

/**
 * A {@link ToolRunner} that runs nothing: it records every call and answers from a script
 * (exit 0 with empty output when no script matches). An `Error` from the script is thrown, as
 * the real runner throws when a program cannot be started.
 */
export class RecordingToolRunner implements ToolRunner {
  readonly calls: { file: string; args: readonly string[]; options: ToolRunOptions }[] = [];
  constructor(private readonly script: ToolScript = () => ({})) {}
  async run(file: string, args: readonly string[], options: ToolRunOptions): Promise<ToolResult> {
    this.calls.push({ file, args: [...args], options });
    const answer = await this.script(file, args, options);
    if (answer instanceof Error) throw answer;
    return {
      command: [file, ...args],
      exitCode: 0,
      signal: null,
      stdout: '',
      stderr: '',
      timedOut: false,
      aborted: false,
      durationMs: 0,
      ...answer,
    };
  }
}
