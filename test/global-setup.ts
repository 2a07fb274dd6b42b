import { readdirSync } from 'node:fs';
import os from 'node:os';

/**
 * The check that tests leave the system temp folder as they found it: every `hurricane-*` entry that
 * appears in it during the run and is still there at the end fails the run. (test/setup.ts points
 * each test file's TMPDIR at a folder of its own and removes it; this catches anything that writes
 * to the real temp folder instead.)
 */
export default function setup(): () => void {
  const tmp = os.tmpdir();
  const before = new Set(readdirSync(tmp));
  return () => {
    const left = readdirSync(tmp).filter((name) => name.startsWith('hurricane-') && !before.has(name));
    if (left.length === 0) return;
    // vitest reports an error thrown here but keeps its exit code: set the failure as well.
    process.exitCode = 1;
    throw new Error(
      `tests left ${left.length} folder${left.length === 1 ? '' : 's'} in ${tmp} (${left.slice(0, 5).join(', ')}${left.length > 5 ? ', …' : ''}): every test must remove what it creates`,
    );
  };
}
