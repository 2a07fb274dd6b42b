import type { ProgressReporter } from '../progress.js';
import type { StepInfo } from './trainer.js';

/**
 * A training run's progress: the reporter starts on the first step (a resumed run starts part-way)
 * and each step shows its loss, the loss EMA, the learning rate and an images/s EMA. `stop()` ends
 * the bar if it started. Hand `onStep` to `trainNetwork`.
 */
export function trainingProgress(
  progress: ProgressReporter,
  o: { readonly steps: number; readonly batchSize: number; readonly label: string },
): { onStep: (s: StepInfo) => void; stop: () => void } {
  let last = performance.now();
  let rate = 0;
  let started = false;
  return {
    onStep(s: StepInfo): void {
      if (!started) {
        progress.start(o.steps, s.step - 1, o.label);
        started = true;
      }
      const now = performance.now();
      const r = o.batchSize / ((now - last) / 1000);
      rate = rate === 0 ? r : 0.9 * rate + 0.1 * r;
      last = now;
      const lr = s.lr.toExponential(2);
      progress.advance(1, `step ${s.step}: loss ${s.loss.toFixed(4)} (EMA ${s.lossEma.toFixed(4)}), lr ${lr}, ${rate.toFixed(1)} images/s`);
    },
    stop(): void {
      if (started) progress.stop();
    },
  };
}
