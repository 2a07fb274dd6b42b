/** Where long jobs report progress: a bar with ETA on a TTY, plain lines otherwise (see cli/progress.ts). */
export interface ProgressReporter {
  /** The job has `total` steps, `done` of which are already finished (resumed work). */
  start(total: number, done: number, label: string): void;
  /** `n` more steps finished; `detail` says which. */
  advance(n: number, detail: string): void;
  /** The job ended (normally or not). */
  stop(): void;
}

/** A reporter that says nothing (programmatic use, tests). */
export const silentProgress: ProgressReporter = { start() {}, advance() {}, stop() {} };
