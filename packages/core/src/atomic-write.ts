import { mkdirSync } from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/**
 * Writes a file atomically with `write-file-atomic` (temporary file in the same folder, fsync,
 * rename), creating the folder first: a crash or kill leaves the old file or the new one, never
 * half of one. Every file Hurricane writes for later runs (weights, checkpoints, space.json,
 * exported models) goes through here.
 */
export function writeFileAtomicSync(file: string, data: string | Uint8Array | readonly Uint8Array[], o: { fsync?: boolean } = {}): void {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const bytes =
    typeof data === 'string'
      ? data
      : data instanceof Uint8Array
        ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
        : Buffer.concat(data as Uint8Array[]);
  writeFileAtomic.sync(file, bytes, { fsync: o.fsync ?? true });
}
