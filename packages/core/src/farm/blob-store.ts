import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { writeFileAtomicSync } from '../atomic-write.js';
import { keys } from './protocol.js';

/**
 * How long an uploaded model stays in Redis after its last use: a waiting request renews the
 * models of its jobs every few minutes, so blobs outlive their requests by an hour at most.
 */
export const BLOB_TTL_S = 3600;

/** SHA-256 of bytes, lower-case hex. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Uploads many models, each once: one round trip asks which hashes Redis already holds at their
 * full size (renewing their expiry), a second sends the others, overwriting a blob cut short.
 * `read(i)` gives the bytes of `blobs[i]` (read only when they must be sent). Returns how many were sent.
 */
export async function putBlobs(
  redis: Redis,
  prefix: string,
  blobs: readonly { readonly sha: string; readonly bytes: number }[],
  read: (i: number) => Uint8Array,
): Promise<number> {
  const unique = [...new Map(blobs.map((b, i) => [b.sha, i])).entries()];
  const pipe = redis.pipeline();
  for (const [sha] of unique) pipe.strlen(keys.blob(prefix, sha)).expire(keys.blob(prefix, sha), BLOB_TTL_S);
  const replies = ((await pipe.exec()) ?? []).map((r) => r[1]);
  const send = unique.filter(([, i], j) => replies[2 * j] !== blobs[i]?.bytes);
  for (let start = 0; start < send.length; start += 64) {
    const batch = redis.pipeline();
    for (const [sha, i] of send.slice(start, start + 64)) {
      const b = read(i);
      batch.set(keys.blob(prefix, sha), Buffer.from(b.buffer, b.byteOffset, b.byteLength), 'EX', BLOB_TTL_S);
    }
    await batch.exec();
  }
  return send.length;
}

/** Renews the expiry of models still wanted (those Redis lost are uploaded again when their jobs are sent again). */
export async function renewBlobs(redis: Redis, prefix: string, shas: readonly string[]): Promise<void> {
  for (let start = 0; start < shas.length; start += 500) {
    const pipe = redis.pipeline();
    for (const sha of shas.slice(start, start + 500)) pipe.expire(keys.blob(prefix, sha), BLOB_TTL_S);
    await pipe.exec();
  }
}

/** Why an agent refuses a model (never retried: the same bytes would be refused again). */
export class BlobRefused extends Error {}

/**
 * The model is not in Redis (yet): retried with backoff, since a requester that saw Redis restart
 * during an add uploads the models again right after adding their jobs.
 */
export class BlobMissing extends Error {}

/** Identifies one life of the Redis server (changes when it restarts, and with it the data it lost). */
export async function serverRun(redis: Redis): Promise<string> {
  const info = await redis.info('server');
  return /^run_id:(\w+)/m.exec(info)?.[1] ?? '';
}

/**
 * The agent's copy of a model: `<dir>/<sha>.onnx`, fetched from Redis when not cached. The name is
 * built from the checked hex hash only. Refuses a blob over `maxBytes` (its size is asked first),
 * a missing one, and one whose bytes do not hash to `sha`.
 */
export async function fetchBlob(
  redis: Redis,
  prefix: string,
  o: { sha: string; bytes: number; maxBytes: number; dir: string },
): Promise<string> {
  if (!/^[0-9a-f]{64}$/.test(o.sha)) throw new BlobRefused(`model hash '${o.sha.slice(0, 80)}' is not a SHA-256`);
  const file = path.join(o.dir, `${o.sha}.onnx`);
  if (existsSync(file) && statSync(file).size === o.bytes) return file;
  if (o.bytes > o.maxBytes)
    throw new BlobRefused(`model ${o.sha.slice(0, 12)} is ${mib(o.bytes)} MiB, over this agent's farm.maxModelMiB (${mib(o.maxBytes)})`);
  // one round trip: Redis checks the size, and a blob over the limit is never sent
  const reply = (await redis.callBuffer('EVAL', [SIZE_CHECKED_GET, 1, keys.blob(prefix, o.sha), String(o.maxBytes)])) as Buffer | number;
  if (reply === 0)
    throw new BlobMissing(`model ${o.sha.slice(0, 12)} is not in the farm's Redis (expired or never uploaded): run the requester again`);
  if (typeof reply === 'number')
    throw new BlobRefused(`model ${o.sha.slice(0, 12)} is ${mib(reply)} MiB, over this agent's farm.maxModelMiB (${mib(o.maxBytes)})`);
  const bytes = reply;
  const got = sha256(bytes);
  if (got !== o.sha || bytes.length !== o.bytes) {
    // removed, so it is not renewed forever: the requester's next run uploads the right bytes
    await redis.eval(DELETE_IF_SAME, 1, keys.blob(prefix, o.sha), bytes).catch(() => 0);
    throw new BlobRefused(
      `model ${o.sha.slice(0, 12)} in Redis hashes to ${got.slice(0, 12)} (${bytes.length} bytes): refused as corrupt or tampered`,
    );
  }
  // a cache: renamed into place whole, but not fsynced (a file cut short by a crash has the wrong size and is fetched again)
  writeFileAtomicSync(file, bytes, { fsync: false });
  return file;
}

const mib = (b: number) => (b / 2 ** 20).toFixed(1);

/** GET when the value is at most ARGV[1] bytes long; otherwise its length (0 when missing). */
const SIZE_CHECKED_GET = `local n = redis.call('STRLEN', KEYS[1])
if n == 0 or n > tonumber(ARGV[1]) then return n end
return redis.call('GET', KEYS[1])`;

/** DEL when the value is still ARGV[1] (a correct upload that replaced the bad bytes meanwhile stays). */
const DELETE_IF_SAME = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;
