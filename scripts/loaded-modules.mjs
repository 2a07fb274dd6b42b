#!/usr/bin/env node
// Dev script: which heavy modules a command loads, and how long it takes.
//   node scripts/loaded-modules.mjs [--json] -- <node args…>
// e.g. node scripts/loaded-modules.mjs -- packages/core/bin/hurricane.js doctor
// It runs `node --import <hook> <args>` where the hook records every module Node resolves, then
// reports the wall time and which of the heavy packages (TF.js, protobufjs, ONNX Runtime, sharp,
// better-sqlite3) were loaded.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export const HEAVY = {
  'TF.js': /node_modules\/@tensorflow\//,
  protobufjs: /node_modules\/protobufjs\//,
  'ONNX Runtime': /node_modules\/onnxruntime-(node|common)\//,
  sharp: /node_modules\/sharp\//,
  'better-sqlite3': /node_modules\/better-sqlite3\//,
  Vega: /node_modules\/vega(-lite)?\//,
};

/** Runs node with `args` and returns { ms, status, heavy: names loaded, modules: every URL loaded }. */
export function tracedRun(args, options = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hurricane-trace-'));
  try {
    const log = path.join(dir, 'modules.log');
    const hooks = path.join(dir, 'hooks.mjs');
    writeFileSync(
      hooks,
      `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); appendFileSync(${JSON.stringify(log)}, r.url + '\\n'); return r; }\n`,
    );
    const register = path.join(dir, 'register.mjs');
    // ESM imports pass the resolve hook; CommonJS requires (protobufjs under onnx-proto, say) are read
    // from the CommonJS module cache when the process exits.
    writeFileSync(
      register,
      `import { appendFileSync } from 'node:fs';\nimport Module, { register } from 'node:module';\nimport { pathToFileURL } from 'node:url';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\nprocess.on('exit', () => appendFileSync(${JSON.stringify(log)}, Object.keys(Module._cache).map((f) => pathToFileURL(f).href + '\\n').join('')));\n`,
    );
    writeFileSync(log, '');
    const started = performance.now();
    const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, ...args], {
      encoding: 'utf8',
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
    });
    const ms = performance.now() - started;
    const modules = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
    const heavy = Object.entries(HEAVY)
      .filter(([, re]) => modules.some((m) => re.test(m)))
      .map(([name]) => name);
    return { ms, status: r.status, stdout: r.stdout, stderr: r.stderr, heavy, modules };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const json = argv[0] === '--json';
  const sep = argv.indexOf('--');
  const args = sep >= 0 ? argv.slice(sep + 1) : argv.slice(json ? 1 : 0);
  const r = tracedRun(args);
  const row = { command: args.join(' '), exit: r.status, ms: Math.round(r.ms), modules: r.modules.length, heavy: r.heavy };
  process.stdout.write(
    json
      ? `${JSON.stringify(row)}\n`
      : `${row.command}: exit ${row.exit}, ${row.ms} ms, ${row.modules} modules, heavy: ${row.heavy.join(', ') || 'none'}\n`,
  );
}
