import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { cruise, type ICruiseOptions, type ICruiseResult } from 'dependency-cruiser';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from './helpers.js';

// The rules `npm run lint:imports` enforces (part of `npm test`), loaded from the repository's own config.
const config = createRequire(import.meta.url)(path.join(REPO, '.dependency-cruiser.cjs')) as {
  forbidden: ICruiseOptions['ruleSet'] extends infer R ? (R extends { forbidden?: infer F } ? F : never) : never;
  options: ICruiseOptions;
};

async function violations(baseDir: string, roots: string[]): Promise<{ rule: string; from: string; to: string }[]> {
  const { output } = await cruise(roots, { ...config.options, baseDir, validate: true, ruleSet: { forbidden: config.forbidden } });
  const result = output as ICruiseResult;
  return result.summary.violations.map((v) => ({ rule: v.rule.name, from: v.from, to: v.to }));
}

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

/** A throw-away tree laid out like the repository (its node_modules linked) holding `files`. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hurricane-import-rules-'));
  tmp.push(dir);
  symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

describe('import rules (.dependency-cruiser.cjs)', () => {
  // the repository itself is checked by `npm run lint:imports`, which `npm test` runs before vitest
  const core = 'packages/core/src';
  const cases: { rule: string; file: string; text: string; extra?: Record<string, string> }[] = [
    { rule: 'space-is-pure', file: `${core}/space/bad.ts`, text: "import * as tf from '@tensorflow/tfjs';\nexport const t = tf;\n" },
    {
      rule: 'space-is-pure',
      file: `${core}/space/bad.ts`,
      text: "import { exportOnnx } from '../onnx/export-onnx.js';\nexport const e = exportOnnx;\n",
      extra: { [`${core}/onnx/export-onnx.ts`]: 'export const exportOnnx = 1;\n' },
    },
    {
      rule: 'contracts-load-no-runtime-code',
      file: `${core}/contracts/bad.ts`,
      text: "export { Rng } from '../random.js';\n",
      extra: { [`${core}/random.ts`]: 'export class Rng {}\n' },
    },
    {
      rule: 'adapter-kit-stays-light',
      file: `${core}/adapter-kit/bad.ts`,
      text: "import { exportOnnx } from '../onnx/export-onnx.js';\nexport const e = exportOnnx;\n",
      extra: { [`${core}/onnx/export-onnx.ts`]: 'export const exportOnnx = 1;\n' },
    },
    {
      rule: 'predict-stays-pure',
      file: `${core}/predict/bad.ts`,
      text: "import { SqliteLatencyStore } from '../profile/latency-store.js';\nexport const s = SqliteLatencyStore;\n",
      extra: { [`${core}/profile/latency-store.ts`]: 'export class SqliteLatencyStore {}\n' },
    },
    {
      rule: 'plugins-do-not-import-tfjs',
      file: 'packages/hw-snpe/src/bad.ts',
      text: "import * as tf from '@tensorflow/tfjs';\nexport const t = tf;\n",
    },
    {
      rule: 'plugins-do-not-import-tfjs',
      file: 'packages/predictors/src/bad.ts',
      text: "import * as tf from '@tensorflow/tfjs';\nexport const t = tf;\n",
    },
    {
      rule: 'core-never-imports-a-plugin',
      file: `${core}/cli/bad.ts`,
      text: "import snpe from '@hurricane/hw-snpe';\nexport const p = snpe;\n",
    },
    {
      rule: 'search-imports-neither-tfjs-nor-hardware',
      file: `${core}/search/evolution.ts`,
      text: "import { tf } from '../engine/tf.js';\nexport const t = tf;\n",
      extra: { [`${core}/engine/tf.ts`]: 'export const tf = 1;\n' },
    },
    {
      rule: 'profile-never-loads-tfjs',
      file: `${core}/profile/bad.ts`,
      text: "import * as tf from '@tensorflow/tfjs';\nexport const t = tf;\n",
    },
    {
      rule: 'onnx-needs-no-engine',
      file: `${core}/onnx/bad.ts`,
      text: "import * as ort from 'onnxruntime-node';\nexport const o = ort;\n",
    },
    {
      rule: 'stages-do-not-import-orchestration',
      file: `${core}/train/bad.ts`,
      text: "import { profile } from '../workflows/index.js';\nexport const p = profile;\n",
      extra: { [`${core}/workflows/index.ts`]: 'export const profile = 1;\n' },
    },
    {
      rule: 'stages-do-not-import-orchestration',
      file: `${core}/profile/bad.ts`,
      text: "import { FarmAdapter } from '../farm/farm-adapter.js';\nexport const f = FarmAdapter;\n",
      extra: { [`${core}/farm/farm-adapter.ts`]: 'export const FarmAdapter = 1;\n' },
    },
    {
      rule: 'farm-is-transport',
      file: `${core}/farm/agent.ts`,
      text: "import { latencyStore } from '../profile/latency-store.js';\nexport const s = latencyStore;\n",
      extra: { [`${core}/profile/latency-store.ts`]: 'export const latencyStore = 1;\n' },
    },
    {
      rule: 'farm-is-transport',
      file: `${core}/farm/agent.ts`,
      text: "import Database from 'better-sqlite3';\nexport const d = Database;\n",
    },
    {
      rule: 'session-only-composes',
      file: `${core}/session/session.ts`,
      text: "import { FarmAdapter } from '../farm/farm-adapter.js';\nexport const f = FarmAdapter;\n",
      extra: { [`${core}/farm/farm-adapter.ts`]: 'export const FarmAdapter = 1;\n' },
    },
    {
      rule: 'session-only-composes',
      file: `${core}/session/session.ts`,
      text: "import { profile } from '../workflows/index.js';\nexport const p = profile;\n",
      extra: { [`${core}/workflows/index.ts`]: 'export const profile = 1;\n' },
    },
    {
      rule: 'config-reads-config',
      file: `${core}/config/resolve.ts`,
      text: "import { redactUrl } from '../farm/connection.js';\nexport const r = redactUrl;\n",
      extra: { [`${core}/farm/connection.ts`]: 'export const redactUrl = 1;\n' },
    },
    {
      rule: 'config-reads-config',
      file: `${core}/config/resolve.ts`,
      text: "import { HurricaneSession } from '../session/session.js';\nexport const s = HurricaneSession;\n",
      extra: { [`${core}/session/session.ts`]: 'export const HurricaneSession = 1;\n' },
    },
    {
      rule: 'report-renders',
      file: `${core}/report/search-report.ts`,
      text: "import { RunFolder } from '../workflows/run-folder.js';\nexport const r = RunFolder;\n",
      extra: { [`${core}/workflows/run-folder.ts`]: 'export const RunFolder = 1;\n' },
    },
    {
      rule: 'train-does-not-read-profiles',
      file: `${core}/train/bad.ts`,
      text: "import { readSpace } from '../profile/space-file.js';\nexport const r = readSpace;\n",
      extra: { [`${core}/profile/space-file.ts`]: 'export const readSpace = 1;\n' },
    },
  ];
  for (const c of cases) {
    it(`${c.rule} fails ${path.relative(core, c.file).startsWith('..') ? c.file : path.relative(core, c.file)} for: ${c.text.split('\n')[0]}`, async () => {
      const dir = tree({ [c.file]: c.text, ...c.extra });
      const found = await violations(dir, [c.file]);
      expect(found.map((v) => `${v.rule}: ${v.from}`)).toContain(`${c.rule}: ${c.file}`);
    }, 60_000);
  }

  it('a type-only import of runtime code is allowed in the contracts', async () => {
    const dir = tree({
      [`${core}/contracts/ok.ts`]: "import type { Rng } from '../random.js';\nexport type R = Rng;\n",
      [`${core}/random.ts`]: 'export class Rng {}\n',
    });
    expect(await violations(dir, [`${core}/contracts/ok.ts`])).toEqual([]);
  }, 60_000);
});
