/**
 * Graceful stop of long jobs on Ctrl-C: a command that can stop cleanly (training writes its
 * checkpoint at the end of the current step) registers a handler; the first SIGINT/SIGTERM calls it
 * instead of exiting, a second one exits at once (bin/hurricane.js).
 */
let handler: (() => void) | null = null;
let doing = '';

/** Registers the handler of the running command (null to remove it) and what it does when called, for the CLI's line. */
export function onInterrupt(h: (() => void) | null, what = 'finishing the current step and saving a checkpoint'): void {
  handler = h;
  doing = what;
}

/** Called by the CLI's signal handler: what the command does now that it took the signal and will stop by itself, or null when no command took it. */
export function interrupt(): string | null {
  const h = handler;
  if (!h) return null;
  handler = null;
  h();
  return doing;
}

let lost: (() => string) | null = null;

/** Registers what a stop at once loses (null to remove it), e.g. the steps since the last checkpoint. */
export function onHardStop(describe: (() => string) | null): void {
  lost = describe;
}

/** What a stop at once loses, for the CLI's last line ('' when nothing is registered). */
export function hardStopLoss(): string {
  return lost ? lost() : '';
}
