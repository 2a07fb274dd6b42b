import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';

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
 * Lists the Hurricane plugin packages installed where `fromDir` can import them: every
 * `node_modules` from `fromDir` up to the file-system root, nearest first; `@hurricane/hw-*`,
 * `@hurricane/predictors`, `hurricane-plugin-*` and `@scope/hurricane-plugin-*`. Sorted by name.
 */
export function discoverPlugins(fromDir: string): string[] {
  const found = new Set<string>();
  let dir = path.resolve(fromDir);
  for (;;) {
    const nm = path.join(dir, 'node_modules');
    if (existsSync(nm)) {
      for (const entry of safeReaddir(nm)) {
        if (entry.startsWith('@')) {
          for (const sub of safeReaddir(path.join(nm, entry))) {
            const name = `${entry}/${sub}`;
            if (isPluginPackageName(name)) found.add(name);
          }
        } else if (isPluginPackageName(entry)) found.add(entry);
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return [...found].sort();
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
