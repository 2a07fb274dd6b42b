import { token } from './token.js';

/** Where Hurricane and its plugins write human-readable messages (stderr by default). */
export interface Logger {
  /** Detail for `--verbose` runs. */
  debug(message: string): void;
  /** Normal progress. */
  info(message: string): void;
  /** Something the user should know about; the run goes on. */
  warn(message: string): void;
  /** Something failed. */
  error(message: string): void;
}

/** Injection token of {@link Logger}. */
export const Logger = token<Logger>('Logger');
