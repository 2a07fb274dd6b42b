import { outputExcerpt } from '@hurricane/core/adapter-kit';
/** What `snpe-diagview` printed for one SNPEDiag log. Times in microseconds as the tool prints them. */
export interface DiagviewStats {
  /** `Total Inference Time` (the per-inference average): the model's latency. */
  readonly totalInferenceUs: number;
  readonly forwardPropagateUs?: number;
  readonly initUs?: number;
  /** `Software library version:` (the SNPE build that ran on the device). */
  readonly version?: string;
  /** Per-layer rows: the value and its unit (`us`, or `cycles` on DSP/HTP) and the runtime. */
  readonly layers: readonly {
    readonly index: number;
    readonly name?: string;
    readonly value: number;
    readonly unit: 'us' | 'cycles';
    readonly runtime: string;
  }[];
}

const RE = {
  total: /^\s*Total Inference Time:\s*(\d+)\s*us\s*$/,
  forward: /^\s*Forward Propagate Time:\s*(\d+)\s*us\s*$/,
  init: /^\s*Init:\s*(\d+)\s*us/,
  version: /^Software library version:\s*(\S+)/,
  layer29: /^(\d+):\s+(\d+)\s+(us|cycles)\s+:\s+(\w+)\s*$/,
  layer237: /^\s*(\d+):\s+(.+?)\s+:\s+(\d+)\s+(us|cycles)\s+:\s+(\w+)\s*$/,
};

/**
 * Parses snpe-diagview's console output in both documented layouts (vendor-tools.md §2.4): SNPE
 * 1.x–2.9 (`Average SNPE Statistics:`, unnamed layer rows) and 2.37 (indented sections, named layer
 * rows). Requires `Total Inference Time`; throws quoting the output's last lines otherwise.
 */
export function parseDiagview(text: string): DiagviewStats {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '').trimEnd());
  let total: number | undefined;
  let forward: number | undefined;
  let init: number | undefined;
  let version: string | undefined;
  const layers: DiagviewStats['layers'][number][] = [];
  for (const line of lines) {
    total ??= num(RE.total.exec(line)?.[1]);
    forward ??= num(RE.forward.exec(line)?.[1]);
    init ??= num(RE.init.exec(line)?.[1]);
    version ??= RE.version.exec(line)?.[1];
    const a = RE.layer29.exec(line);
    const b = a ? null : RE.layer237.exec(line);
    if (a) layers.push({ index: Number(a[1]), value: Number(a[2]), unit: a[3] as 'us' | 'cycles', runtime: a[4] as string });
    else if (b)
      layers.push({
        index: Number(b[1]),
        name: b[2] as string,
        value: Number(b[3]),
        unit: b[4] as 'us' | 'cycles',
        runtime: b[5] as string,
      });
  }
  if (total === undefined) {
    throw new Error(
      `snpe-diagview printed no 'Total Inference Time'; its last lines were: ${outputExcerpt(lines.join('\n'), { lines: 5 }) || '(nothing)'}`,
    );
  }
  return {
    totalInferenceUs: total,
    ...(forward !== undefined ? { forwardPropagateUs: forward } : {}),
    ...(init !== undefined ? { initUs: init } : {}),
    ...(version !== undefined ? { version } : {}),
    layers,
  };
}

function num(v: string | undefined): number | undefined {
  return v === undefined ? undefined : Number(v);
}

/** The runtime name snpe-diagview prints in layer rows for each Hurricane runtime. */
const PRINTED: Readonly<Record<string, string>> = { dsp: 'DSP', gpu: 'GPU', cpu: 'CPU' };

/**
 * The layers of a run that did not run on `runtime` (`dsp`, `gpu`, `cpu`): with
 * `--enable_cpu_fallback`, snpe-net-run places layers the accelerator cannot run on the CPU, and
 * the per-layer rows say so (`3: 412 us : CPU` in a DSP run). Each as `<index>: <name>` (2.37
 * layout) or `<index>` (2.9, which prints no names), with where it ran instead; null when every
 * layer ran where asked (or the log has no layer rows: `--profiling_level off`).
 */
export function fallbackLayers(stats: DiagviewStats, runtime: string): { to: string; layers: string[] } | null {
  const want = PRINTED[runtime] ?? runtime.toUpperCase();
  const off = stats.layers.filter((l) => l.runtime.toUpperCase() !== want);
  if (off.length === 0) return null;
  const to = [...new Set(off.map((l) => l.runtime.toUpperCase()))].join('+');
  return { to, layers: off.map((l) => (l.name ? `${l.index}: ${l.name}` : String(l.index))) };
}
