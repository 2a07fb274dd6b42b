import { positiveInt } from './numbers.js';
import type { HurricaneSession } from '../../session/session.js';
import { ExitCode } from '../../errors.js';
import { type TrainRunSummary, trainFromConfig } from '../../workflows/train-run.js';
import { onHardStop, onInterrupt } from '../interrupt.js';
import { type CliIO, relPath as rel } from '../output.js';
import { cliProgress } from '../progress.js';

/** What `hurricane train` prints: JSON, or two lines (the training, then the probe). */
function printTraining(io: CliIO, s: TrainRunSummary, json: boolean): void {
  const e = s.probe.evaluation;
  if (json) {
    const probe = { arch: s.probe.arch, accuracy: e.accuracy, loss: e.loss, images: e.count, runtime: e.runtime };
    const out = {
      ...{ steps: s.steps, stopped_by: s.stoppedBy, resumed_from: s.resumedFrom, loss_ema: s.lossEma, preset: s.preset },
      ...{ engine: s.engine.engine, workers: s.workers, checkpoint: s.checkpoint, candidates_from: s.candidatesFrom, probe },
      wall_s: s.wallMs / 1000,
    };
    io.out(JSON.stringify(out, null, 2));
    return;
  }
  io.out(
    `trained the ${s.preset} supernet to step ${s.steps}${s.resumedFrom ? ` (resumed from ${s.resumedFrom})` : ''}, ` +
      `stopped by ${s.stoppedBy === 'loss-target' ? 'the loss target' : 'the step count'}, loss EMA ${s.lossEma.toFixed(4)}, in ${(s.wallMs / 1000).toFixed(1)} s; ` +
      `weights in ${rel(s.checkpoint)}\nprobe (${s.candidatesFrom === 'space.json' ? 'the space’s initial winner' : 'first operator per layer'}, BatchNorm recalibrated): ` +
      `validation accuracy ${(100 * e.accuracy).toFixed(2)} % on ${e.count} images, loss ${e.loss.toFixed(4)} (${e.runtime})`,
  );
}

/** `hurricane train`: supernet training from the config's `train` block (resumable; Ctrl-C checkpoints). */
export async function trainCommand(
  session: HurricaneSession,
  io: CliIO,
  opts: { steps?: string; workers?: string; fresh?: boolean; reschedule?: boolean; json?: boolean },
): Promise<number> {
  const whole = (flag: string, v: string | undefined) => (v === undefined ? undefined : positiveInt(v, flag));
  const steps = whole('--steps', opts.steps);
  const workers = whole('--workers', opts.workers);
  const controller = new AbortController();
  onInterrupt(() => controller.abort());
  let checkpoint: { step: number; file: string } | null = null;
  onHardStop(() =>
    checkpoint
      ? `nothing after the checkpoint of step ${checkpoint.step} (${rel(checkpoint.file)}) was saved`
      : 'no checkpoint was written by this run, nothing of it was saved',
  );
  try {
    const s = await trainFromConfig(session, {
      ...(steps !== undefined ? { steps } : {}),
      ...(workers !== undefined ? { workers } : {}),
      fresh: Boolean(opts.fresh),
      reschedule: Boolean(opts.reschedule),
      onCheckpoint: (step, file) => {
        checkpoint = { step, file };
      },
      progress: cliProgress(io),
      signal: controller.signal,
      log: (line) => io.err(line),
    });
    printTraining(io, s, Boolean(opts.json));
    return ExitCode.Success;
  } finally {
    onInterrupt(null);
    onHardStop(null);
  }
}
