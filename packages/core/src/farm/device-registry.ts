import type { Redis } from 'ioredis';
import { type Announcement, announcementSchema, keys } from './protocol.js';

/** How often an agent renews its announcements, and how long one lives without renewal. */
export const HEARTBEAT_MS = 2000;
export const ANNOUNCEMENT_TTL_MS = 3 * HEARTBEAT_MS;

/** Writes (or renews) a device's announcement; it expires {@link ANNOUNCEMENT_TTL_MS} after the last renewal. */
export async function announce(redis: Redis, prefix: string, a: Announcement): Promise<void> {
  await redis.set(keys.device(prefix, a.queue, a.agentId, a.adapterId), JSON.stringify(a), 'PX', ANNOUNCEMENT_TTL_MS);
}

/** Removes a device's announcement (graceful stop). */
export async function withdraw(redis: Redis, prefix: string, a: Pick<Announcement, 'queue' | 'agentId' | 'adapterId'>): Promise<void> {
  await redis.del(keys.device(prefix, a.queue, a.agentId, a.adapterId));
}

/** Every live announcement (malformed ones are skipped), sorted by agent then adapter. */
export async function listDevices(redis: Redis, prefix: string): Promise<Announcement[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', keys.devicePattern(prefix), 'COUNT', 500);
    cursor = next;
    found.push(...batch);
  } while (cursor !== '0');
  if (found.length === 0) return [];
  const values = await redis.mget(found);
  const out: Announcement[] = [];
  for (const v of values) {
    if (v === null) continue;
    try {
      const r = announcementSchema.safeParse(JSON.parse(v));
      if (r.success) out.push(r.data);
    } catch {
      // not JSON: not ours
    }
  }
  return out.sort((a, b) => a.agentId.localeCompare(b.agentId) || a.adapterId.localeCompare(b.adapterId));
}

/** `snpe-dsp Galaxy S22 (fingerprint R5CT…, runtime 2.10) on lab-3:4411`, for messages. */
export function describeDevice(a: Announcement): string {
  return `${a.adapterId} ${a.device} (fingerprint ${a.deviceFingerprint}, runtime ${a.runtimeVersion}) on ${a.agentId}`;
}
