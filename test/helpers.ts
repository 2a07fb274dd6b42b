import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const REPO = fileURLToPath(new URL('..', import.meta.url));
/** Folder of the fake vendor executables. */
export const FAKE_BIN = path.join(REPO, 'test/fixtures/bin');
/** The fake SNPE SDK (SNPE_ROOT). */
export const FAKE_SNPE_ROOT = path.join(REPO, 'test/fixtures/snpe-sdk');
/** The CLI entry. */
export const CLI = path.join(REPO, 'packages/core/bin/hurricane.js');
/** PATH with only the given folders plus Node's own (fake tools are Node scripts). */
export function pathWith(...dirs: string[]): string {
  return [...dirs, path.dirname(process.execPath)].join(path.delimiter);
}

/**
 * Creates a throw-away project folder (with its own package.json, so config search stops there)
 * holding `files`; `links` are symlinks `node_modules/<name>` → a folder (installed plugins).
 */
export function makeProject(files: Record<string, string> = {}, links: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hurricane-test-'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'user-project', private: true, type: 'module' }));
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  for (const [name, target] of Object.entries(links)) {
    const link = path.join(dir, 'node_modules', name);
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(target, link, 'dir');
  }
  return dir;
}

/** The repository folder of an official package, for `links`. */
export function pkgDir(name: 'core' | 'hw-snpe' | 'hw-openvino' | 'hw-arm-cpu' | 'predictors'): string {
  return path.join(REPO, 'packages', name);
}
/** The third-party plugin fixture folder. */
export const THIRD_PARTY = path.join(REPO, 'test/fixtures/hurricane-plugin-ort-perf-test');
