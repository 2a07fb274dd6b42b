import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { conditionsOf, conditionsWarning, readConditions } from '../src/adapter-kit/host-conditions.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A sysfs tree as Linux lays it out: per-core cpufreq files in kHz, thermal zones in m°C. */
function sysfs(cores: { governor: string; curKHz: number; maxKHz: number }[], tempsMilliC: number[]): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'hurricane-sysfs-'));
  roots.push(root);
  cores.forEach((c, i) => {
    const dir = path.join(root, 'sys/devices/system/cpu', `cpu${i}`, 'cpufreq');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'scaling_governor'), `${c.governor}\n`);
    writeFileSync(path.join(dir, 'scaling_cur_freq'), `${c.curKHz}\n`);
    writeFileSync(path.join(dir, 'cpuinfo_max_freq'), `${c.maxKHz}\n`);
  });
  mkdirSync(path.join(root, 'sys/devices/system/cpu/cpufreq'), { recursive: true }); // not a core: ignored
  tempsMilliC.forEach((t, i) => {
    const dir = path.join(root, 'sys/class/thermal', `thermal_zone${i}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'temp'), `${t}\n`);
  });
  return root;
}

describe('conditions of a measurement', () => {
  it('reads governor, mean current and highest maximum frequency (kHz → MHz) and the hottest zone (m°C → °C) from sysfs', () => {
    const root = sysfs(
      [
        { governor: 'schedutil', curKHz: 1_200_000, maxKHz: 2_400_000 },
        { governor: 'schedutil', curKHz: 1_300_000, maxKHz: 2_400_000 },
      ],
      [45_000, 61_500],
    );
    expect(readConditions({ root, cores: 2, loadAverage: () => 0.3 })).toEqual({
      loadAverage: 0.3,
      governor: 'schedutil',
      frequencyMHz: 1250, // (1.2 + 1.3) GHz / 2
      maxFrequencyMHz: 2400,
      temperatureC: 61.5,
    });
  });

  it('a machine without cpufreq or thermal files (a VM) gives the load average alone', () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'hurricane-sysfs-'));
    roots.push(root);
    expect(readConditions({ root, cores: 2, loadAverage: () => 1.1 })).toEqual({ loadAverage: 1.1 });
  });

  it('flags load when other processes keep more than half the free cores busy, and throttling below 80 % of the maximum frequency', () => {
    const quiet = { loadAverage: 1.2, frequencyMHz: 2300, maxFrequencyMHz: 2400 };
    // 2 cores, 1 measuring thread: other load 0.2 ≤ 0.5 · (2 − 1)
    expect(conditionsOf(quiet, quiet, 2, 1)).toEqual({
      cores: 2,
      loadAverage: [1.2, 1.2],
      frequencyMHz: [2300, 2300],
      maxFrequencyMHz: 2400,
      flags: [],
    });
    // other load 1.8 − 1 = 0.8 > 0.5
    expect(conditionsOf(quiet, { ...quiet, loadAverage: 1.8 }, 2, 1).flags).toEqual(['load']);
    // 1900 < 0.8 · 2400 = 1920
    const hot = conditionsOf(quiet, { ...quiet, frequencyMHz: 1900 }, 2, 1);
    expect(hot.flags).toEqual(['throttled']);
    expect(conditionsWarning(hot)).toBe('measured under CPU throttling (1900 of 2400 MHz): this figure may not repeat');
    // 8 cores, 4 threads: other load 2.5 > 0.5 · 4 = 2
    expect(conditionsOf({ loadAverage: 6.5 }, { loadAverage: 6 }, 8, 4).flags).toEqual(['load']);
    expect(conditionsWarning(conditionsOf({ loadAverage: 6.5 }, { loadAverage: 6 }, 8, 4))).toBe(
      'measured under heavy load from other processes (1-minute load 6.50 on 8 cores): this figure may not repeat',
    );
    expect(conditionsWarning(conditionsOf(quiet, quiet, 2, 1))).toBeNull();
  });
});
