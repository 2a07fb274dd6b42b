import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type {
  Environment,
  HardwareAdapter,
  HardwareDescription,
  HealthCheck,
  HealthReport,
  LatencyMeasurement,
  PreparedModel,
  ToolRunner,
} from '@hurricane/core/plugin';
import { UnsupportedError, checkAdbDevice, checkExecutable } from '@hurricane/core/adapter-kit';
import type { SnpeOptions as Options } from './options.js';
import { parseSnpeVersion } from './version.js';

import { SNPE_RUNTIMES, type SnpeRuntime } from './runtimes.js';

export { SNPE_RUNTIMES, type SnpeRuntime } from './runtimes.js';

const SDK_FIX =
  "install the Qualcomm Neural Processing SDK (SNPE/QAIRT), run 'source <sdk>/bin/envsetup.sh' (sets SNPE_ROOT), or set 'snpe.sdkRoot'";

/**
 * Measures latency with Qualcomm SNPE on an Android device over adb (`snpe-dsp`, `snpe-gpu`,
 * `snpe-cpu`). This release implements the health check; conversion and measurement arrive
 * with the SNPE measurement work and report that plainly until then.
 */
export class SnpeAdapter implements HardwareAdapter {
  readonly id: string;
  readonly description: string;

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

  async describe(): Promise<HardwareDescription> {
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
    return { adapterId: this.id, ready: checks.every((c) => c.status === 'ok' || c.status === 'warn'), checks };
  }

  async prepare(): Promise<PreparedModel> {
    throw this.notYet('converting ONNX models to DLC');
  }

  async measure(): Promise<LatencyMeasurement> {
    throw this.notYet('measuring latency');
  }

  private notYet(what: string): UnsupportedError {
    return new UnsupportedError(
      `${this.id}: ${what} is not available in @hurricane/hw-snpe 0.1.0 (this release checks the SDK and device only); measure on the host with --hardware arm-cpu meanwhile`,
    );
  }
}
