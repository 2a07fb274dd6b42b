import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAKE_BIN, FAKE_SNPE_ROOT, makeProject, pathWith, pkgDir, runCli } from './helpers.js';

const hurricane = (args: string[], cwd: string, env: Record<string, string>) => runCli(args, cwd, { env, timeout: 400_000 });

describe('hurricane profile --hardware snpe-dsp (fake SNPE SDK, fake adb device)', () => {
  it('profiles every operator end to end: convert, quantize, one device round-trip per layer context', async () => {
    const dir = makeProject(
      { 'hurricane.config.json': JSON.stringify({ plugins: ['@hurricane/hw-snpe'], preset: 'mnist', snpe: { rounds: 1, inferences: 4 } }) },
      { '@hurricane/core': pkgDir('core'), '@hurricane/hw-snpe': pkgDir('hw-snpe') },
    );
    const device = mkdtempSync(path.join(os.tmpdir(), 'hurricane-device-'));
    const argv = path.join(dir, 'adb-argv.jsonl');
    const env = {
      PATH: pathWith(FAKE_BIN),
      SNPE_ROOT: FAKE_SNPE_ROOT,
      FAKE_ADB_STATE: 'device',
      FAKE_ADB_DEVICE_DIR: device,
      FAKE_ADB_ARGV: argv,
    };
    const doctor = await hurricane(['doctor', '--hardware', 'snpe-dsp'], dir, env);
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
    const r = await hurricane(['profile', '--hardware', 'snpe-dsp', '--json'], dir, env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ adapterId: 'snpe-dsp', total: 256, measured: 256 });
    const calls = readFileSync(argv, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    const runs = calls.filter((c) => c[3] === 'shell' && (c[4] as string).includes('snpe-net-run'));
    expect(runs).toHaveLength(8 + 1); // the mnist preset has 8 distinct layer contexts of 32 operators each; the canaries are one more batch
    expect(calls.filter((c) => c[3] === 'push' && String(c[5]).endsWith('/lib'))).toHaveLength(1); // libraries pushed once
    const space = await hurricane(['space', '--hardware', 'snpe-dsp', '--json'], dir, env);
    expect(space.code, space.stderr).toBe(0);
    const reduced = JSON.parse(space.stdout);
    expect(reduced.candidates.flat()).toHaveLength(84);
    // a device whose DSP cannot run layer 3: the network is measured with that layer on the CPU, and said so
    const arch = (reduced.initialArch as string[]).join(',');
    const mixed = await hurricane(['latency', '--hardware', 'snpe-dsp', '--arch', arch], dir, { ...env, FAKE_SNPE_CPU_LAYERS: '3' });
    expect(mixed.code, mixed.stderr).toBe(0);
    expect(mixed.stdout).toMatch(/^warning: 1 layer ran on the CPU \(3\): this latency is a mix of processors$/m);
  }, 400_000);
});
