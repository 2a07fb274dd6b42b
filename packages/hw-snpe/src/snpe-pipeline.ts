import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ToolResult } from '@hurricane/core/plugin';
import { Rng, ToolError, outputExcerpt, runRemoteBatch } from '@hurricane/core/adapter-kit';
import type { BatchRun, RemoteSession } from '@hurricane/core/adapter-kit';
import { fallbackLayers, parseDiagview } from './diagview.js';
import { batchScript, buildNetRunArgs, parseNetRunStdout, rawInput, shellQuote } from './net-run.js';
import type { SnpeRuntime } from './runtimes.js';

/** The SDK folders pushed to the device. */
export interface SdkFolders {
  readonly bin: string;
  readonly lib: string;
  /** The Hexagon skels (only the DSP needs them). */
  readonly dsp: string | null;
}

/** Content hash of the SDK folders that go to the device (file names and bytes), so pushes are skipped when the device has them. */
export function librariesHash(folders: SdkFolders): string {
  const h = createHash('sha256');
  for (const dir of [folders.bin, folders.lib, folders.dsp]) {
    if (!dir) continue;
    for (const f of (readdirSync(dir, { recursive: true }) as string[]).sort()) {
      const file = path.join(dir, f);
      if (statSync(file).isFile()) h.update(`${path.basename(dir)}/${f}\n`).update(readFileSync(file));
    }
  }
  return h.digest('hex').slice(0, 16);
}

/** Pushes the SNPE device binaries and libraries unless the device already holds this exact set (marker file named by the hash). */
export async function syncLibraries(
  adb: RemoteSession,
  remoteDir: string,
  folders: SdkFolders,
): Promise<{ pushed: boolean; hash: string }> {
  const hash = librariesHash(folders);
  const marker = `${remoteDir}/.hurricane-libs-${hash}`;
  const has = await adb.shell('check libraries', `test -f ${shellQuote(marker)}; echo __RC__=$?`);
  if (has.status === 0) return { pushed: false, hash };
  await adb.shell(
    'clear libraries',
    `rm -rf ${shellQuote(`${remoteDir}/bin`)} ${shellQuote(`${remoteDir}/lib`)} ${shellQuote(`${remoteDir}/dsp`)} ${shellQuote(remoteDir)}/.hurricane-libs-*; mkdir -p ${shellQuote(remoteDir)}; echo __RC__=$?`,
  );
  await adb.push(`${folders.bin}/.`, `${remoteDir}/bin`);
  await adb.push(`${folders.lib}/.`, `${remoteDir}/lib`);
  if (folders.dsp) await adb.push(`${folders.dsp}/.`, `${remoteDir}/dsp`);
  const done = await adb.shell(
    'install libraries',
    `chmod u+x ${shellQuote(`${remoteDir}/bin`)}/* && touch ${shellQuote(marker)}; echo __RC__=$?`,
  );
  if (done.status !== 0)
    throw new ToolError(
      done.command,
      `could not install the SNPE binaries under ${remoteDir} on ${adb.serial}: ${outputExcerpt(done.stdout, { lines: 1, from: 'start' })}`,
    );
  return { pushed: true, hash };
}

/** Seeded calibration/benchmark inputs (NHWC float32 raw files) and an input list of `lines` lines cycling through them. */
export function writeInputs(
  dir: string,
  inputShape: readonly number[],
  files: number,
  lines: number,
  seed: number,
): { list: string; inputsDir: string } {
  const inputsDir = path.join(dir, 'inputs');
  mkdirSync(inputsDir, { recursive: true });
  const rng = new Rng(seed);
  const size = inputShape.reduce((a, b) => a * b, 1);
  for (let k = 0; k < files; k++) {
    writeFileSync(
      path.join(inputsDir, `input_${k}.raw`),
      rawInput(
        inputShape,
        Float32Array.from({ length: size }, () => rng.normal()),
      ),
    );
  }
  const list = path.join(dir, 'input_list.txt');
  writeFileSync(list, `${Array.from({ length: lines }, (_, i) => `inputs/input_${i % files}.raw`).join('\n')}\n`);
  return { list, inputsDir };
}

/** One model of a batch, staged locally under `m<i>/` and on the device under `<runDir>/m<i>/`. */
export interface BatchItem {
  /** The prepared DLC. */
  readonly container: string;
}

/** Copies each DLC with its input list and inputs to `<up>/m<i>/`. */
function stageItems(up: string, items: readonly BatchItem[]): void {
  for (const [i, item] of items.entries()) {
    const dir = path.join(up, `m${i}`);
    mkdirSync(dir, { recursive: true });
    const from = path.dirname(item.container);
    cpSync(item.container, path.join(dir, path.basename(item.container)));
    cpSync(path.join(from, 'input_list.txt'), path.join(dir, 'input_list.txt'));
    cpSync(path.join(from, 'inputs'), path.join(dir, 'inputs'), { recursive: true });
  }
}

/** One run's Total Inference Time (ms) and fallen-back layers, from its pulled stdout and SNPEDiag log read by the host snpe-diagview. */
async function readRun(
  o: { items: readonly BatchItem[]; serial: string; runtime: SnpeRuntime; diagview: (log: string) => Promise<ToolResult> },
  run: BatchRun,
  down: string,
  status: number | undefined,
  command: readonly string[],
  version: { value?: string },
): Promise<{ ms: number; fallback: Fallback | null }> {
  const local = path.join(down, `m${run.model}`, `output_r${run.round}`);
  const stdoutFile = path.join(local, 'stdout.txt');
  const said = existsSync(stdoutFile) ? readFileSync(stdoutFile, 'utf8') : '';
  const parsed = parseNetRunStdout(said);
  if (status !== 0 || !parsed.succeeded) {
    throw new ToolError(
      command,
      `snpe-net-run failed on ${o.serial} for ${path.basename(o.items[run.model]?.container ?? '')} (round ${run.round}, ${status === undefined ? 'no exit status' : `exit ${status}`}): ${outputExcerpt(said) || 'no output'}`,
    );
  }
  version.value ??= parsed.version;
  const log = path.join(local, 'SNPEDiag_0.log');
  if (!existsSync(log) || statSync(log).size === 0)
    throw new ToolError(command, `snpe-net-run wrote no SNPEDiag log on ${o.serial} (is --profiling_level off?)`);
  const d = await o.diagview(log);
  if (d.exitCode !== 0)
    throw new ToolError(
      d.command,
      `snpe-diagview could not read ${log}: ${outputExcerpt(d.stderr || d.stdout, { lines: 1, from: 'start' })}`,
    );
  try {
    const stats = parseDiagview(d.stdout);
    return { ms: stats.totalInferenceUs / 1000, fallback: fallbackLayers(stats, o.runtime) };
  } catch (error) {
    throw new ToolError(d.command, (error as Error).message);
  }
}

/**
 * Measures a batch of prepared DLCs in one device round-trip (the adapter kit's remote batch): one
 * push of the staged folder, one `adb shell` running every model `rounds` times (rounds outermost),
 * one pull of every output, then the host snpe-diagview per SNPEDiag log. Returns, per model, the
 * ms per inference of each round.
 */
export async function runBatch(
  adb: RemoteSession,
  o: {
    remoteDir: string;
    runDir: string;
    stagingParent: string;
    items: readonly BatchItem[];
    rounds: number;
    runtime: SnpeRuntime;
    perfProfile: string;
    diagview: (log: string) => Promise<ToolResult>;
  },
): Promise<{ samples: number[][]; version?: string; fallback: (Fallback | null)[] }> {
  const version: { value?: string } = {};
  const fallback: (Fallback | null)[] = o.items.map(() => null);
  const samples = await runRemoteBatch(adb, {
    runDir: o.runDir,
    stagingParent: o.stagingParent,
    models: o.items.length,
    rounds: o.rounds,
    label: 'snpe-net-run batch',
    stage: (up) => stageItems(up, o.items),
    script: (runs) =>
      batchScript({
        root: o.remoteDir,
        runs: runs.map((r) => ({
          tag: r.tag,
          workDir: `${o.runDir}/m${r.model}`,
          outputDir: `output_r${r.round}`,
          args: buildNetRunArgs({
            container: path.basename((o.items[r.model] as BatchItem).container),
            inputList: 'input_list.txt',
            outputDir: `output_r${r.round}`,
            runtime: o.runtime,
            perfProfile: o.perfProfile,
          }),
        })),
      }),
    read: async (run, down, status, command) => {
      const r = await readRun({ ...o, serial: adb.serial }, run, down, status, command, version);
      fallback[run.model] = mergeFallback(fallback[run.model] ?? null, r.fallback);
      return r.ms;
    },
  });
  return { samples, ...(version.value ? { version: version.value } : {}), fallback };
}

/** Layers that ran elsewhere than the runtime asked for ({@link fallbackLayers}). */
export interface Fallback {
  readonly to: string;
  readonly layers: readonly string[];
}

/** The union of two rounds' fallen-back layers (a round may differ from another). */
function mergeFallback(a: Fallback | null, b: Fallback | null): Fallback | null {
  if (!a || !b) return a ?? b;
  return { to: [...new Set([...a.to.split('+'), ...b.to.split('+')])].join('+'), layers: [...new Set([...a.layers, ...b.layers])] };
}
