import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FAKE_BIN, makeProject, pathWith, pkgDir, runCli } from './helpers.js';

const hurricane = (args: string[], cwd: string, env: Record<string, string>) => runCli(args, cwd, { env, timeout: 300_000 });

describe('hurricane profile --hardware openvino (fake ovc and benchmark_app on PATH)', () => {
  it('profiles every operator end to end through ovc and benchmark_app, as it would drive the real tools', async () => {
    const dir = makeProject(
      {
        'hurricane.config.json': JSON.stringify({
          plugins: ['@hurricane/hw-openvino'],
          preset: 'mnist',
          openvino: { rounds: 1, iterations: 20 },
        }),
      },
      { '@hurricane/core': pkgDir('core'), '@hurricane/hw-openvino': pkgDir('hw-openvino') },
    );
    const argv = path.join(dir, 'argv.jsonl');
    const env = { PATH: pathWith(FAKE_BIN), FAKE_OPENVINO_ARGV: argv };
    const doctor = await hurricane(['doctor', '--hardware', 'openvino'], dir, env);
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
    expect(doctor.stdout).toMatch(/CPU answers with OpenVINO 2024\.4\.0-16579-c3152d32c9c-releases\/2024\/4 \(executes on CPU\)/);
    const r = await hurricane(['profile', '--hardware', 'openvino', '--json'], dir, env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      adapterId: 'openvino',
      runtimeVersion: '2024.4.0-16579-c3152d32c9c-releases/2024/4',
      total: 256,
      measured: 256,
    });
    const runs = readFileSync(argv, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as string[]);
    expect(runs.filter((a) => a[0] === 'ovc')).toHaveLength(256 + 2 + 3); // every operator, the call-floor probe of doctor and of profile, and 3 canary networks
    expect(runs.filter((a) => a[0] === '-m').every((a) => a.includes('-api') && a[a.indexOf('-api') + 1] === 'sync')).toBe(true);
    const space = await hurricane(['space', '--hardware', 'openvino', '--json'], dir, env);
    expect(space.code, space.stderr).toBe(0);
    expect(JSON.parse(space.stdout).candidates.flat()).toHaveLength(84);
  }, 300_000);
});
