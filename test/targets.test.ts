// Named targets (issue 23, item 1) with real `hurricane` processes on the simulated device: two
// instances of one adapter, each with options of its own, are two targets with two stores of
// provenance and two reduced spaces; commands take --target and work on every target by default.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { makeProject, pkgDir, runCli } from './helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const SIM = "export { simulatedDevicePlugin as default } from '@hurricane/core/testing/simulated';\n";

/** A project with the simulated device (one sample, no wobble: a latency is exactly its model's size / 100 KiB ms) and `config`. */
function project(config: Record<string, unknown>): string {
  const dir = makeProject(
    {
      'sim.mjs': SIM,
      'hurricane.config.json': JSON.stringify({ plugins: ['./sim.mjs'], preset: 'mnist', simDevice: { samples: 1 }, ...config }),
    },
    { '@hurricane/core': pkgDir('core') },
  );
  dirs.push(dir);
  return dir;
}

/** Two instances of the sim adapter: `fast` as the block says, `slow` on another device at twice the latency. */
const TWO = {
  fast: { adapter: 'sim', fingerprint: 'sim-fast' },
  slow: { adapter: 'sim', fingerprint: 'sim-slow', device: 'slow board', runtimeScale: 2 },
};

/** Operator medians of the store by fingerprint: `operator@context` → ms. */
function medians(dir: string): Map<string, Map<string, number>> {
  const db = new Database(path.join(dir, '.hurricane', 'latency.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT device_fingerprint, operator, context_id, median_ms FROM operator_latency').all() as {
      device_fingerprint: string;
      operator: string;
      context_id: string;
      median_ms: number;
    }[];
    const out = new Map<string, Map<string, number>>();
    for (const r of rows) {
      const m = out.get(r.device_fingerprint) ?? new Map<string, number>();
      m.set(`${r.operator}@${r.context_id}`, r.median_ms);
      out.set(r.device_fingerprint, m);
    }
    return out;
  } finally {
    db.close();
  }
}

/** The first line of stderr, with the exit code. */
const oneLine = (r: { code: number; stderr: string }) => [r.code, r.stderr.trim().split('\n').length, r.stderr.trim()] as const;

describe('named targets: several adapter instances in one config', { timeout: 120_000 }, () => {
  it('two instances of one adapter keep two stores of provenance and two spaces; --target picks one, every target by default', async () => {
    const dir = project({ targets: TWO });
    const one = await runCli(['profile', '--target', 'fast'], dir);
    expect(one.code, one.stderr).toBe(0);
    expect([...medians(dir).keys()]).toEqual(['sim-fast']);
    expect(one.stdout).toContain('256 operator measurements, 256 new');

    const all = await runCli(['profile'], dir);
    expect(all.code, all.stderr).toBe(0);
    // the fast target's measurements are reused, the slow one's all new
    expect(all.stdout).toMatch(/== target fast \(sim\) ==\n.*256 operator measurements, 0 new, 256 reused/);
    expect(all.stdout).toMatch(/== target slow \(sim\) ==\n.*256 operator measurements, 256 new/);
    const m = medians(dir);
    const fast = m.get('sim-fast') ?? new Map<string, number>();
    const slow = m.get('sim-slow') ?? new Map<string, number>();
    expect([fast.size, slow.size]).toEqual([256, 256]);
    // the slow target's options reached its adapter: every latency exactly twice the same model's on fast
    for (const [k, v] of fast) expect(slow.get(k)).toBeCloseTo(2 * v, 12);

    const space = await runCli(['space', '--json'], dir);
    expect(space.code, space.stderr).toBe(0);
    const spaces = JSON.parse(space.stdout) as Record<string, { deviceFingerprint: string; device: string }>;
    expect(Object.keys(spaces)).toEqual(['fast', 'slow']);
    expect([spaces.fast?.deviceFingerprint, spaces.slow?.deviceFingerprint, spaces.slow?.device]).toEqual([
      'sim-fast',
      'sim-slow',
      'slow board',
    ]);
    for (const t of ['fast', 'slow']) {
      const file = path.join(dir, '.hurricane', t, 'mnist', 'space.json');
      expect(JSON.parse(readFileSync(file, 'utf8')).deviceFingerprint).toBe(`sim-${t}`);
    }
  });

  it('doctor checks each target and exits 1 when one of them is not ready; --target narrows it', async () => {
    const dir = project({ targets: { ...TWO, off: { adapter: 'sim', fingerprint: 'sim-off', ready: false } } });
    const all = await runCli(['doctor'], dir);
    expect(all.code).toBe(1);
    expect(all.stdout).toMatch(/^fast \(sim\): ready$/m);
    expect(all.stdout).toMatch(/^off \(sim\): NOT READY$/m);
    expect(all.stdout.trim().split('\n').at(-1)).toBe(
      "The selected targets 'fast, slow, off' are not ready: apply the fixes above, or pick another with --target.",
    );
    const two = await runCli(['doctor', '--target', 'fast', '--target', 'slow'], dir);
    expect(two.code, two.stdout).toBe(0);
    expect(two.stdout).not.toContain('off (sim)');
  });

  it('a bad target is one line naming it and the fix, exit 2', async () => {
    const dir = project({ targets: TWO });
    expect(oneLine(await runCli(['profile', '--target', 'fats'], dir))).toEqual([
      2,
      1,
      "hurricane: --target 'fats' is not a target of this run — did you mean 'fast'?; targets: fast, slow",
    ]);
    expect(oneLine(await runCli(['--hardware', 'sim', 'doctor'], dir))).toEqual([
      2,
      1,
      "hurricane: command line: --hardware is the shorthand for one target and cannot stand beside 'targets': remove it, and pick targets with --target <name>",
    ]);
    const file = path.join(project({ hardware: 'sim', targets: TWO }), 'hurricane.config.json');
    expect(oneLine(await runCli(['doctor'], path.dirname(file)))).toEqual([
      2,
      1,
      `hurricane: ${file}: 'hardware' is the shorthand for one target and cannot stand beside 'targets': remove it, and pick targets with --target <name>`,
    ]);
    // the target's options are checked by the schema of the plugin that provides its adapter
    const badOption = project({ targets: { fast: { adapter: 'sim', runtimeScale: -1 } } });
    expect(oneLine(await runCli(['doctor'], badOption))).toEqual([
      2,
      1,
      `hurricane: ${path.join(badOption, 'hurricane.config.json')}: 'targets.fast.runtimeScale' expected a number > 0, found number -1 (checked by plugin hurricane-sim-device)`,
    ]);
    const badName = project({ targets: { Fast: { adapter: 'sim' } } });
    expect(oneLine(await runCli(['doctor'], badName))[2]).toMatch(
      /'targets\.Fast': rename the target: lower-case letters, digits, _ and - only/,
    );
    const noAdapter = project({ targets: { fast: { adapter: 'simm' } } });
    expect(oneLine(await runCli(['doctor'], noAdapter))).toEqual([
      2,
      1,
      `hurricane: hardware 'simm' (from 'targets.fast.adapter' in ${path.join(noAdapter, 'hurricane.config.json')}) is not provided by any loaded plugin — did you mean 'sim'?; available: sim`,
    ]);
  });

  it('a search on a run with several targets needs --target or latency limits naming them; a bad one is one line (exit 2 before any work)', async () => {
    const dir = project({ targets: TWO });
    expect(oneLine(await runCli(['search'], dir))).toEqual([
      2,
      1,
      "hurricane: this run has 2 targets (fast, slow): pick the one to search on with --target <name>, or put a latency limit on each target to search for all of them (search.constraints: [{ metric: 'latency', target: 'fast', max: … }, …])",
    ]);
    const limitOn = project({ targets: TWO, search: { constraints: [{ metric: 'latency', target: 'slwo', max: 1 }] } });
    expect(oneLine(await runCli(['search'], limitOn))).toEqual([
      2,
      1,
      "hurricane: search.constraints: a latency limit is on target 'slwo', which is not a target of this run — did you mean 'slow'?; targets: fast, slow",
    ]);
    const other = project({ targets: TWO, search: { constraints: [{ metric: 'latency', target: 'slow', max: 1 }] } });
    expect(oneLine(await runCli(['search', '--target', 'fast'], other))[2]).toMatch(
      /^hurricane: search\.constraints: the latency limits are on 'slow', but --target asks for 'fast'/,
    );
    const unnamed = project({
      targets: TWO,
      search: {
        constraints: [
          { metric: 'latency', target: 'fast', max: 1 },
          { metric: 'latency', max: 2 },
        ],
      },
    });
    expect(oneLine(await runCli(['search'], unnamed))[2]).toBe(
      `hurricane: ${path.join(unnamed, 'hurricane.config.json')}: 'search.constraints[1].target': with a latency limit on each of several targets, every latency limit names its target (target: '<name>'), found nothing`,
    );
    expect(existsSync(path.join(dir, '.hurricane', 'runs'))).toBe(false);
  });
});
