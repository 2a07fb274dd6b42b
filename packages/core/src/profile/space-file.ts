import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomicSync } from '../atomic-write.js';
import { HurricaneError } from '../errors.js';
import type { ReducedSpace } from './reduction.js';

/** Writes a reduced space as `space.json` (atomically). */
export function writeSpace(file: string, space: ReducedSpace): void {
  writeFileAtomicSync(file, `${JSON.stringify(space, null, 2)}\n`);
}

/** Reads a `space.json` written by {@link writeSpace}. */
export function readSpace(file: string, hint = "run 'hurricane profile' and 'hurricane space' first"): ReducedSpace {
  if (!existsSync(file)) throw new HurricaneError(`${file} does not exist: ${hint}`);
  const data = JSON.parse(readFileSync(file, 'utf8')) as ReducedSpace;
  if (data.format !== 'hurricane-space' || data.version !== 1)
    throw new HurricaneError(`${file} is not a Hurricane space file (format ${String(data.format)} v${String(data.version)})`);
  return data;
}
