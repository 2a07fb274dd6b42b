import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import type {
  Environment,
  HardwareAdapter,
  HardwareDescription,
  HealthCheck,
  HealthReport,
  LatencyMeasurement,
  MeasureOptions,
  OnnxModel,
  PreparedModel,
  ToolResult,
  ToolRunner,
} from '@hurricane/core/plugin';
import {
  HurricaneError,
  ToolError,
  assertPreparedBy,
  batchDir,
  checkAdbDevice,
  checkExecutable,
  connectAdb,
  findExecutable,
  hash32,
  healthReport,
  keepToolLog,
  measurementOf,
  outputExcerpt,
  sessionOf,
  withDeviceLock,
} from '@hurricane/core/adapter-kit';

import { type SdkFolders, runBatch, syncLibraries, writeInputs } from './snpe-pipeline.js';
import type { SnpeOptions as Options } from './options.js';
import { parseSnpeVersion } from './version.js';

import { SNPE_RUNTIMES, type SnpeRuntime } from './runtimes.js';

export { SNPE_RUNTIMES, type SnpeRuntime } from './runtimes.js';

const SDK_FIX =
  "install the Qualcomm Neural Processing SDK (SNPE/QAIRT), run 'source <sdk>/bin/envsetup.sh' (sets SNPE_ROOT), or set 'snpe.sdkRoot'";

/**
 * Measures latency with Qualcomm SNPE on an Android device over adb (`snpe-dsp`, `snpe-gpu`,
 * `snpe-cpu`): ONNX → DLC (quantized for the DSP) on the host, snpe-net-run on the device over
 * adb, the SNPEDiag log read by the host snpe-diagview.
 */
export class SnpeAdapter implements HardwareAdapter {
  readonly id: string;
  readonly description: string;
  private described: Promise<HardwareDescription> | undefined;

  constructor(
    readonly runtime: SnpeRuntime,
    private readonly options: Options,
    private readonly runner: ToolRunner,
    private readonly env: Environment,
  ) {
    this.id = `snpe-${runtime}`;
    this.description = `Qualcomm SNPE on the ${SNPE_RUNTIMES[runtime].label} of an Android device (adb)`;
  }

  private sdkRoot(): string | undefined {
    return this.options.sdkRoot ?? this.env.SNPE_ROOT;
  }

  private hostBinDirs(): string[] {
    const root = this.sdkRoot();
    return root ? [path.join(root, 'bin', 'x86_64-linux-clang')] : [];
  }

  /** The device and runtime, from the health check; once known, kept for the adapter's life (one session). */
  describe(): Promise<HardwareDescription> {
    this.described ??= this.describeNow().then((d) => {
      if (d.deviceFingerprint === 'unknown') this.described = undefined; // no device yet: ask again next time
      return d;
    });
    return this.described;
  }

  private async describeNow(): Promise<HardwareDescription> {
    const report = await this.healthCheck();
    const device = report.checks.find((c) => c.name === 'device (adb)');
    const version = report.checks.find((c) => c.name === 'snpe-net-run');
    return {
      adapterId: this.id,
      device: device?.status === 'ok' ? `${device.detail} (${SNPE_RUNTIMES[this.runtime].label})` : 'unknown',
      runtime: 'Qualcomm SNPE',
      runtimeVersion: version?.status === 'ok' ? (/version (\S+)/.exec(version.detail)?.[1] ?? 'unknown') : 'unknown',
      deviceFingerprint: device?.status === 'ok' ? `${device.detail.split(' ')[0]}|${this.runtime}|${this.options.perfProfile}` : 'unknown',
    };
  }

  async healthCheck(): Promise<HealthReport> {
    const checks: HealthCheck[] = [];
    const root = this.sdkRoot();
    const rootSource = this.options.sdkRoot !== undefined ? "'snpe.sdkRoot'" : 'SNPE_ROOT';
    if (root === undefined || root === '') {
      checks.push({ name: 'SNPE SDK', status: 'missing', detail: 'SNPE_ROOT is not set and snpe.sdkRoot is not configured', fix: SDK_FIX });
    } else if (!existsSync(root) || !statSync(root).isDirectory()) {
      checks.push({ name: 'SNPE SDK', status: 'error', detail: `${rootSource} points to ${root}, which is not a folder`, fix: SDK_FIX });
    } else {
      checks.push({ name: 'SNPE SDK', status: 'ok', detail: `${root} (from ${rootSource})` });
    }

    const dirs = this.hostBinDirs();
    const converter = await checkExecutable('snpe-onnx-to-dlc', { env: this.env, extraDirs: dirs, fix: SDK_FIX });
    checks.push(converter.check);
    const netRun = await checkExecutable('snpe-net-run', { env: this.env, extraDirs: dirs, fix: SDK_FIX });
    if (netRun.path) {
      const r = await this.runner
        .run(netRun.path, ['--version'], { timeoutMs: this.options.toolTimeoutMs, env: this.env })
        .catch((e: unknown) => e as Error);
      const version = r instanceof Error ? null : parseSnpeVersion(`${r.stdout}\n${r.stderr}`);
      checks.push(
        version
          ? { name: 'snpe-net-run', status: 'ok', detail: `${netRun.path}, version ${version}` }
          : {
              name: 'snpe-net-run',
              status: 'error',
              detail: `${netRun.path} --version printed no version (${r instanceof Error ? r.message : `exit ${String(r.exitCode)}`})`,
              fix: `run '${netRun.path} --version' by hand; reinstall the SDK if it fails`,
            },
      );
    } else checks.push(netRun.check);
    const diagview = await checkExecutable('snpe-diagview', { env: this.env, extraDirs: dirs, fix: SDK_FIX });
    checks.push(diagview.check);

    const adb = await checkExecutable(this.options.adb, {
      env: this.env,
      label: 'adb',
      fix: "install Android platform-tools (Debian: 'apt-get install adb') or set 'snpe.adb' to its path",
    });
    checks.push(adb.check);
    if (adb.path) {
      const device = await checkAdbDevice(this.runner, adb.path, {
        env: this.env,
        serial: this.options.serial,
        serialKey: 'snpe.serial',
        timeoutMs: this.options.toolTimeoutMs,
      });
      checks.push(device.check);
    } else {
      checks.push({
        name: 'device (adb)',
        status: 'missing',
        detail: 'cannot list devices without adb',
        fix: 'install adb first (see above)',
      });
    }
    return healthReport(this.id, checks);
  }

  /** A host tool of the SDK (`bin/x86_64-linux-clang`, then PATH); a ToolError naming SNPE_ROOT otherwise. */
  private async hostTool(name: string): Promise<string> {
    const found = await findExecutable(name, { env: this.env, extraDirs: this.hostBinDirs() });
    if (!found) throw new ToolError([name], `${this.id}: ${name} not found in SNPE_ROOT/bin/x86_64-linux-clang or on PATH: ${SDK_FIX}`);
    return found;
  }

  private async host(name: string, args: string[], o: { cwd?: string; signal?: AbortSignal; log: string }): Promise<ToolResult> {
    const r = await this.runner.run(await this.hostTool(name), args, {
      timeoutMs: this.options.toolTimeoutMs,
      env: this.env,
      ...(o.cwd ? { cwd: o.cwd } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    keepToolLog(path.join(o.log, 'logs'), name, r);
    if (r.timedOut)
      throw new ToolError(r.command, `${name} timed out after ${this.options.toolTimeoutMs} ms (its process tree was killed)`);
    return r;
  }

  /**
   * ONNX → DLC with `snpe-onnx-to-dlc`; seeded raw inputs and an input list; for the DSP, the
   * quantized DLC from `snpe-dlc-quantize` on those inputs. Everything lands in
   * `<workDir>/snpe/<runtime>/<model>/`, with the log of every command.
   */
  async prepare(model: OnnxModel, options?: { readonly workDir: string; readonly signal?: AbortSignal }): Promise<PreparedModel> {
    const name = path.basename(model.path, '.onnx');
    const dir = path.join(options?.workDir ?? '.', 'snpe', this.runtime, name);
    await this.hostTool('snpe-onnx-to-dlc'); // before anything is written
    if (this.runtime === 'dsp') await this.hostTool('snpe-dlc-quantize');
    mkdirSync(dir, { recursive: true });
    const signal = options?.signal;
    const dlc = path.join(dir, `${name}.dlc`);
    const c = await this.host('snpe-onnx-to-dlc', ['--input_network', model.path, '--output_path', dlc], {
      log: dir,
      ...(signal ? { signal } : {}),
    });
    if (c.exitCode !== 0 || !existsSync(dlc)) {
      const said = outputExcerpt(`${c.stderr}\n${c.stdout}`, { match: /ERROR|error/, from: 'start' });
      throw new ToolError(c.command, `snpe-onnx-to-dlc could not convert ${model.path} (exit ${c.exitCode}): ${said || 'no DLC written'}`);
    }
    writeInputs(dir, model.inputShape, this.options.calibrationInputs, this.options.inferences, hash32(model.path));
    if (this.runtime !== 'dsp') return { adapterId: this.id, source: model, artifactPath: dlc, format: 'dlc', commands: [c.command] };
    const quantized = path.join(dir, `${name}.quantized.dlc`);
    const q = await this.host('snpe-dlc-quantize', ['--input_dlc', dlc, '--input_list', 'input_list.txt', '--output_dlc', quantized], {
      cwd: dir,
      log: dir,
      ...(signal ? { signal } : {}),
    });
    if (q.exitCode !== 0 || !existsSync(quantized)) {
      throw new ToolError(
        q.command,
        `snpe-dlc-quantize could not quantize ${dlc} (exit ${q.exitCode}): ${outputExcerpt(q.stderr || q.stdout, { lines: 1, from: 'start' }) || 'no DLC written'}`,
      );
    }
    return { adapterId: this.id, source: model, artifactPath: quantized, format: 'dlc', commands: [c.command, q.command] };
  }

  private sdkFolders(): SdkFolders {
    const root = this.sdkRoot();
    if (!root) throw new ToolError([], `${this.id}: ${SDK_FIX}`);
    const bin = path.join(root, 'bin', this.options.targetArch);
    const lib = path.join(root, 'lib', this.options.targetArch);
    const dsp = path.join(root, 'lib', this.options.dspArch, 'unsigned');
    for (const [dir, key] of [
      [bin, 'targetArch'],
      [lib, 'targetArch'],
    ] as const) {
      if (!existsSync(dir))
        throw new ToolError(
          [],
          `${this.id}: ${dir} does not exist; set 'snpe.${key}' to the device build your SDK ships (ls ${path.join(root, 'lib')})`,
        );
    }
    if (this.runtime === 'dsp' && !existsSync(dsp)) {
      throw new ToolError(
        [],
        `${this.id}: ${dsp} does not exist; set 'snpe.dspArch' to your SoC's Hexagon version (ls ${path.join(root, 'lib')})`,
      );
    }
    return { bin, lib, dsp: this.runtime === 'dsp' ? dsp : null };
  }

  /** Measures one prepared model (a batch of one). */
  async measure(prepared: PreparedModel, options: MeasureOptions = {}): Promise<LatencyMeasurement> {
    const [m] = await this.measureBatch([prepared], options);
    return m as LatencyMeasurement;
  }

  /**
   * Measures a batch in one device round-trip (the adapter kit's remote batch): the device check,
   * the SDK's device files (pushed only when the device lacks this content hash), one push of every
   * model and its inputs, one `adb shell` running snpe-net-run `rounds` times per model (rounds
   * outermost, so drift affects every model alike), one pull of the outputs; each round's Total
   * Inference Time, read by the host snpe-diagview, is one sample. The run folder is removed from
   * the device, also after a failure.
   */
  async measureBatch(models: readonly PreparedModel[], options: MeasureOptions = {}): Promise<LatencyMeasurement[]> {
    assertPreparedBy(this.id, models);
    if (models.length === 0) return [];
    const modelDir = path.dirname((models[0] as PreparedModel).artifactPath);
    const adb = sessionOf(this.id, await this.connect(modelDir, options.signal));
    const folders = this.sdkFolders();
    const { remoteDir } = this.options;
    const signal = options.signal;
    const result = await withDeviceLock(this.env, `adb-${adb.serial}`, async () => {
      await syncLibraries(adb, remoteDir, folders);
      return runBatch(adb, {
        remoteDir,
        runDir: batchDir(remoteDir),
        stagingParent: path.dirname(modelDir),
        items: models.map((p) => ({ container: p.artifactPath })),
        rounds: this.options.rounds,
        runtime: this.runtime,
        perfProfile: this.options.perfProfile,
        diagview: (log: string) => this.host('snpe-diagview', ['--input_log', log], { log: modelDir, ...(signal ? { signal } : {}) }),
      });
    });
    this.refuseFallback(models, result.fallback);
    const d = await this.describe();
    const timestamp = new Date().toISOString();
    const settings = { runtime: this.runtime, perfProfile: this.options.perfProfile, inferences: this.options.inferences };
    return models.map((p, i) => {
      const samplesMs = result.samples[i] as number[];
      const fallback = result.fallback[i];
      return measurementOf(
        samplesMs,
        {
          ...{ adapterId: this.id, device: d.device, deviceFingerprint: d.deviceFingerprint, runtime: 'Qualcomm SNPE' },
          ...{ runtimeVersion: result.version ?? d.runtimeVersion, commands: [...p.commands, ...adb.commands], timestamp },
          settings: { ...settings, rounds: this.options.rounds, serial: adb.serial, batch: models.length },
        },
        { runs: samplesMs.length * this.options.inferences, ...(fallback ? { fallback } : {}) },
      );
    });
  }

  /** With `snpe.fallback: 'error'`, the first model some of whose layers ran elsewhere fails the batch in one line. */
  private refuseFallback(models: readonly PreparedModel[], fallback: readonly ({ to: string; layers: readonly string[] } | null)[]): void {
    if (this.options.fallback !== 'error') return;
    const i = fallback.findIndex((f) => f !== null);
    const f = fallback[i];
    if (!f) return;
    const source = (models[i] as PreparedModel).source.path;
    const model = path.join(path.basename(path.dirname(source)), path.basename(source));
    const layers = f.layers.slice(0, 5).join(', ') + (f.layers.length > 5 ? ` and ${f.layers.length - 5} more` : '');
    throw new HurricaneError(
      `${this.id}: ${model} ran ${f.layers.length === 1 ? 'layer' : 'layers'} ${layers} on the ${f.to}, not the ${SNPE_RUNTIMES[this.runtime].label}, and snpe.fallback is 'error': leave the operator out of the space or set snpe.fallback: 'flag' to keep such measurements, marked`,
    );
  }

  /** A session to the configured (or only) authorized device; logs go under `logDir/logs`. */
  private connect(logDir: string, signal?: AbortSignal) {
    return connectAdb(this.runner, {
      adb: this.options.adb,
      adbKey: 'snpe.adb',
      serial: this.options.serial,
      serialKey: 'snpe.serial',
      env: this.env,
      timeoutMs: this.options.toolTimeoutMs,
      retries: this.options.adbRetries,
      signal,
      onResult: (step, r) => keepToolLog(path.join(logDir, 'logs'), `adb-${step}`, r),
    });
  }
}
