/**
 * Graceful stop of long jobs on Ctrl-C: a command that can stop cleanly (training writes its
 * checkpoint at the end of the current step) registers a handler; the first SIGINT/SIGTERM calls it
 * instead of exiting, a second one exits at once (bin/hurricane.js).
 */
let handler: (() => void) | null = null;

/** Registers the handler of the running command (null to remove it). */
export function onInterrupt(h: (() => void) | null): void {
  handler = h;
}

/** Called by the CLI's signal handler: true when a command took the signal and will stop by itself. */
export function interrupt(): boolean {
  const h = handler;
  if (!h) return false;
  handler = null;
  h();
  return true;
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
