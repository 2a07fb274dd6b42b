import path from 'node:path';
import { describe, expect, it } from 'vitest';
// The same tracer as `node scripts/loaded-modules.mjs` (run node with a module-resolution hook).
import { tracedRun } from '../scripts/loaded-modules.mjs';
import { CLI, makeProject, pkgDir } from './helpers.js';

/** A project with core and every official plugin installed (symlinked, built packages). */
function project(files: Record<string, string> = {}): string {
  return makeProject(files, {
    '@hurricane/core': pkgDir('core'),
    '@hurricane/hw-arm-cpu': pkgDir('hw-arm-cpu'),
    '@hurricane/hw-snpe': pkgDir('hw-snpe'),
    '@hurricane/hw-openvino': pkgDir('hw-openvino'),
    '@hurricane/predictors': pkgDir('predictors'),
  });
}

function load(cwd: string, code: string): { heavy: string[]; status: number | null; stderr: string } {
  return tracedRun(['--input-type=module', '-e', code], { cwd });
}

describe('entry points load only what they need (modules traced in a real node process)', () => {
  it('@hurricane/core/plugin loads neither TF.js nor protobufjs nor any other heavy module', () => {
    const r = load(project(), "await import('@hurricane/core/plugin');");
    expect(r.stderr).toBe('');
    expect(r.heavy).toEqual([]);
  });

  it('@hurricane/core/adapter-kit is light until callFloorModel() is called, which loads only protobufjs', () => {
    const dir = project();
    expect(load(dir, "await import('@hurricane/core/adapter-kit');").heavy).toEqual([]);
    const r = load(
      dir,
      "const k = await import('@hurricane/core/adapter-kit'); const m = await k.callFloorModel(); if (!(m.length > 0)) process.exit(3);",
    );
    expect(r.status).toBe(0);
    expect(r.heavy).toEqual(['protobufjs']);
  });

  it('defineConfig from @hurricane/core loads no TF.js, sharp, ONNX Runtime, SQLite or protobufjs', () => {
    const r = load(project(), "const { defineConfig } = await import('@hurricane/core'); defineConfig({ seed: 1 });");
    expect(r.stderr).toBe('');
    expect(r.heavy).toEqual([]);
  });

  it('@hurricane/core/onnx exports models without TF.js or ONNX Runtime', () => {
    const out = path.join(project(), 'op.onnx');
    const r = load(
      path.dirname(out),
      `const { exportOperator } = await import('@hurricane/core/onnx'); const { PRESETS } = await import('@hurricane/core'); exportOperator({ backbone: PRESETS.mnist(), layer: 3, operator: 'MB_5_3_SE', output: ${JSON.stringify(out)}, seed: 1 });`,
    );
    expect(r.stderr).toBe('');
    expect(r.heavy).toEqual(['protobufjs']);
  });

  it('hurricane plugins loads no heavy module, and hurricane doctor only the ONNX Runtime that arm-cpu checks', () => {
    const dir = project();
    const plugins = tracedRun([CLI, 'plugins'], { cwd: dir });
    expect(plugins.status).toBe(0);
    expect(plugins.heavy).toEqual([]);
    const doctor = tracedRun([CLI, 'doctor'], { cwd: dir });
    expect(doctor.status).toBe(0);
    expect(doctor.heavy).toEqual(['ONNX Runtime']);
  });

  it('hurricane export and inspect load no TF.js', () => {
    const dir = project();
    const exp = tracedRun([CLI, 'export', '--preset', 'mnist', '--layer', '2', '--operator', 'SEP_3', '-o', 'op.onnx'], { cwd: dir });
    expect(exp.stderr).toBe('');
    expect(exp.status).toBe(0);
    expect(exp.heavy).not.toContain('TF.js');
    const arch = Array(20).fill('MB_3_3').join(',');
    const inspect = tracedRun([CLI, 'inspect', '--preset', 'mnist', '--arch', arch], { cwd: dir });
    expect(inspect.status).toBe(0);
    expect(inspect.heavy).toEqual([]);
  });

  it('@hurricane/core/search runs a constrained evolution without TF.js, ONNX Runtime, SQLite or Vega', () => {
    const r = load(
      project(),
      [
        "const s = await import('@hurricane/core/search');",
        "const space = s.SearchSpace.whole(Array.from({ length: 6 }, () => ['a', 'b', 'c']));",
        "const model = { predict: (archs) => ({ mean: archs.map((a) => a.filter((op) => op === 'c').length) }) };",
        "const r = await s.evolve({ space, evaluator: { evaluate: async (a) => ({ accuracy: a.filter((op) => op !== 'a').length / 6, loss: 0 }) }, constraint: new s.LatencyConstraint(model, { budgetMs: 2 }), options: { population: 50, topK: 10, mutations: 25, crossovers: 25, mutationProb: 0.1, generations: 3, seed: 1 } });",
        'if (r.best.accuracy !== 1) process.exit(3);',
      ].join(' '),
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.heavy).toEqual([]);
  });

  it('@hurricane/core/train does load TF.js (the check sees a heavy module when there is one)', () => {
    const r = load(project(), "await import('@hurricane/core/train');");
    expect(r.heavy).toContain('TF.js');
  }, 60_000);
});
