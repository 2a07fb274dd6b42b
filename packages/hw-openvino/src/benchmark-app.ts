import { outputExcerpt } from '@hurricane/core/adapter-kit';
/** What one `benchmark_app` run reported. Times in milliseconds. */
export interface BenchmarkResult {
  /** The median latency (the `Median:` line, the single `Latency:` line of ≤ 2021.4, or the 50th percentile). */
  readonly medianMs: number;
  readonly averageMs?: number;
  readonly minMs?: number;
  readonly maxMs?: number;
  /** Iterations measured (`Count:`). */
  readonly count?: number;
  readonly durationMs?: number;
  readonly throughputFps?: number;
  readonly firstInferenceMs?: number;
  /** OpenVINO build, e.g. `2024.4.0-16579-c3152d32c9c-releases/2024/4` (the first `Build ...` line). */
  readonly build?: string;
  /** The device benchmark_app lists under `Device info:` (e.g. `CPU`, `MYRIAD`). */
  readonly deviceInfo?: string;
  /** `Execution Devices:` (2023.0+), e.g. `['CPU']` → `['CPU']`. */
  readonly executionDevices?: readonly string[];
}

/** Options of {@link buildBenchmarkArgs}. */
export interface BenchmarkArgs {
  readonly model: string;
  readonly device: string;
  readonly iterations: number;
  /** Pass `-hint latency` (OpenVINO 2022.1+); older versions get `-nireq 1`. */
  readonly hint: boolean;
  /** Where benchmark_report.csv goes. */
  readonly reportFolder: string;
}

/** The argv (after the executable) of one latency measurement: synchronous API, a fixed number of iterations. */
export function buildBenchmarkArgs(o: BenchmarkArgs): string[] {
  return [
    '-m',
    o.model,
    '-d',
    o.device,
    '-api',
    'sync',
    '-niter',
    String(o.iterations),
    ...(o.hint ? ['-hint', 'latency'] : ['-nireq', '1']),
    '-report_type',
    'no_counters',
    '-report_folder',
    o.reportFolder,
  ];
}

const PREFIX = String.raw`(?:\[ INFO \] ?)?`;
const RE = {
  build: /^(?:\[ INFO \] |\s+)?Build \.+\s*(\S+)/,
  count: new RegExp(`^${PREFIX}Count:\\s+(\\d+) iterations$`),
  duration: new RegExp(`^${PREFIX}Duration:\\s+([\\d.eE+]+) ms$`),
  single: new RegExp(`^${PREFIX}Latency:\\s+([\\d.eE+]+) (ms|us)$`),
  stat: /^(?:\[ INFO \])?\s+(Median|Average|AVG|Avg|Min|MIN|Max|MAX|(\d+) percentile):\s+([\d.eE+]+) (ms|us)$/,
  throughput: new RegExp(`^${PREFIX}Throughput:\\s+([\\d.eE+]+) FPS$`),
  first: /First inference took ([\d.eE+]+) ms/,
  devices: /^\[ INFO \] Execution Devices:\s*(.+)$/,
};

/** Lines of a tool's output, `\r` and trailing spaces removed (vendor-tools.md §0). */
export function outputLines(text: string): string[] {
  return text.split('\n').map((l) => l.replace(/\r$/, '').trimEnd());
}

const toMs = (v: string, unit: string) => (unit === 'us' ? Number(v) / 1000 : Number(v));

function statsOf(lines: readonly string[]): Record<string, number> {
  const s: Record<string, number> = {};
  for (const line of lines) {
    const m = RE.stat.exec(line);
    if (m) {
      const label = m[2] ? (m[2] === '50' ? 'median' : `p${m[2]}`) : (m[1] as string).toLowerCase().replace('avg', 'average');
      s[label] = toMs(m[3] as string, m[4] as string);
    }
    const single = RE.single.exec(line);
    if (single) s.median = toMs(single[1] as string, single[2] as string);
  }
  return s;
}

function firstMatch(lines: readonly string[], re: RegExp): string | undefined {
  for (const line of lines) {
    const m = re.exec(line);
    if (m) return m[1];
  }
  return undefined;
}

function deviceInfo(lines: readonly string[]): string | undefined {
  const at = lines.findIndex((l) => /Device info:\s*$/.test(l));
  const next = at >= 0 ? lines.slice(at + 1).find((l) => l.replace(/^\[ INFO \]/, '').trim() !== '') : undefined;
  return next?.replace(/^\[ INFO \]/, '').trim();
}

/**
 * Parses benchmark_app's console output of any version from 2019 to 2024 (vendor-tools.md §4.3):
 * labels anchored per line, `[ INFO ]` prefixes optional, `ms` or `us`. Throws, quoting the lines,
 * when no median latency is present (an `[ ERROR ]` block is explained by {@link explainFailure}).
 */
export function parseBenchmarkOutput(text: string): BenchmarkResult {
  const lines = outputLines(text);
  const s = statsOf(lines);
  const median = s.median;
  if (median === undefined || !Number.isFinite(median)) {
    const other = Object.keys(s).find((k) => /^p\d+$/.test(k));
    throw new Error(
      other
        ? `benchmark_app reported the ${other.slice(1)}th percentile, not the median (remove -latency_percentile)`
        : `benchmark_app printed no latency; its last lines were: ${outputExcerpt(lines.join('\n'), { lines: 6 })}`,
    );
  }
  const num = (re: RegExp) => {
    const v = firstMatch(lines, re);
    return v === undefined ? undefined : Number(v);
  };
  const devices = firstMatch(lines, RE.devices);
  const opt = <K extends string, V>(k: K, v: V | undefined) => (v === undefined ? {} : ({ [k]: v } as Record<K, V>));
  return {
    medianMs: median,
    ...opt('averageMs', s.average),
    ...opt('minMs', s.min),
    ...opt('maxMs', s.max),
    ...opt('count', num(RE.count)),
    ...opt('durationMs', num(RE.duration)),
    ...opt('throughputFps', num(RE.throughput)),
    ...opt('firstInferenceMs', num(RE.first)),
    ...opt('build', firstMatch(lines, RE.build)),
    ...opt('deviceInfo', deviceInfo(lines)),
    ...opt(
      'executionDevices',
      devices
        ?.replace(/[[\]']/g, '')
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean),
    ),
  };
}

/**
 * One line saying why benchmark_app failed, from its own words (vendor-tools.md §4.5), or null when
 * the output holds no known failure.
 */
export function explainFailure(text: string, device: string): string | null {
  const lines = outputLines(text);
  const build = firstMatch(lines, RE.build);
  const notRegistered = lines.map((l) => /Device with "([^"]+)" name is not registered/.exec(l)).find(Boolean);
  if (notRegistered) {
    const myriad = device === 'MYRIAD' || device === 'HDDL';
    return myriad
      ? `OpenVINO ${build ?? ''} has no ${device} plugin: it was removed in 2023.0; install the 2022.3 LTS archive (and source its setupvars.sh) to measure on a Myriad X`
      : `benchmark_app: device "${notRegistered[1]}" is not registered in OpenVINO ${build ?? ''}: check 'openvino.device' (CPU, GPU, NPU, AUTO, …)`;
  }
  if (lines.some((l) => l.includes('libopenvino_intel_myriad_plugin'))) {
    return 'the MYRIAD plugin library is missing: the pip wheels never shipped it; install the OpenVINO 2022.3 LTS archive and source its setupvars.sh';
  }
  if (lines.some((l) => /Can not init Myriad device|MYRIAD device is not opened/.test(l))) {
    return 'no Myriad X stick answers: plug the Neural Compute Stick 2 in (a USB 3 port), check `lsusb` for 03e7, and install the udev rules of the OpenVINO archive';
  }
  const error = lines.find((l) => l.startsWith('[ ERROR ]'));
  return error ? `benchmark_app failed: ${error.replace('[ ERROR ]', '').trim()} ${lines[lines.indexOf(error) + 1] ?? ''}`.trim() : null;
}

/**
 * Reads `benchmark_report.csv` (`;`-separated, vendor-tools.md §4.4) into lower-cased key → number,
 * for the statistics the console may lack (the C++ tool prints no latency block for MULTI devices).
 */
export function parseReportCsv(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of outputLines(text)) {
    const [key, value] = line.split(';');
    if (key && value !== undefined && value.trim() !== '' && Number.isFinite(Number(value))) out[key.trim().toLowerCase()] = Number(value);
  }
  return out;
}
