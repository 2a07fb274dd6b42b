import { ExitCode, HurricaneError } from '../../errors.js';

/** A command-line whole number ≥ 1; a usage error (exit 2) naming the flag otherwise. */
export function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!/^\s*\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < 1) {
    throw new HurricaneError(`${flag} must be a whole number ≥ 1, got '${v}'`, { exitCode: ExitCode.BadUsage });
  }
  return n;
}

/** A command-line number in [min, max] (exclusive bounds where `open`); a usage error naming the flag otherwise. */
export function numberIn(v: string, flag: string, min: number, max: number, open = false): number {
  const n = Number(v);
  const ok = v.trim() !== '' && Number.isFinite(n) && (open ? n > min && n < max : n >= min && n <= max);
  if (!ok) {
    const unbounded = max === Number.POSITIVE_INFINITY;
    const range = open
      ? unbounded
        ? `> ${min}`
        : `between ${min} and ${max} (exclusive)`
      : unbounded
        ? `≥ ${min}`
        : `in [${min}, ${max}]`;
    throw new HurricaneError(`${flag} must be a number ${range}, got '${v}'`, { exitCode: ExitCode.BadUsage });
  }
  return n;
}
