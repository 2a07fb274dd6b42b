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

// The simulated device (core's SimulatedAdapter): a model's latency is its ONNX file size (KB) / 100
// ms, plus a deterministic ±1 % wobble per call, one sample per measurement; measuring takes `delay`
// ms so a run can be killed half-way.
const simPlugin = "export { simulatedDevicePlugin as default } from '@hurricane/core/testing/simulated';\n";
const simOptions = (delay: number) => ({ device: 'sim device', samples: 1, wobble: true, delayMs: delay });

/** A project using the simulated device and the predictors, preset mnist, plus `config` keys and `files`. */
export function simProject(delay: number, config: Record<string, unknown> = {}, files: Record<string, string> = {}): string {
  return makeProject(
    {
      'sim.mjs': simPlugin,
      'hurricane.config.json': JSON.stringify({
        plugins: ['./sim.mjs', '@hurricane/predictors'],
        hardware: 'sim',
        preset: 'mnist',
        simDevice: simOptions(delay),
        ...config,
      }),
      ...files,
    },
    { '@hurricane/core': pkgDir('core'), '@hurricane/predictors': pkgDir('predictors') },
  );
}

/** Runs the CLI in `cwd` (with `env` added to this process's) and returns its exit code and output; never throws on a non-zero exit. */
export async function runCli(
  args: readonly string[],
  cwd: string,
  o: { timeout?: number; env?: Record<string, string> } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { execFile } = await import('node:child_process');
  const options = { cwd, timeout: o.timeout ?? 120_000, env: { ...process.env, ...o.env }, maxBuffer: 64 * 1024 * 1024 };
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], options, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
