import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import which from 'which';

/**
 * Finds an executable: first in each of `extraDirs` (e.g. `$SNPE_ROOT/bin/x86_64-linux-clang`),
 * then on `PATH` (from `env`, default `process.env`). Returns its absolute path or `null`.
 */
export async function findExecutable(
  name: string,
  options: { extraDirs?: readonly string[]; env?: Readonly<Record<string, string | undefined>> } = {},
): Promise<string | null> {
  if (path.isAbsolute(name) || name.includes('/')) {
    try {
      await access(name, constants.X_OK);
      return path.resolve(name);
    } catch {
      return null;
    }
  }
  for (const dir of options.extraDirs ?? []) {
    const candidate = path.join(dir, name);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  const env = options.env ?? process.env;
  return which(name, { nothrow: true, path: env.PATH ?? '' });
}
