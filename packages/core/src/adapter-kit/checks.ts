import type { Environment } from '../contracts/environment.js';
import type { HealthCheck, HealthReport } from '../contracts/hardware-adapter.js';
import type { ToolRunner } from '../contracts/tool-runner.js';
import { adbStateFix, parseAdbDevices, type AdbDevice } from './adb.js';
import { findExecutable } from './which.js';

/** Looks for an executable and phrases the result as a health check. */
export async function checkExecutable(
  name: string,
  options: { env: Environment; extraDirs?: readonly string[]; fix: string; label?: string },
): Promise<{ check: HealthCheck; path: string | null }> {
  const found = await findExecutable(name, { env: options.env, extraDirs: options.extraDirs ?? [] });
  const label = options.label ?? name;
  return found
    ? { path: found, check: { name: label, status: 'ok', detail: found } }
    : {
        path: null,
        check: {
          name: label,
          status: 'missing',
          detail: `'${name}' not found on PATH${options.extraDirs?.length ? ` or in ${options.extraDirs.join(', ')}` : ''}`,
          fix: options.fix,
        },
      };
}

/**
 * Runs `adb devices -l` and picks the device to use: `serial` when given, else the only one
 * connected. Reports what is wrong (no device, unauthorized, two devices without a serial, …).
 */
export async function checkAdbDevice(
  runner: ToolRunner,
  adbPath: string,
  options: { env: Environment; serial?: string | undefined; serialKey: string; timeoutMs?: number },
): Promise<{ check: HealthCheck; device: AdbDevice | null }> {
  const name = 'device (adb)';
  const result = await runner
    .run(adbPath, ['devices', '-l'], { timeoutMs: options.timeoutMs ?? 20_000, env: options.env })
    .catch((error: unknown) => error as Error);
  if (result instanceof Error) {
    return { device: null, check: { name, status: 'error', detail: result.message, fix: 'check that adb runs: adb devices -l' } };
  }
  if (result.timedOut) {
    return {
      device: null,
      check: {
        name,
        status: 'error',
        detail: "'adb devices -l' did not answer in time",
        fix: 'restart the adb server: adb kill-server && adb start-server',
      },
    };
  }
  let devices: AdbDevice[];
  try {
    devices = parseAdbDevices(result.stdout);
  } catch {
    const said = (result.stderr || result.stdout).trim().split('\n')[0] ?? '';
    return {
      device: null,
      check: {
        name,
        status: 'error',
        detail: `'adb devices -l' failed (exit ${String(result.exitCode)}): ${said}`,
        fix: 'restart the adb server: adb kill-server && adb start-server',
      },
    };
  }
  if (devices.length === 0) {
    return {
      device: null,
      check: {
        name,
        status: 'missing',
        detail: 'no Android device is connected',
        fix: "connect the device over USB with USB debugging enabled, then check 'adb devices -l'",
      },
    };
  }
  let device: AdbDevice | undefined;
  if (options.serial !== undefined) {
    device = devices.find((d) => d.serial === options.serial);
    if (!device) {
      return {
        device: null,
        check: {
          name,
          status: 'missing',
          detail: `device '${options.serial}' is not connected (connected: ${devices.map((d) => d.serial).join(', ')})`,
          fix: `connect it, or set '${options.serialKey}' to one of the connected serials`,
        },
      };
    }
  } else if (devices.length > 1) {
    return {
      device: null,
      check: {
        name,
        status: 'error',
        detail: `${devices.length} devices are connected (${devices.map((d) => d.serial).join(', ')}) and none is selected`,
        fix: `set '${options.serialKey}' in the config to the serial of the one to measure`,
      },
    };
  } else device = devices[0];
  if (!device) throw new Error('unreachable');
  const fix = adbStateFix(device);
  const model = device.properties.model ? ` ${device.properties.model}` : '';
  if (fix) {
    return { device, check: { name, status: 'error', detail: `${device.serial}${model} is ${device.state}`, fix } };
  }
  return { device, check: { name, status: 'ok', detail: `${device.serial}${model}` } };
}

/** The failing checks of a health report as one line (`name: detail; name: detail`), for "not ready" messages. */
export function failingChecks(report: HealthReport): string {
  return report.checks
    .filter((c) => c.status === 'missing' || c.status === 'error')
    .map((c) => `${c.name}: ${c.detail}`)
    .join('; ');
}
