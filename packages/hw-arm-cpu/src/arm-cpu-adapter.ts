import os from 'node:os';
import {
  type HardwareAdapter,
  type HardwareDescription,
  type HealthCheck,
  type HealthReport,
  type LatencyMeasurement,
  type PreparedModel,
  HurricaneError,
  UnsupportedError,
} from '@hurricane/core/plugin';
import type { ArmCpuOptions } from './options.js';
import { loadOrt, ortVersion } from './runtime.js';

/** The host CPU as Node sees it. */
export function hostCpu(): { model: string; cores: number; arch: string } {
  const cpus = os.cpus();
  return { model: cpus[0]?.model.trim() || 'unknown CPU', cores: cpus.length, arch: os.arch() };
}

/**
 * Measures latency with ONNX Runtime (onnxruntime-node) in-process on the host CPU (`arm-cpu`).
 * ARM CPUs are the target, but it runs on any host. This release implements the health check;
 * the measurement protocol arrives with the profiling work and reports that plainly until then.
 */
export class ArmCpuAdapter implements HardwareAdapter {
  readonly id = 'arm-cpu';
  readonly description = 'ARM (or host) CPU via ONNX Runtime, in-process';

  constructor(private readonly options: ArmCpuOptions) {}

  async describe(): Promise<HardwareDescription> {
    const cpu = hostCpu();
    const ort = await loadOrt(this.options.runtimeModule);
    return {
      adapterId: this.id,
      device: `${cpu.model} (${cpu.arch}, ${cpu.cores} cores)`,
      runtime: 'ONNX Runtime',
      runtimeVersion: ort instanceof Error ? 'unknown' : ortVersion(ort),
    };
  }

  async healthCheck(): Promise<HealthReport> {
    const checks: HealthCheck[] = [];
    const ort = await loadOrt(this.options.runtimeModule);
    checks.push(
      ort instanceof Error
        ? {
            name: 'ONNX Runtime',
            status: 'missing',
            detail: `'${this.options.runtimeModule}' cannot be loaded: ${ort.message.split('\n')[0]}`,
            fix: `run 'npm install ${this.options.runtimeModule}' (its CPU binaries ship in the package)`,
          }
        : { name: 'ONNX Runtime', status: 'ok', detail: `${this.options.runtimeModule} ${ortVersion(ort)}` },
    );
    const cpu = hostCpu();
    const isArm = cpu.arch === 'arm64' || cpu.arch === 'arm';
    checks.push(
      isArm
        ? { name: 'CPU', status: 'ok', detail: `${cpu.model}, ${cpu.cores} cores (${cpu.arch})` }
        : {
            name: 'CPU',
            status: 'warn',
            detail: `${cpu.model}, ${cpu.cores} cores (${cpu.arch}): not an ARM CPU, so latencies describe this host`,
          },
    );
    checks.push(
      this.options.threads <= cpu.cores
        ? { name: 'threads', status: 'ok', detail: `${this.options.threads} of ${cpu.cores} cores` }
        : {
            name: 'threads',
            status: 'warn',
            detail: `armCpu.threads is ${this.options.threads} but the host has ${cpu.cores} cores; threads will compete`,
          },
    );
    return { adapterId: this.id, ready: checks.every((c) => c.status === 'ok' || c.status === 'warn'), checks };
  }

  async prepare(): Promise<PreparedModel> {
    const ort = await loadOrt(this.options.runtimeModule);
    if (ort instanceof Error) {
      throw new HurricaneError(
        `arm-cpu: ONNX Runtime ('${this.options.runtimeModule}') cannot be loaded: run 'npm install ${this.options.runtimeModule}'`,
      );
    }
    throw this.notYet('preparing models');
  }

  async measure(): Promise<LatencyMeasurement> {
    throw this.notYet('measuring latency');
  }

  private notYet(what: string): UnsupportedError {
    return new UnsupportedError(
      `${this.id}: ${what} is not available in @hurricane/hw-arm-cpu 0.1.0 (this release checks ONNX Runtime and the CPU only)`,
    );
  }
}
