import { outputExcerpt } from '@hurricane/core/adapter-kit';
/** What one `onnxruntime_perf_test` run printed (vendor-tools.md §6). Times in milliseconds. */
export interface PerfTestResult {
  /** `Average inference time cost: X ms`. */
  readonly averageMs: number;
  /** `P50 Latency: X s` (with `-s`), converted to ms. */
  readonly p50Ms?: number;
  readonly p90Ms?: number;
  readonly minMs?: number;
  readonly maxMs?: number;
  /** `Total inference requests` or `Runs:`. */
  readonly runs?: number;
}

/** `onnxruntime_perf_test -e cpu -m times -r N -x threads -s -I <model>`: fixed repetitions (the default mode is 600 s of duration), random inputs, percentiles. */
export function buildPerfTestArgs(o: { model: string; repetitions: number; threads: number }): string[] {
  return ['-e', 'cpu', '-m', 'times', '-r', String(o.repetitions), '-x', String(o.threads), '-s', '-I', o.model];
}

/**
 * Parses onnxruntime_perf_test's console (older builds and vendor forks included: labels anchored
 * per line; the percentiles are in seconds, the average in ms). Throws on `Run failed:` or without
 * the average line, quoting the output.
 */
export function parsePerfTest(text: string): PerfTestResult {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '').trimEnd());
  const failed = lines.find((l) => l.startsWith('Run failed:'));
  if (failed) throw new Error(`onnxruntime_perf_test: ${failed}`);
  const find = (re: RegExp) => {
    for (const l of lines) {
      const m = re.exec(l);
      if (m) return Number(m[1]);
    }
    return undefined;
  };
  const averageMs = find(/^Average inference time cost:\s*([\d.eE+-]+) ms/);
  if (averageMs === undefined) {
    throw new Error(
      `onnxruntime_perf_test printed no 'Average inference time cost'; its last lines were: ${outputExcerpt(lines.join('\n'), { lines: 4 }) || '(nothing)'}`,
    );
  }
  const seconds = (label: string) => {
    const v = find(new RegExp(`^${label} Latency:\\s*([\\d.eE+-]+) s`));
    return v === undefined ? undefined : v * 1000;
  };
  const runs = find(/^Total inference requests:\s*(\d+)/) ?? find(/^Runs:\s*(\d+)/);
  const out: Record<string, number> = { averageMs };
  for (const [k, v] of [
    ['p50Ms', seconds('P50')],
    ['p90Ms', seconds('P90')],
    ['minMs', seconds('Min')],
    ['maxMs', seconds('Max')],
    ['runs', runs],
  ] as const) {
    if (v !== undefined) out[k] = v;
  }
  return out as unknown as PerfTestResult;
}
