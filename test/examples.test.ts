// The configs in examples/ stay valid: each resolves and its plugins load.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { createSession } from '@hurricane/core';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers.js';

const dir = path.join(REPO, 'examples');

describe('examples', () => {
  for (const example of readdirSync(dir)) {
    const [file] = readdirSync(path.join(dir, example)).filter((f) => f.startsWith('hurricane.config.'));
    if (!file) continue;
    it(`${example}/${file} resolves, loads its plugins and selects its hardware (each of its targets)`, async () => {
      const session = await createSession({ cwd: REPO, configPath: path.join(dir, example, file) });
      for (const t of session.config.targets) expect(session.forTarget(t.name).adapter().id).toBe(t.adapter);
      if (session.config.core.targets === undefined) expect(session.adapter().id).toBe(session.config.core.hardware);
      await session.dispose();
    });
  }
});
