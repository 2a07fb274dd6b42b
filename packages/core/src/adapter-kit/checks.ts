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

const DEVICE_CHECK = 'device (adb)';
const RESTART_ADB = 'restart the adb server: adb kill-server && adb start-server';

/** A failed device check. */
function noDevice(status: HealthCheck['status'], detail: string, fix: string): { check: HealthCheck; device: null } {
  return { device: null, check: { name: DEVICE_CHECK, status, detail, fix } };
}

/** The devices `adb devices -l` lists, or the failed check that says why there is no list. */
async function listDevices(
  runner: ToolRunner,
  adbPath: string,
  options: { env: Environment; timeoutMs?: number },
): Promise<AdbDevice[] | { check: HealthCheck; device: null }> {
  const result = await runner
    .run(adbPath, ['devices', '-l'], { timeoutMs: options.timeoutMs ?? 20_000, env: options.env })
    .catch((error: unknown) => error as Error);
  if (result instanceof Error) return noDevice('error', result.message, 'check that adb runs: adb devices -l');
  if (result.timedOut) return noDevice('error', "'adb devices -l' did not answer in time", RESTART_ADB);
  try {
    return parseAdbDevices(result.stdout);
  } catch {
    const said = (result.stderr || result.stdout).trim().split('\n')[0] ?? '';
    return noDevice('error', `'adb devices -l' failed (exit ${String(result.exitCode)}): ${said}`, RESTART_ADB);
  }
}

/** The device to use among those listed: `serial` when given, else the only one; a failed check otherwise. */
function pickDevice(
  devices: readonly AdbDevice[],
  options: { serial?: string | undefined; serialKey: string },
): AdbDevice | { check: HealthCheck; device: null } {
  const serials = devices.map((d) => d.serial).join(', ');
  if (devices.length === 0)
    return noDevice(
      'missing',
      'no Android device is connected',
      "connect the device over USB with USB debugging enabled, then check 'adb devices -l'",
    );
  if (options.serial !== undefined) {
    const found = devices.find((d) => d.serial === options.serial);
    if (found) return found;
    const fix = `connect it, or set '${options.serialKey}' to one of the connected serials`;
    return noDevice('missing', `device '${options.serial}' is not connected (connected: ${serials})`, fix);
  }
  if (devices.length > 1) {
    const fix = `set '${options.serialKey}' in the config to the serial of the one to measure`;
    return noDevice('error', `${devices.length} devices are connected (${serials}) and none is selected`, fix);
  }
  return devices[0] as AdbDevice;
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
  const devices = await listDevices(runner, adbPath, options);
  if (!Array.isArray(devices)) return devices;
  const device = pickDevice(devices, options);
  if ('check' in device) return device;
  const fix = adbStateFix(device);
  const model = device.properties.model ? ` ${device.properties.model}` : '';
  if (fix) return { device, check: { name: DEVICE_CHECK, status: 'error', detail: `${device.serial}${model} is ${device.state}`, fix } };
  return { device, check: { name: DEVICE_CHECK, status: 'ok', detail: `${device.serial}${model}` } };
}

/** The failing checks of a health report as one line (`name: detail; name: detail`), for "not ready" messages. */
export function failingChecks(report: HealthReport): string {
  return report.checks
    .filter((c) => c.status === 'missing' || c.status === 'error')
    .map((c) => `${c.name}: ${c.detail}`)
    .join('; ');
}
