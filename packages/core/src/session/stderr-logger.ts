import type { Logger } from '../contracts/logger.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

/** Logger that writes plain lines to a stream (stderr by default), filtered by level. */
export class StreamLogger implements Logger {
  constructor(
    private readonly level: LogLevel = 'info',
    private readonly stream: NodeJS.WritableStream = process.stderr,
  ) {}
  private write(level: LogLevel, message: string): void {
    if (LEVELS[level] < LEVELS[this.level]) return;
    const prefix = level === 'info' ? '' : `${level}: `;
    this.stream.write(`${prefix}${message}\n`);
  }
  debug(message: string): void {
    this.write('debug', message);
  }
  info(message: string): void {
    this.write('info', message);
  }
  warn(message: string): void {
    this.write('warn', message);
  }
  error(message: string): void {
    this.write('error', message);
  }
}
