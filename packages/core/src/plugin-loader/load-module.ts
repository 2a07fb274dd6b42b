// `plugin-loader/` — which plugins a run uses (`discover.ts`: installed official and
// `hurricane-plugin-*` packages, short names) and importing each from the config file's folder
// with its descriptor checked (this file). May import the contracts and `errors`; core never
// imports a plugin package statically (rule `core-never-imports-a-plugin`).
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { resolve as resolveImport } from 'import-meta-resolve';
import { PluginError, describeError } from '../errors.js';
import { PLUGIN_API_VERSION, type HurricanePlugin } from '../contracts/plugin.js';
import { OFFICIAL_PLUGINS } from './discover.js';

/** A plugin module that has been imported and checked, not yet registered. */
export interface LoadedPluginModule {
  /** The plugin as the config named it (`snpe`, `@hurricane/hw-snpe`, `./my-plugin.js`). */
  readonly spec: string;
  /** The file that was imported. */
  readonly file: string;
  /** The package version, when the plugin is a package. */
  readonly version: string | null;
  /** The default export. */
  readonly plugin: HurricanePlugin<unknown>;
}

function isPathSpec(spec: string): boolean {
  return spec.startsWith('.') || path.isAbsolute(spec) || spec.startsWith('file:');
}

/** The npm install command that fixes a missing package plugin. */
export function installHint(pkg: string, dir: string): string {
  return `run 'npm install -D ${pkg}' in ${dir}`;
}

/** The first of `fromDirs` that resolves the package `pkgName` to a file, or the error of the first. */
function resolvePackage(pkgName: string, fromDirs: readonly string[]): { file: string } | { error: unknown } {
  let first: unknown = null;
  for (const dir of fromDirs) {
    try {
      return { file: fileURLToPath(resolveImport(pkgName, pathToFileURL(path.join(dir, 'noop.js')).href)) };
    } catch (error) {
      first ??= error;
    }
  }
  return { error: first };
}

/** The entry file of a package-name spec, looked up from each of `fromDirs` in turn. */
function packageFile(spec: string, pkgName: string, fromDirs: readonly string[], origin: string): string {
  const r = resolvePackage(pkgName, fromDirs);
  if ('error' in r) {
    const code = (r.error as { code?: string }).code;
    const looked = `looked from ${fromDirs.join(', ')}`;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'ERR_PACKAGE_PATH_NOT_EXPORTED' || code === 'ERR_INVALID_MODULE_SPECIFIER') {
      const why = code === 'ERR_MODULE_NOT_FOUND' ? 'is not installed' : 'cannot be imported';
      throw new PluginError(
        spec,
        `plugin '${pkgName}' (listed in ${origin}) ${why} (${looked}): ${installHint(pkgName, fromDirs[0] ?? '.')}`,
        {
          cause: r.error,
        },
      );
    }
    throw new PluginError(spec, `plugin '${pkgName}' (listed in ${origin}) cannot be resolved: ${describeError(r.error)}`, {
      cause: r.error,
    });
  }
  if (!existsSync(r.file)) {
    throw new PluginError(
      spec,
      `plugin '${pkgName}' is installed but its entry ${r.file} is missing (not built?): rebuild it ('npm run build') or reinstall it ('npm install -D ${pkgName}')`,
    );
  }
  return r.file;
}

/**
 * Imports and checks the plugin `spec`: a path is resolved against the first of `fromDirs` (the
 * config file's folder); a package name from each of `fromDirs` in turn (the config's folder, the
 * working directory, beside core: see `pluginSearchDirs`). `origin` names where the plugin was
 * listed, for error messages.
 */
export async function loadPluginModule(spec: string, fromDirs: string | readonly string[], origin: string): Promise<LoadedPluginModule> {
  const dirs = typeof fromDirs === 'string' ? [fromDirs] : fromDirs;
  const pkgName = OFFICIAL_PLUGINS[spec] ?? spec;
  let file: string;
  if (isPathSpec(pkgName)) {
    file = pkgName.startsWith('file:') ? fileURLToPath(pkgName) : path.resolve(dirs[0] ?? '.', pkgName);
    if (!existsSync(file)) {
      throw new PluginError(spec, `plugin '${spec}' (listed in ${origin}) was not found at ${file}; fix the path`);
    }
    if (statSync(file).isDirectory()) file = packageEntry(spec, file);
  } else file = packageFile(spec, pkgName, dirs, origin);

  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    throw new PluginError(spec, `plugin '${pkgName}' failed to load from ${file}: ${describeError(error).split('\n')[0]}`, {
      cause: error,
    });
  }
  const plugin = checkDescriptor(spec, pkgName, mod.default);
  return { spec, file, version: packageVersion(file), plugin };
}

function checkDescriptor(spec: string, pkgName: string, value: unknown): HurricanePlugin<unknown> {
  const guide = 'see docs/writing-a-hardware-adapter.md';
  if (value === null || typeof value !== 'object') {
    throw new PluginError(spec, `plugin '${pkgName}' has no default export of a Hurricane plugin descriptor; ${guide}`);
  }
  const p = value as Partial<HurricanePlugin<unknown>>;
  if (typeof p.name !== 'string' || p.name === '') {
    throw new PluginError(spec, `plugin '${pkgName}': its descriptor has no 'name'; ${guide}`);
  }
  if (typeof p.register !== 'function') {
    throw new PluginError(spec, `plugin '${p.name}': its descriptor has no 'register(container, context)' function; ${guide}`);
  }
  if (p.apiVersion !== PLUGIN_API_VERSION) {
    throw new PluginError(
      spec,
      `plugin '${p.name}' was written for Hurricane plugin API ${String(p.apiVersion)}, but this @hurricane/core speaks API ${PLUGIN_API_VERSION}: install a release of '${pkgName}' made for plugin API ${PLUGIN_API_VERSION} (or a matching @hurricane/core)`,
    );
  }
  if (p.configKey !== undefined && !/^[a-zA-Z][a-zA-Z0-9]*$/.test(p.configKey)) {
    throw new PluginError(spec, `plugin '${p.name}': configKey '${p.configKey}' must be a camelCase identifier; ${guide}`);
  }
  if (p.configSchema !== undefined && typeof p.configSchema?.['~standard']?.validate !== 'function') {
    throw new PluginError(spec, `plugin '${p.name}': configSchema is not a Standard Schema (zod ≥ 3.24, valibot, arktype); ${guide}`);
  }
  return p as HurricanePlugin<unknown>;
}

function packageVersion(file: string): string | null {
  let dir = path.dirname(file);
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        const data = JSON.parse(readFileSync(pj, 'utf8')) as { version?: unknown; name?: unknown };
        if (typeof data.name === 'string') return typeof data.version === 'string' ? data.version : null;
      } catch {
        return null;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The ESM entry of a plugin package given as a folder (`plugins: ['../my-plugin']`). */
function packageEntry(spec: string, dir: string): string {
  const pj = path.join(dir, 'package.json');
  if (!existsSync(pj))
    throw new PluginError(
      spec,
      `plugin folder ${dir} has no package.json; point 'plugins' at the plugin's entry file or its package folder`,
    );
  let data: { exports?: unknown; main?: unknown };
  try {
    data = JSON.parse(readFileSync(pj, 'utf8')) as typeof data;
  } catch (error) {
    throw new PluginError(spec, `${pj} is not valid JSON: ${describeError(error)}`);
  }
  let entry: unknown = data.exports;
  if (entry !== null && typeof entry === 'object' && '.' in entry) entry = (entry as Record<string, unknown>)['.'];
  while (entry !== null && typeof entry === 'object') {
    const conditions = entry as Record<string, unknown>;
    entry = conditions.import ?? conditions.node ?? conditions.default;
  }
  const rel = typeof entry === 'string' ? entry : typeof data.main === 'string' ? data.main : 'index.js';
  const file = path.resolve(dir, rel);
  if (!existsSync(file)) {
    throw new PluginError(spec, `plugin '${spec}': its entry ${file} is missing (not built?); build the plugin ('npm run build') first`);
  }
  return file;
}
