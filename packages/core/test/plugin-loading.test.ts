import { describe, expect, it } from 'vitest';
import { createSession } from '../src/create-session.js';
import { ConfigError, PluginError } from '../src/errors.js';
import { discoverPlugins } from '../src/plugin-loader/discover.js';
import { makeProject, pkgDir, THIRD_PARTY } from '../../../test/helpers.js';

const json = (v: unknown) => JSON.stringify(v, null, 2);

async function loadError(dir: string): Promise<Error> {
  const error = await createSession({ cwd: dir }).then(
    () => null,
    (e: unknown) => e as Error,
  );
  if (error === null) throw new Error('expected the session to fail');
  return error;
}

const pluginSource = (body: string) => `
import { HardwareAdapter, PLUGIN_API_VERSION } from '@hurricane/core/plugin';
import { SimulatedAdapter } from '@hurricane/core/testing/simulated';
${body}
`;

describe('plugin loading', () => {
  it('loads the plugins the config lists, resolving package names from the config file folder', async () => {
    const dir = makeProject({ 'conf/hurricane.config.json': json({ plugins: ['@hurricane/hw-snpe', 'arm-cpu'] }) }, {});
    // The plugins are installed next to the config file, not in the working directory.
    const { symlinkSync, mkdirSync } = await import('node:fs');
    mkdirSync(`${dir}/conf/node_modules/@hurricane`, { recursive: true });
    symlinkSync(pkgDir('hw-snpe'), `${dir}/conf/node_modules/@hurricane/hw-snpe`);
    symlinkSync(pkgDir('hw-arm-cpu'), `${dir}/conf/node_modules/@hurricane/hw-arm-cpu`);
    const session = await createSession({ cwd: dir, configPath: 'conf/hurricane.config.json' });
    expect(session.plugins().map((p) => p.name)).toEqual(['@hurricane/hw-snpe', '@hurricane/hw-arm-cpu']);
    expect(session.adapters().map((a) => a.id)).toEqual(['snpe-dsp', 'snpe-gpu', 'snpe-cpu', 'arm-cpu', 'arm-cpu-remote']);
    expect(session.adapter('snpe-gpu').id).toBe('snpe-gpu');
    await session.dispose();
  });

  it('discovers installed plugins when the config lists none', () => {
    const dir = makeProject(
      {},
      { '@hurricane/hw-openvino': pkgDir('hw-openvino'), 'hurricane-plugin-ort-perf-test': THIRD_PARTY, 'left-pad': pkgDir('core') },
    );
    expect(discoverPlugins(dir)).toEqual(['@hurricane/hw-openvino', 'hurricane-plugin-ort-perf-test']);
  });

  it('names a missing plugin package and the npm install command that fixes it', async () => {
    // A plugin installed nowhere: not beside the config, not in the working directory, not beside core.
    const dir = makeProject({ 'hurricane.config.json': json({ plugins: ['hurricane-plugin-nowhere'] }) });
    const error = await loadError(dir);
    expect(error).toBeInstanceOf(PluginError);
    expect(error.message).toMatch(
      new RegExp(
        `^plugin 'hurricane-plugin-nowhere' \\(listed in ${dir}/hurricane.config.json\\) is not installed \\(looked from ${dir}, .*\\): run 'npm install -D hurricane-plugin-nowhere' in ${dir}$`,
      ),
    );
  });

  it('reports a plugin path that does not exist', async () => {
    const dir = makeProject({ '.hurricanerc.json': json({ plugins: ['./plugins/mine.js'] }) });
    const error = await loadError(dir);
    expect(error.message).toBe(
      `plugin './plugins/mine.js' (listed in ${dir}/.hurricanerc.json) was not found at ${dir}/plugins/mine.js; fix the path`,
    );
  });

  it('rejects a module without a plugin descriptor', async () => {
    const dir = makeProject({ 'p.mjs': 'export const x = 1;', 'hurricane.config.json': json({ plugins: ['./p.mjs'] }) });
    expect((await loadError(dir)).message).toMatch(
      /^plugin '\.\/p\.mjs' has no default export of a Hurricane plugin descriptor; see docs\/writing-a-hardware-adapter\.md$/,
    );
  });

  it('rejects a descriptor without register()', async () => {
    const dir = makeProject({
      'p.mjs': "export default { name: 'p', apiVersion: 1 };",
      'hurricane.config.json': json({ plugins: ['./p.mjs'] }),
    });
    expect((await loadError(dir)).message).toMatch(/^plugin 'p': its descriptor has no 'register\(container, context\)' function/);
  });

  it('rejects an incompatible apiVersion, naming both versions and the fix', async () => {
    const dir = makeProject({
      'p.mjs': "export default { name: 'old-plugin', apiVersion: 0, register() {} };",
      'hurricane.config.json': json({ plugins: ['./p.mjs'] }),
    });
    const error = await loadError(dir);
    expect(error).toBeInstanceOf(PluginError);
    expect(error.message).toMatch(
      /^plugin 'old-plugin' was written for Hurricane plugin API 0, but this @hurricane\/core speaks API 1: install a release of '\.\/p\.mjs' made for plugin API 1/,
    );
  });

  it('wraps an exception thrown while registering into one line naming the plugin', async () => {
    const dir = makeProject({
      'p.mjs':
        "export default { name: 'boom', apiVersion: 1, configKey: 'boom', register() { throw new Error('license file missing\\nstack...'); } };",
      'hurricane.config.json': json({ plugins: ['./p.mjs'] }),
    });
    const error = await loadError(dir);
    expect(error).toBeInstanceOf(PluginError);
    expect(error.message).toBe(
      `plugin 'boom' failed while registering: Error: license file missing; check its options under 'boom' in ${dir}/hurricane.config.json, or report it to the plugin's author`,
    );
  });

  it('reports a module that fails to import', async () => {
    const dir = makeProject({ 'p.mjs': 'export default {', 'hurricane.config.json': json({ plugins: ['./p.mjs'] }) });
    expect((await loadError(dir)).message).toMatch(/^plugin '\.\/p\.mjs' failed to load from .*p\.mjs: /);
  });

  it('refuses two plugins registering the same adapter id', async () => {
    const make = (name: string) =>
      pluginSource(`export default { name: '${name}', apiVersion: PLUGIN_API_VERSION,
        register(c) { c.register(HardwareAdapter, { useValue: new SimulatedAdapter({ id: 'npu' }) }); } };`);
    const dir = makeProject({
      'a.mjs': make('plugin-a'),
      'b.mjs': make('plugin-b'),
      'hurricane.config.json': json({ plugins: ['./a.mjs', './b.mjs'] }),
    });
    expect((await loadError(dir)).message).toBe(
      "adapter id 'npu' is registered by both plugin-a and plugin-b; remove one of the two plugins from 'plugins'",
    );
  });

  it('refuses two plugins claiming one config key, and a plugin claiming a core key', async () => {
    const p = (name: string, key: string) => `export default { name: '${name}', apiVersion: 1, configKey: '${key}', register() {} };`;
    const dir = makeProject({
      'a.mjs': p('a', 'npu'),
      'b.mjs': p('b', 'npu'),
      'hurricane.config.json': json({ plugins: ['./a.mjs', './b.mjs'] }),
    });
    expect((await loadError(dir)).message).toBe("plugins 'a' and 'b' both claim the config key 'npu'; remove one of them from 'plugins'");
    const dir2 = makeProject({ 'a.mjs': p('a', 'seed'), 'hurricane.config.json': json({ plugins: ['./a.mjs'] }) });
    expect((await loadError(dir2)).message).toBe(
      "plugin 'a' uses the config key 'seed', which belongs to core; the plugin must pick another configKey",
    );
  });

  it('loads a plugin given as a package folder', async () => {
    const dir = makeProject({ 'hurricane.config.json': json({ plugins: [THIRD_PARTY], hardware: 'ort-perf-test' }) });
    const session = await createSession({ cwd: dir });
    expect(session.adapter().id).toBe('ort-perf-test');
    await session.dispose();
  });

  it('names an unknown hardware id with the closest match and the available ids', async () => {
    const dir = makeProject({ 'hurricane.config.json': json({ plugins: [pkgDir('hw-snpe')], hardware: 'snpe-dps' }) });
    const session = await createSession({ cwd: dir });
    let error: unknown;
    try {
      session.adapter();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      `hardware 'snpe-dps' (from 'hardware' in ${dir}/hurricane.config.json) is not provided by any loaded plugin — did you mean 'snpe-dsp'?; available: snpe-dsp, snpe-gpu, snpe-cpu`,
    );
    await session.dispose();
  });
});

describe('scoring functions', () => {
  it('a plugin registers another scorer and the config selects it by name; an unknown name is an error', async () => {
    const plugin = `export default { name: 'my-scorer', apiVersion: 1, register(c) {
      c.register(Symbol.for('@hurricane/core:ScoringFunction'), { useValue: { name: 'macs-per-ms', description: 'multiply-adds per ms', score: (p) => p.flops / p.latencyMs } });
    } };`;
    const dir = makeProject({ 's.mjs': plugin, 'hurricane.config.json': json({ plugins: ['./s.mjs'], scoring: { name: 'macs-per-ms' } }) });
    const session = await createSession({ cwd: dir });
    expect(session.scorer().score({ operator: 'x', flops: 100, params: 1, latencyMs: 2 })).toBe(50);
    expect(session.scorers().map((s) => [s.name, s.owner])).toEqual([
      ['eq4', '@hurricane/core'],
      ['macs-per-ms', 'my-scorer'],
    ]);
    expect(() => session.scorer('macs_per_ms')).toThrow(
      "scoring function 'macs_per_ms' is not registered — did you mean 'macs-per-ms'?; available: eq4, macs-per-ms",
    );
    await session.dispose();
  });
});
