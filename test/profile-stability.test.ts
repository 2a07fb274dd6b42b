// `hurricane profile --until-stable` and the unstable-layer warning of `hurricane space` (issue 26),
// on the simulated device measuring in noisy interleaved rounds: real CLI processes, real store.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runCli, simProject } from './helpers.js';

const noisy = (roundNoise: number) => ({
  simDevice: { device: 'sim device', samples: 1, roundNoise },
  reduction: { bootstrap: 200 },
});

/** Per context of the store: the rounds of its measurements. */
function roundsByContext(project: string): Map<string, number> {
  const db = new Database(path.join(project, '.hurricane', 'latency.sqlite'), { readonly: true });
  try {
    const rows = db.prepare('SELECT context_id, measurement FROM operator_latency').all() as { context_id: string; measurement: string }[];
    return new Map(rows.map((r) => [r.context_id, (JSON.parse(r.measurement) as { rounds: { ms: number[] } }).rounds.ms.length]));
  } finally {
    db.close();
  }
}

describe('operator rankings that hold between profiles', () => {
  it('space warns, one line per unstable context, and names the command that measures more rounds', async () => {
    const dir = simProject(0, noisy(0.3));
    expect((await runCli(['profile'], dir)).code).toBe(0);
    const r = await runCli(['space', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const space = JSON.parse(r.stdout) as {
      layers: { contextId: string; unstable: boolean; paired: boolean; confidence: Record<string, number> }[];
    };
    const unstable = [...new Set(space.layers.filter((l) => l.unstable).map((l) => l.contextId))];
    // 30 % noise per round over 10 rounds: some near neighbours swap in the bootstrap
    expect(unstable.length).toBeGreaterThan(0);
    expect(space.layers.every((l) => l.paired)).toBe(true);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('warning: the kept set of context '));
    expect(warnings).toHaveLength(unstable.length);
    for (const [i, c] of unstable.entries()) {
      expect(warnings[i]).toMatch(
        new RegExp(
          `^warning: the kept set of context ${c} \\(layers? [\\d, ]+\\) is unstable \\(\\w+ \\d+ % of the bootstrap resamples\\): measure more rounds of it with 'hurricane profile --until-stable`,
        ),
      );
      const layer = space.layers.find((l) => l.contextId === c);
      expect(Math.min(...Object.values(layer?.confidence ?? {}))).toBeLessThan(0.9);
    }
  });

  it('--until-stable measures only the unstable contexts again, in more rounds each pass, and ends with fewer unstable ones', async () => {
    const dir = simProject(0, noisy(0.3));
    expect((await runCli(['profile'], dir)).code).toBe(0);
    const first = JSON.parse((await runCli(['space', '--json'], dir)).stdout) as { layers: { contextId: string; unstable: boolean }[] };
    const before = new Set(first.layers.filter((l) => l.unstable).map((l) => l.contextId));
    const r = await runCli(['profile', '--until-stable', '--stable-minutes', '0.2', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      reused: number;
      stability: { passes: { contexts: string[]; minRuns: number; minSessions: number }[]; unstable: string[] };
    };
    expect(out.reused).toBeGreaterThan(0); // the first profile was kept
    const { passes, unstable } = out.stability;
    expect(passes.length).toBeGreaterThan(0);
    expect(new Set(passes[0]?.contexts)).toEqual(before);
    // each pass doubles the runs, and only re-measures contexts the pass before left unstable
    passes.forEach((p, i) => {
      expect(p.minRuns).toBe(60 * 2 ** i);
      expect(p.minSessions).toBe(Math.min(6 * 2 ** i, 16));
      if (i > 0) for (const c of p.contexts) expect(passes[i - 1]?.contexts).toContain(c);
    });
    expect(unstable.length).toBeLessThan(before.size);
    // the store holds the last pass's rounds for the contexts measured again, 10 for the others
    const rounds = roundsByContext(dir);
    for (const [c, n] of rounds) {
      const last = [...passes].reverse().find((p) => p.contexts.includes(c));
      expect(n, c).toBe(last ? last.minRuns / 3 : 10);
    }
    expect(r.stderr).toMatch(/unstable kept sets: .* measuring them again with at least 60 runs in 6 sessions each/);
    // and space agrees with what --until-stable reported
    const after = JSON.parse((await runCli(['space', '--json'], dir)).stdout) as { layers: { contextId: string; unstable: boolean }[] };
    expect([...new Set(after.layers.filter((l) => l.unstable).map((l) => l.contextId))].sort()).toEqual([...unstable].sort());
    expect(readFileSync(path.join(dir, '.hurricane', 'sim', 'mnist', 'space.json'), 'utf8')).toContain('"confidence"');
  }, 120_000);

  it('a bad --stable-minutes, or --stable-minutes without --until-stable, is a usage error (exit 2)', async () => {
    const dir = simProject(0, noisy(0.3));
    const zero = await runCli(['profile', '--until-stable', '--stable-minutes', '0'], dir);
    expect(zero.code).toBe(2);
    expect(zero.stderr.trim()).toBe("hurricane: --stable-minutes must be a number > 0, got '0'");
    const alone = await runCli(['profile', '--stable-minutes', '3'], dir);
    expect(alone.code).toBe(2);
    expect(alone.stderr.trim()).toBe('hurricane: --stable-minutes goes with --until-stable');
  });
});
