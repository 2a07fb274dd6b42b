/**
 * Errors that Hurricane reports to a user. Each carries a one-line message that names what was
 * wrong and how to fix it, and the process exit code the CLI uses for it.
 */

/** Exit codes of the `hurricane` CLI. */
export const ExitCode = Object.freeze({
  /** The command did what was asked. */
  Success: 0,
  /** The run itself failed (a tool failed, a device is missing, a measurement broke). */
  RunFailed: 1,
  /** Bad usage: an unknown flag, a bad config file, a plugin that cannot be loaded. */
  BadUsage: 2,
});
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Base class of every error Hurricane shows to a user. */
export class HurricaneError extends Error {
  /** The exit code the CLI ends with when this error reaches it. */
  readonly exitCode: ExitCode;
  /** Further one-line messages (e.g. the other problems of a config file). */
  readonly details: readonly string[];

  constructor(message: string, options: { exitCode?: ExitCode; cause?: unknown; details?: readonly string[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.exitCode = options.exitCode ?? ExitCode.RunFailed;
    this.details = options.details ?? [];
  }
}

/** A configuration file, flag or plugin block is invalid. Exit code 2. */
export class ConfigError extends HurricaneError {
  constructor(message: string, options: { cause?: unknown; details?: readonly string[] } = {}) {
    super(message, { ...options, exitCode: ExitCode.BadUsage });
  }
}

/** A plugin cannot be found, is incompatible, or failed while registering. Exit code 2. */
export class PluginError extends HurricaneError {
  /** The plugin's package name or path as the config gave it. */
  readonly plugin: string;
  constructor(plugin: string, message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.BadUsage });
    this.plugin = plugin;
  }
}

/** An external tool failed, timed out or printed output that could not be parsed. Exit code 1. */
export class ToolError extends HurricaneError {
  /** The exact argv that was run (`[file, ...args]`). */
  readonly command: readonly string[];
  constructor(command: readonly string[], message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, exitCode: ExitCode.RunFailed });
    this.command = command;
  }
}

/** A capability of an adapter that this version of its package does not provide. Exit code 1. */
export class UnsupportedError extends HurricaneError {
  constructor(message: string) {
    super(message, { exitCode: ExitCode.RunFailed });
  }
}

/** One line for any thrown value: the message of a HurricaneError, or `name: message` otherwise. */
export function describeError(error: unknown): string {
  if (error instanceof HurricaneError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
