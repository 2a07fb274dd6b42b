/** Learning-rate schedules of docs/method.md §7: linear decay (SPOS supernets) and cosine decay (retraining). */
export type LrSchedule = 'linear' | 'cosine' | 'constant';

/** The learning rate at `step` of `totalSteps`, decaying from `base` to 0. */
export function learningRate(schedule: LrSchedule, base: number, step: number, totalSteps: number): number {
  const t = Math.min(1, Math.max(0, step / Math.max(1, totalSteps)));
  switch (schedule) {
    case 'linear':
      return base * (1 - t);
    case 'cosine':
      return base * 0.5 * (1 + Math.cos(Math.PI * t));
    case 'constant':
      return base;
  }
}
