import progressBars from 'cli-progress';
import type { ProgressReporter } from '../progress.js';
import type { CliIO } from './output.js';

function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

/** A progress bar with ETA on a TTY (cli-progress), plain log lines with an ETA otherwise. */
export function cliProgress(io: CliIO): ProgressReporter {
  if (io.isTTY) {
    const bar = new progressBars.SingleBar(
      {
        format: '{label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted} | {detail}',
        hideCursor: true,
        clearOnComplete: false,
        stream: process.stderr,
      },
      progressBars.Presets.shades_classic,
    );
    let label = '';
    return {
      start(total, done, l) {
        label = l;
        bar.start(total, done, { label, detail: done > 0 ? `${done} already measured` : '' });
      },
      advance(n, detail) {
        bar.increment(n, { label, detail: detail.length > 60 ? `${detail.slice(0, 59)}…` : detail });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let total = 0;
  let done = 0;
  let startDone = 0;
  let started = 0;
  return {
    start(t, d, label) {
      total = t;
      done = d;
      startDone = d;
      started = performance.now();
      io.err(`${label}: ${t} in all, ${d} already done, ${t - d} to do`);
    },
    advance(n, detail) {
      done += n;
      const elapsed = performance.now() - started;
      const rate = (done - startDone) / elapsed;
      // Under a second of history says nothing about the rate (a job that reports its first step as
      // it starts would show "ETA 0s"): no estimate until there is one.
      const eta = rate > 0 && elapsed >= 1000 ? duration((total - done) / rate) : '--';
      io.err(`[${done}/${total}] ${detail} (ETA ${eta})`);
    },
    stop() {},
  };
}
