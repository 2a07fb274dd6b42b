import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config/resolve.js';
import { searchSchema } from '../src/config/schema.js';
import { ConfigError } from '../src/errors.js';
import { makeProject, pkgDir } from '../../../test/helpers.js';

const json = (v: unknown) => JSON.stringify(v, null, 2);

async function configError(dir: string, overrides = {}, configPath?: string): Promise<ConfigError> {
  const e = await resolveConfig({ cwd: dir, overrides, configPath }).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ConfigError);
  return e as ConfigError;
}

describe('config discovery', () => {
  const forms: [string, string][] = [
    ['hurricane.config.json', json({ seed: 11 })],
    ['hurricane.config.yaml', 'seed: 11\n'],
    ['hurricane.config.yml', 'seed: 11\n'],
    ['hurricane.config.mjs', 'export default { seed: 11 };'],
    ['hurricane.config.js', 'export default { seed: 11 };'],
    ['hurricane.config.cjs', 'module.exports = { seed: 11 };'],
    [
      'hurricane.config.ts',
      "import { defineConfig } from '@hurricane/core';\nconst seed: number = 11;\nexport default defineConfig({ seed });\n",
    ],
    ['.hurricanerc', 'seed: 11\n'],
    ['.hurricanerc.json', json({ seed: 11 })],
    ['.hurricanerc.yaml', 'seed: 11\n'],
    ['.hurricanerc.yml', 'seed: 11\n'],
    ['.hurricanerc.mjs', 'export default { seed: 11 };'],
  ];
  for (const [name, content] of forms) {
    it(`finds ${name}`, async () => {
      const dir = makeProject({ [name]: content });
      if (name.endsWith('.ts')) {
        // A user's TypeScript config imports defineConfig from the installed core.
        const { symlinkSync } = await import('node:fs');
        mkdirSync(path.join(dir, 'node_modules/@hurricane'), { recursive: true });
        symlinkSync(pkgDir('core'), path.join(dir, 'node_modules/@hurricane/core'));
      }
      const c = await resolveConfig({ cwd: dir });
      expect(c.filepath).toBe(path.join(dir, name));
      expect(c.core.seed).toBe(11);
      expect(c.sources.get('seed')).toEqual({ kind: 'file', file: path.join(dir, name) });
    });
  }

  it('reads the hurricane block of package.json', async () => {
    const dir = makeProject();
    writeFileSync(path.join(dir, 'package.json'), json({ name: 'x', hurricane: { seed: 11 } }));
    const c = await resolveConfig({ cwd: dir });
    expect(c.filepath).toBe(path.join(dir, 'package.json'));
    expect(c.core.seed).toBe(11);
  });

  it('searches from a sub-folder up to the project root, and resolves workDir against the config folder', async () => {
    const dir = makeProject({ 'hurricane.config.json': json({ workDir: 'runs' }), 'src/deep/.keep': '' });
    const c = await resolveConfig({ cwd: path.join(dir, 'src/deep') });
    expect(c.filepath).toBe(path.join(dir, 'hurricane.config.json'));
    expect(c.workDir).toBe(path.join(dir, 'runs'));
  });

  it('uses defaults when there is no config file', async () => {
    const c = await resolveConfig({ cwd: makeProject() });
    expect(c.filepath).toBeNull();
    expect(c.core).toMatchObject({ hardware: 'arm-cpu', preset: 'cifar', seed: 0, scoring: { name: 'eq4', alpha: 0, beta: 0 } });
    expect(c.sources.get('hardware')).toEqual({ kind: 'default' });
  });

  it('fails on an explicit --config that does not exist', async () => {
    const dir = makeProject();
    const e = await configError(dir, {}, 'nope.json');
    expect(e.message).toBe(`config file ${dir}/nope.json does not exist; check the --config path`);
  });

  // Each parser's reason and the line:column it points at, as the parser reports them.
  const syntax: [string, string, string][] = [
    ['hurricane.config.json', '{\n  "seed": 1,\n}\n', "3:1: Expected double-quoted property name; fix the file's syntax"],
    [
      'hurricane.config.yaml',
      'hardware: arm-cpu\n  preset: cifar\nseed: 1\n',
      "2:9: bad indentation of a mapping entry; fix the file's syntax",
    ],
    ['.hurricanerc', 'seed: [1, 2\n', "2:1: unexpected end of the stream within a flow collection; fix the file's syntax"],
    [
      'hurricane.config.mjs',
      'export default {\n  seed: 1,\n  preset: "cifar"\n  hardware: 2\n};\n',
      "4:3: Unexpected token; fix the file's syntax",
    ],
    ['hurricane.config.cjs', 'module.exports = { seed: 1 ;\n', "1:28: Unexpected token; fix the file's syntax"],
  ];
  for (const [file, text, where] of syntax) {
    it(`names the file, line, column and reason of a syntax error in ${file}`, async () => {
      const dir = makeProject({ [file]: text });
      expect((await configError(dir)).message).toBe(`${dir}/${file}:${where}`);
      expect((await configError(dir, {}, file)).message).toBe(`${dir}/${file}:${where}`);
    });
  }

  it('rejects a config that is not an object', async () => {
    const dir = makeProject({ 'hurricane.config.yaml': '- 1\n- 2\n' });
    expect((await configError(dir)).message).toBe(
      `${dir}/hurricane.config.yaml: the config must be an object of settings (e.g. { "hardware": "arm-cpu" }), found an array`,
    );
  });
});

describe('config validation', () => {
  it('rejects a misspelt top-level key, naming the file and suggesting the right key', async () => {
    const dir = makeProject({ 'hurricane.config.json': json({ hardwre: 'arm-cpu' }) });
    expect((await configError(dir)).message).toBe(
      `${dir}/hurricane.config.json: unknown key 'hardwre' — did you mean 'hardware'?; remove it, fix its spelling, or add the plugin that owns it to 'plugins'`,
    );
  });

  it('rejects a misspelt nested key', async () => {
    const dir = makeProject({ 'hurricane.config.json': json({ scoring: { alhpa: 1 } }) });
    expect((await configError(dir)).message).toBe(
      `${dir}/hurricane.config.json: unknown key 'scoring.alhpa' — did you mean 'alpha'?; remove it or fix its spelling`,
    );
  });

  // the blocks and their right spellings written out here, not read from the schema under test
  const typos: [block: string, typo: string, meant: string][] = [
    ['scoring', 'bta', 'beta'],
    ['reduction', 'exploringIndx', 'exploringIndex'],
    ['train', 'bachSize', 'batchSize'],
    ['train', 'lossTarge', 'lossTarget'],
    ['search', 'budgetMS', 'budgetMs'],
    ['search', 'generatons', 'generations'],
    ['farm', 'prefech', 'prefetch'],
    ['farm', 'caFiel', 'caFile'],
  ];
  for (const [block, typo, meant] of typos) {
    it(`suggests '${block}.${meant}' for a misspelt '${block}.${typo}'`, async () => {
      const dir = makeProject({ 'hurricane.config.json': json({ [block]: { [typo]: 1 } }) });
      expect((await configError(dir)).message).toBe(
        `${dir}/hurricane.config.json: unknown key '${block}.${typo}' — did you mean '${meant}'?; remove it or fix its spelling`,
      );
    });
  }

  it('names the key, what was expected and what was found for a wrong type', async () => {
    const dir = makeProject({ 'hurricane.config.yaml': 'seed: "twelve"\n' });
    expect((await configError(dir)).message).toBe(`${dir}/hurricane.config.yaml: 'seed' expected number, found the string "twelve"`);
  });

  it('lists the allowed values of an enum', async () => {
    const dir = makeProject({ 'hurricane.config.json': json({ preset: 'cifar10' }) });
    expect((await configError(dir)).message).toBe(
      `${dir}/hurricane.config.json: 'preset' expected one of "imagenet", "spos", "cifar", "mnist", found the string "cifar10" — did you mean 'cifar'?`,
    );
  });

  it('checks numeric bounds', async () => {
    const dir = makeProject({ 'hurricane.config.json': json({ scoring: { alpha: -1 } }) });
    expect((await configError(dir)).message).toBe(`${dir}/hurricane.config.json: 'scoring.alpha' expected a number ≥ 0, found number -1`);
  });

  it('search.constraints: a numeric budgetMs or a confidence beside it, a second limit of one metric, an unknown metric, each one line saying what to do', async () => {
    const bad = async (search: Record<string, unknown>) => {
      const dir = makeProject({ 'hurricane.config.json': json({ search }) });
      const e = await configError(dir);
      expect(e.exitCode).toBe(2);
      return [e.message, ...e.details].map((l) => l.replace(`${dir}/hurricane.config.json: `, ''));
    };
    const params = { metric: 'params', max: 1e5 };
    expect(await bad({ budgetMs: 2, constraints: [params] })).toEqual([
      "'search.budgetMs': the shorthand for one latency limit cannot stand beside search.constraints: put { metric: 'latency', max: N } in search.constraints and remove search.budgetMs, found number 2",
    ]);
    expect(await bad({ confidence: 0.9, constraints: [params] })).toEqual([
      "'search.confidence': cannot stand beside search.constraints: give the confidence in the latency limit ({ metric: 'latency', max: N, confidence: 0.9 }) and remove search.confidence, found number 0.9",
    ]);
    expect(await bad({ constraints: [params, { metric: 'params', max: 2e5 }] })).toEqual([
      '\'search.constraints[1]\': a second params limit: keep one per metric, found an object ({"metric":"params","max":200000})',
    ]);
    const unknown = await bad({ constraints: [{ metric: 'memory', max: 1 }] });
    expect(unknown).toHaveLength(1);
    expect(unknown[0]).toContain("'search.constraints[0].metric'");
    expect(unknown[0]).toContain("'latency' | 'flops' | 'params' | 'peakMemory'");
  });

  it('reports every problem, one line each', async () => {
    const dir = makeProject({ 'hurricane.config.json': json({ sed: 1, preset: 3 }) });
    const e = await configError(dir);
    expect([e.message, ...e.details]).toHaveLength(2);
  });

  it("says which plugin owns an unknown plugin block's key problems", async () => {
    const dir = makeProject({
      'hurricane.config.json': json({ plugins: [pkgDir('hw-snpe')], snpe: { perfProfile: 'turbo', serail: 'x' } }),
    });
    const e = await configError(dir);
    const all = [e.message, ...e.details];
    expect(all).toContain(
      `${dir}/hurricane.config.json: 'snpe.perfProfile' expected one of "burst", "sustained_high_performance", "high_performance", "balanced", "default", "power_saver", "system_settings", found the string "turbo" (checked by plugin @hurricane/hw-snpe)`,
    );
    expect(all.some((l) => l.includes("unknown key 'snpe.serail'"))).toBe(true);
  });

  it('treats the block of a plugin that is not loaded as an unknown key', async () => {
    const dir = makeProject({ 'hurricane.config.json': json({ plugins: [], openvino: { device: 'MYRIAD' } }) });
    expect((await configError(dir)).message).toBe(
      `${dir}/hurricane.config.json: unknown key 'openvino'; remove it, fix its spelling, or add the plugin that owns it to 'plugins'`,
    );
  });

  it('rejects a plugin listed twice', async () => {
    const dir = makeProject({ 'hurricane.config.json': json({ plugins: ['snpe', 'snpe'] }) });
    expect((await configError(dir)).message).toBe(`${dir}/hurricane.config.json: 'plugins' lists 'snpe' twice; list each plugin once`);
  });

  it('layers defaults < file < flags and records where each value came from', async () => {
    const file = 'hurricane.config.json';
    const dir = makeProject({
      [file]: json({ plugins: [pkgDir('hw-openvino')], seed: 5, preset: 'mnist', openvino: { device: 'MYRIAD' } }),
    });
    const c = await resolveConfig({ cwd: dir, overrides: { seed: '9', hardware: 'openvino' } });
    expect(c.core.seed).toBe(9);
    expect(c.core.preset).toBe('mnist');
    expect(c.core.hardware).toBe('openvino');
    expect(c.core.workDir).toBe('.hurricane');
    expect(c.plugins[0]?.options).toMatchObject({ device: 'MYRIAD', converter: 'auto' });
    const src = Object.fromEntries(c.sources);
    expect(src.seed).toEqual({ kind: 'flag', flag: '--seed' });
    expect(src.hardware).toEqual({ kind: 'flag', flag: '--hardware' });
    expect(src.preset).toEqual({ kind: 'file', file: path.join(dir, file) });
    expect(src.workDir).toEqual({ kind: 'default' });
    expect(src['openvino.device']).toEqual({ kind: 'file', file: path.join(dir, file) });
    expect(src['openvino.converter']).toEqual({ kind: 'default' });
    expect(src.plugins).toEqual({ kind: 'file', file: path.join(dir, file) });
  });

  it('names the flag of a bad command-line value', async () => {
    const dir = makeProject();
    expect((await configError(dir, { seed: 'abc' })).message).toBe('command line: --seed expected number, found the string "abc"');
    expect((await configError(dir, { hardware: 'Snpe DSP' })).message).toMatch(/^command line: --hardware: /);
  });
});

describe('docs/search.md', () => {
  it("the defaults table gives every search key with the schema's default, and no other", () => {
    const doc = readFileSync(fileURLToPath(new URL('../../../docs/search.md', import.meta.url)), 'utf8');
    const section = doc.slice(doc.indexOf('## Defaults'));
    const table = section.split('\n').filter((l) => l.startsWith('| `search.'));
    const documented: Record<string, unknown> = {};
    for (const row of table) {
      const [keys, defaults] = row
        .split('|')
        .slice(1, 3)
        .map((c) => c.trim()) as [string, string];
      const names = keys.split(' / ').map((k) => k.replace(/`/g, '').replace(/^search\./, ''));
      const values = defaults.split(' / ');
      expect(values, row).toHaveLength(names.length);
      names.forEach((name, i) => {
        const v = (values[i] as string).replace(/`/g, '');
        documented[name] = v === '—' ? undefined : v === 'true' || v === 'false' ? v === 'true' : Number.isNaN(Number(v)) ? v : Number(v);
      });
    }
    const defaults = searchSchema.parse({}) as Record<string, unknown>;
    expect(Object.keys(documented).sort()).toEqual(Object.keys(searchSchema.shape).sort());
    for (const [k, v] of Object.entries(documented)) expect(defaults[k], `search.${k}`).toEqual(v);
  });
});
