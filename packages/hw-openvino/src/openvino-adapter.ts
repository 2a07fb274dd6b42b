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
import { UnsupportedError, checkExecutable } from '@hurricane/core/adapter-kit';
import type { OpenvinoOptions } from './options.js';

const INSTALL_FIX =
  "install OpenVINO ('pip install openvino' gives benchmark_app and ovc; for MYRIAD use the 2022.3 LTS archive and 'source <openvino>/setupvars.sh') or set 'openvino.benchmarkApp'";

/**
 * Measures latency with Intel OpenVINO's benchmark_app on the configured device (`openvino`).
 * This release implements the health check; conversion and measurement arrive with the
 * OpenVINO measurement work and report that plainly until then.
 */
export class OpenvinoAdapter implements HardwareAdapter {
  readonly id = 'openvino';
  readonly description: string;

  constructor(
    private readonly options: OpenvinoOptions,
    private readonly runner: ToolRunner,
    private readonly env: Environment,
  ) {
    this.description = `Intel OpenVINO benchmark_app on device ${options.device}`;
  }

  async describe(): Promise<HardwareDescription> {
    const report = await this.healthCheck();
    const app = report.checks.find((c) => c.name === 'benchmark_app');
    return {
      adapterId: this.id,
      device: app?.status === 'ok' ? this.options.device : 'unknown',
      runtime: 'Intel OpenVINO',
      // benchmark_app prints its build ('[ INFO ] Build ..... 2024.4.0-…') only when it runs a model.
      runtimeVersion: 'unknown',
      deviceFingerprint: 'unknown',
    };
  }

  async healthCheck(): Promise<HealthReport> {
    const checks: HealthCheck[] = [];
    const app = await checkExecutable(this.options.benchmarkApp, { env: this.env, label: 'benchmark_app', fix: INSTALL_FIX });
    checks.push(app.path ? { ...app.check, detail: `${app.path} (its OpenVINO build is read from the first measurement)` } : app.check);
    const converterFix = "install OpenVINO's converter ('pip install openvino' provides ovc; legacy mo comes with openvino-dev ≤ 2024)";
    if (this.options.converter === 'auto') {
      const ovc = await checkExecutable('ovc', { env: this.env, fix: converterFix });
      const mo = ovc.path ? null : await checkExecutable('mo', { env: this.env, fix: converterFix });
      checks.push(
        ovc.path
          ? { name: 'converter', status: 'ok', detail: `ovc at ${ovc.path}` }
          : mo?.path
            ? { name: 'converter', status: 'ok', detail: `mo at ${mo.path} (legacy)` }
            : { name: 'converter', status: 'missing', detail: "neither 'ovc' nor 'mo' is on PATH", fix: converterFix },
      );
    } else {
      const c = await checkExecutable(this.options.converter, { env: this.env, fix: converterFix, label: 'converter' });
      checks.push(c.check);
    }
    if (this.options.device === 'MYRIAD' || this.options.device === 'HDDL') {
      checks.push({
        name: 'device',
        status: 'warn',
        detail: `${this.options.device} needs OpenVINO 2022.3 LTS or older (its plugin was removed in 2023.0) and a connected stick; both are verified at the first measurement`,
      });
    } else {
      checks.push({ name: 'device', status: 'ok', detail: `${this.options.device} (verified by benchmark_app at the first measurement)` });
    }
    return { adapterId: this.id, ready: checks.every((c) => c.status === 'ok' || c.status === 'warn'), checks };
  }

  async prepare(): Promise<PreparedModel> {
    throw this.notYet('converting ONNX models to OpenVINO IR');
  }

  async measure(): Promise<LatencyMeasurement> {
    throw this.notYet('measuring latency');
  }

  private notYet(what: string): UnsupportedError {
    void this.runner;
    return new UnsupportedError(
      `${this.id}: ${what} is not available in @hurricane/hw-openvino 0.1.0 (this release checks the installation only); measure on the host with --hardware arm-cpu meanwhile`,
    );
  }
}
