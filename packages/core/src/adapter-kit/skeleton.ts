// The parts every vendor adapter shares, in nn-Meter's shape: the session to the device (adb, ssh,
// or this host), the converter's prepared models, the runner's one remote batch (one push, one
// shell, one pull), the parser's samples, and the measurement with its summary and provenance.
// A `hw-*` package keeps only its vendor's argv builders, parsers, options and health checks.
import type { HealthCheck, HealthReport, LatencyMeasurement, MeasurementProvenance, PreparedModel } from '../contracts/hardware-adapter.js';
import { ToolError } from '../errors.js';
import { summarizeSamples } from './statistics.js';

/** A health report: ready when every check is `ok` or `warn`. */
export function healthReport(adapterId: string, checks: readonly HealthCheck[]): HealthReport {
  return { adapterId, ready: checks.every((c) => c.status === 'ok' || c.status === 'warn'), checks };
}

/** A {@link ToolError} when any model was prepared by another adapter: only the adapter that prepared a model can measure it. */
export function assertPreparedBy(adapterId: string, models: readonly PreparedModel[]): void {
  for (const p of models) {
    if (p.adapterId !== adapterId) throw new ToolError([], `${adapterId} cannot measure a model prepared by ${p.adapterId}`);
  }
}

/**
 * A short excerpt of a tool's output for a one-line message: its non-empty lines (only those
 * matching `match`, when given), the first or last `lines` of them (default the last 3), joined
 * with ` | `; empty when nothing is left.
 */
export function outputExcerpt(text: string, o: { lines?: number; from?: 'start' | 'end'; match?: RegExp } = {}): string {
  const all = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const pool = o.match ? all.filter((l) => o.match?.test(l)) : all;
  const n = o.lines ?? 3;
  return (o.from === 'start' ? pool.slice(0, n) : pool.slice(-n)).join(' | ');
}

/** A measurement from its samples: their summary, the provenance, and what else the runner knows (runs, timed wall). */
export function measurementOf(
  samplesMs: readonly number[],
  provenance: MeasurementProvenance,
  extra: Pick<LatencyMeasurement, 'runs' | 'timedMs' | 'uncertaintyMs' | 'rounds' | 'fallback' | 'conditions'> = {},
): LatencyMeasurement {
  return { samplesMs: [...samplesMs], ...summarizeSamples(samplesMs), ...extra, provenance };
}
