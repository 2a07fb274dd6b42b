import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MeasurementConditions } from '../contracts/hardware-adapter.js';

/** One reading of the host's conditions. */
export interface ConditionsReading {
  readonly loadAverage: number;
  readonly governor?: string;
  readonly frequencyMHz?: number;
  readonly maxFrequencyMHz?: number;
  readonly temperatureC?: number;
}

/** Where the readings come from: the sysfs root (`/` on Linux; a folder in tests) and the load average. */
export interface ConditionsSource {
  readonly root: string;
  readonly cores: number;
  readonly loadAverage: () => number;
}

/** The host as Node sees it; `HURRICANE_SYS_ROOT` moves the sysfs root (tests, containers with a bind-mounted /sys). */
export function hostConditionsSource(env: Readonly<Record<string, string | undefined>> = process.env): ConditionsSource {
  return { root: env.HURRICANE_SYS_ROOT ?? '/', cores: os.cpus().length, loadAverage: () => os.loadavg()[0] ?? 0 };
}

const text = (file: string): string | undefined => {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
};
const numberIn = (file: string): number | undefined => {
  const t = text(file);
  const n = t === undefined || t === '' ? Number.NaN : Number(t);
  return Number.isFinite(n) ? n : undefined;
};
const list = (dir: string, re: RegExp): string[] => {
  try {
    return readdirSync(dir).filter((f) => re.test(f));
  } catch {
    return [];
  }
};

/**
 * Reads the cpufreq governor and current and maximum frequency of every core
 * (`/sys/devices/system/cpu/cpu<N>/cpufreq/{scaling_governor,scaling_cur_freq,cpuinfo_max_freq}`,
 * kHz) and the hottest thermal zone (`/sys/class/thermal/thermal_zone<N>/temp`, m°C), with the
 * 1-minute load average. What the platform does not expose is left out.
 */
export function readConditions(src: ConditionsSource): ConditionsReading {
  const cpuDir = path.join(src.root, 'sys/devices/system/cpu');
  const cores = list(cpuDir, /^cpu\d+$/).map((c) => path.join(cpuDir, c, 'cpufreq'));
  const governors = [...new Set(cores.map((c) => text(path.join(c, 'scaling_governor'))).filter((g): g is string => !!g))].sort();
  const cur = cores.map((c) => numberIn(path.join(c, 'scaling_cur_freq'))).filter((v): v is number => v !== undefined);
  const max = cores.map((c) => numberIn(path.join(c, 'cpuinfo_max_freq'))).filter((v): v is number => v !== undefined);
  const zones = path.join(src.root, 'sys/class/thermal');
  const temps = list(zones, /^thermal_zone\d+$/)
    .map((z) => numberIn(path.join(zones, z, 'temp')))
    .filter((v): v is number => v !== undefined);
  return {
    loadAverage: src.loadAverage(),
    ...(governors.length > 0 ? { governor: governors.join('/') } : {}),
    ...(cur.length > 0 ? { frequencyMHz: cur.reduce((a, b) => a + b, 0) / cur.length / 1000 } : {}),
    ...(max.length > 0 ? { maxFrequencyMHz: Math.max(...max) / 1000 } : {}),
    ...(temps.length > 0 ? { temperatureC: Math.max(...temps) / 1000 } : {}),
  };
}

/** A core below this share of its maximum frequency while measuring counts as throttled. */
export const THROTTLED_BELOW = 0.8;
/** Load from other processes above this share of the cores the measurement left free counts as heavy. */
export const BUSY_ABOVE = 0.5;

/**
 * The conditions of a measurement from readings before and after it, measuring with `threads`
 * threads: flagged `load` when the load average beyond the measurement's own threads exceeded
 * {@link BUSY_ABOVE} of the cores it left free (at least one), and `throttled` when the cores ran
 * below {@link THROTTLED_BELOW} of their maximum frequency at either reading.
 */
export function conditionsOf(before: ConditionsReading, after: ConditionsReading, cores: number, threads: number): MeasurementConditions {
  const pair = (k: 'frequencyMHz' | 'temperatureC') => {
    const a = before[k];
    const b = after[k];
    return a !== undefined && b !== undefined ? { [k]: [round(a), round(b)] as const } : {};
  };
  const other = Math.max(before.loadAverage, after.loadAverage) - threads;
  const flags: MeasurementConditions['flags'][number][] = [];
  if (other > BUSY_ABOVE * Math.max(1, cores - threads)) flags.push('load');
  const max = after.maxFrequencyMHz ?? before.maxFrequencyMHz;
  const slowest = Math.min(before.frequencyMHz ?? Number.POSITIVE_INFINITY, after.frequencyMHz ?? Number.POSITIVE_INFINITY);
  if (max !== undefined && slowest < THROTTLED_BELOW * max) flags.push('throttled');
  const governor = after.governor ?? before.governor;
  return {
    cores,
    loadAverage: [round(before.loadAverage), round(after.loadAverage)],
    ...(governor ? { governor } : {}),
    ...pair('frequencyMHz'),
    ...(max !== undefined ? { maxFrequencyMHz: round(max) } : {}),
    ...pair('temperatureC'),
    flags,
  };
}

const round = (v: number) => Math.round(v * 100) / 100;

/** One line for a flagged measurement: `heavy load (1-minute load 2.10 on 2 cores); throttled (1200 of 2400 MHz)`. */
export function conditionsWarning(c: MeasurementConditions): string | null {
  if (c.flags.length === 0) return null;
  const parts = c.flags.map((f) =>
    f === 'load'
      ? `heavy load from other processes (1-minute load ${Math.max(...c.loadAverage).toFixed(2)} on ${c.cores} cores)`
      : `CPU throttling (${Math.min(...(c.frequencyMHz ?? [0])).toFixed(0)} of ${(c.maxFrequencyMHz ?? 0).toFixed(0)} MHz)`,
  );
  return `measured under ${parts.join(' and ')}: this figure may not repeat`;
}
