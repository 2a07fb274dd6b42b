import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Short names a config may use for the official plugins, like vitest's coverage providers. */
export const OFFICIAL_PLUGINS: Readonly<Record<string, string>> = Object.freeze({
  snpe: '@hurricane/hw-snpe',
  openvino: '@hurricane/hw-openvino',
  'arm-cpu': '@hurricane/hw-arm-cpu',
  predictors: '@hurricane/predictors',
});

/** Package-name patterns that mark a Hurricane plugin. */
export function isPluginPackageName(name: string): boolean {
  return (
    /^@hurricane\/hw-[a-z0-9-]+$/.test(name) ||
    name === '@hurricane/predictors' ||
    /^hurricane-plugin-[a-z0-9._-]+$/.test(name) ||
    /^@[a-z0-9._-]+\/hurricane-plugin-[a-z0-9._-]+$/.test(name)
  );
}

/**
 * The folders plugins are looked for from, in order: the config file's folder, the working
 * directory, and the folder core itself is installed in (so a config kept elsewhere, or a core
 * installed globally, still finds the plugins installed beside it). Duplicates removed.
 */
export function pluginSearchDirs(configDir: string, cwd: string): string[] {
  const core = fileURLToPath(new URL('../../', import.meta.url));
  return [...new Set([configDir, cwd, core].map((d) => path.resolve(d)))];
}

/**
 * Lists the Hurricane plugin packages installed where `fromDirs` can import them: every
 * `node_modules` from each folder up to the file-system root, nearest first; `@hurricane/hw-*`,
 * `@hurricane/predictors`, `hurricane-plugin-*` and `@scope/hurricane-plugin-*`. Sorted by name.
 */
export function discoverPlugins(fromDirs: string | readonly string[]): string[] {
  const found = new Set<string>();
  for (const from of typeof fromDirs === 'string' ? [fromDirs] : fromDirs) for (const name of discoverFrom(from)) found.add(name);
  return [...found].sort();
}

function discoverFrom(fromDir: string): string[] {
  const found: string[] = [];
  let dir = path.resolve(fromDir);
  for (;;) {
    const nm = path.join(dir, 'node_modules');
    if (existsSync(nm)) {
      for (const entry of safeReaddir(nm)) {
        if (entry.startsWith('@')) {
          for (const sub of safeReaddir(path.join(nm, entry))) {
            const name = `${entry}/${sub}`;
            if (isPluginPackageName(name)) found.push(name);
          }
        } else if (isPluginPackageName(entry)) found.push(entry);
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return found;
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
