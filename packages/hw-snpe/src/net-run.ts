import { batchStatuses, remoteStatus, shellQuote } from '@hurricane/core/adapter-kit';
import { SNPE_RUNTIMES, type SnpeRuntime } from './runtimes.js';

/** Options of {@link buildNetRunArgs}. */
export interface NetRunArgs {
  readonly container: string;
  readonly inputList: string;
  readonly outputDir: string;
  readonly runtime: SnpeRuntime;
  readonly perfProfile: string;
}

/**
 * `snpe-net-run` argv (vendor-tools.md §2.3): the runtime's flag (none for the CPU: snpe-net-run has
 * no `--use_cpu`), with `--enable_cpu_fallback` on the DSP and GPU (a layer they cannot run runs on
 * the CPU instead of failing the model; the per-layer rows then name it, and `snpe.fallback`
 * decides), the performance profile, and basic profiling so the SNPEDiag log holds the timings.
 */
export function buildNetRunArgs(o: NetRunArgs): string[] {
  const flag = SNPE_RUNTIMES[o.runtime].flag;
  return [
    '--container',
    o.container,
    '--input_list',
    o.inputList,
    '--output_dir',
    o.outputDir,
    ...(flag ? [flag, '--enable_cpu_fallback'] : []),
    '--perf_profile',
    o.perfProfile,
    '--profiling_level',
    'basic',
  ];
}

/**
 * The command string `adb shell` runs on the device (§2.7): the SNPE library paths
 * (`ADSP_LIBRARY_PATH` is `;`-separated and quoted), the working folder, snpe-net-run, and
 * `echo __RC__=$?` because `adb shell` hides the remote exit status on older devices (§1.4).
 */
export function deviceScript(o: { root: string; workDir: string; args: readonly string[] }): string {
  const lib = `${o.root}/lib`;
  const dsp = `${o.root}/dsp;/system/lib/rfsa/adsp;/system/vendor/lib/rfsa/adsp;/dsp`;
  return [
    `export LD_LIBRARY_PATH=$LD_LIBRARY_PATH:${shellQuote(lib)}`,
    `export PATH=$PATH:${shellQuote(`${o.root}/bin`)}`,
    `export ADSP_LIBRARY_PATH=${shellQuote(dsp)}`,
    `cd ${shellQuote(o.workDir)}`,
    `snpe-net-run ${o.args.map(shellQuote).join(' ')}; echo __RC__=$?`,
  ].join(' && ');
}

/**
 * The raw input file snpe-net-run reads (§2.6): headerless little-endian float32 in SNPE's NHWC
 * order, transposed from an NCHW tensor of `shape`.
 */
export function rawInput(shape: readonly number[], nchw: Float32Array): Buffer {
  const [n = 1, c = 1, h = 1, w = 1] = shape.length === 4 ? shape : [1, shape[1] ?? 1, 1, 1];
  if (nchw.length !== n * c * h * w) throw new RangeError(`rawInput: ${nchw.length} values for shape [${shape.join(',')}]`);
  const buf = Buffer.alloc(nchw.length * 4);
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) buf.writeFloatLE(nchw[((b * c + ch) * h + y) * w + x] as number, 4 * (((b * h + y) * w + x) * c + ch));
  return buf;
}

/** What snpe-net-run's console says of a run (§2.3): its version line and whether it finished. */
export function parseNetRunStdout(text: string): { succeeded: boolean; version?: string; inferences: number } {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, '').trimEnd());
  const version = lines.map((l) => /^SNPE v(\S+)$/.exec(l)?.[1]).find(Boolean);
  return {
    succeeded: lines.includes('Successfully executed!'),
    ...(version ? { version } : {}),
    inferences: lines.filter((l) => l === 'Processing DNN input(s):').length,
  };
}

/**
 * One `adb shell` command string that runs snpe-net-run for several models and rounds in a row
 * (rounds outermost, so a drifting device affects every model alike): the library paths once, then
 * per run `cd <folder> && snpe-net-run … > <output>/stdout.txt 2>&1; echo __RC_<tag>__=$?`.
 */
export function batchScript(o: {
  root: string;
  runs: readonly { readonly tag: string; readonly workDir: string; readonly outputDir: string; readonly args: readonly string[] }[];
}): string {
  const env = [
    `export LD_LIBRARY_PATH=$LD_LIBRARY_PATH:${shellQuote(`${o.root}/lib`)}`,
    `export PATH=$PATH:${shellQuote(`${o.root}/bin`)}`,
    `export ADSP_LIBRARY_PATH=${shellQuote(`${o.root}/dsp;/system/lib/rfsa/adsp;/system/vendor/lib/rfsa/adsp;/dsp`)}`,
  ].join(' && ');
  const runs = o.runs.map(
    (r) =>
      `cd ${shellQuote(r.workDir)} && mkdir -p ${shellQuote(r.outputDir)} && snpe-net-run ${r.args.map(shellQuote).join(' ')} > ${shellQuote(`${r.outputDir}/stdout.txt`)} 2>&1; echo __RC_${r.tag}__=$?`,
  );
  return `${env}; ${runs.join('; ')}`;
}

export { batchStatuses, remoteStatus, shellQuote };
