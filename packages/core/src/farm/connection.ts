// `farm/` — the device farm: agents that measure for other hosts (agent.ts), the requester side as
// a hardware adapter (farm-adapter.ts), what travels between them (protocol.ts, blob-store.ts,
// device-registry.ts) and how Redis is reached (this file). BullMQ on Redis is the transport; the
// results live in the requester's SQLite store. May import the contracts and `errors`; the method
// stages never import it (rule `stages-do-not-import-orchestration`).
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { ConfigError, HurricaneError } from '../errors.js';
import { PASSWORD_ENV, redactUrl } from '../redact.js';
import type { CoreConfig } from '../config/schema.js';

/** The `farm` block of a resolved config. */
export type FarmConfig = CoreConfig['farm'];

export { PASSWORD_ENV, redactUrl };

/**
 * ioredis options for the farm's Redis: `redis://[user:password@]host[:port][/db]`, or
 * `rediss://` for TLS (with `caFile` to trust a private CA). Reconnects forever (a Redis restart
 * is survived); BullMQ workers need `maxRetriesPerRequest: null`.
 */
export function redisOptions(url: string, o: { caFile?: string | undefined; env?: NodeJS.ProcessEnv }): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`farm URL '${redactUrl(url)}' is not a URL: write redis://host:6379 or rediss://:password@host:6380`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new ConfigError(`farm URL '${redactUrl(url)}' must start with redis:// or rediss:// (TLS)`);
  }
  const db = u.pathname && u.pathname !== '/' ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0)
    throw new ConfigError(`farm URL '${redactUrl(url)}': the database '${u.pathname.slice(1)}' must be a number`);
  const password = u.password ? decodeURIComponent(u.password) : o.env?.[PASSWORD_ENV] || undefined;
  let tls: RedisOptions['tls'];
  if (u.protocol === 'rediss:') {
    let ca: Buffer | undefined;
    if (o.caFile) {
      try {
        ca = readFileSync(o.caFile);
      } catch (error) {
        throw new ConfigError(
          `farm.caFile ${o.caFile} cannot be read (${(error as NodeJS.ErrnoException).code}): give the PEM file of the CA that signed Redis's certificate`,
        );
      }
    }
    tls = { servername: u.hostname, ...(ca ? { ca } : {}) };
  } else if (o.caFile) {
    throw new ConfigError(`farm.caFile is set but the farm URL '${redactUrl(url)}' is not TLS: use rediss://`);
  }
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 6379,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(password ? { password } : {}),
    ...(tls ? { tls } : {}),
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
  };
}

/** {@link redisOptions} as BullMQ's queues, workers and event listeners take them (each opens its own connections). */
export function queueConnection(url: string, farm: FarmConfig, env: NodeJS.ProcessEnv): ConnectionOptions {
  return redisOptions(url, { caFile: farm.caFile, env }) as ConnectionOptions;
}

/** The one line a failed first connection gives: what was wrong and how to fix it. */
function connectError(url: string, error: unknown): HurricaneError {
  const msg = (error as Error).message ?? String(error);
  const where = redactUrl(url);
  if (/WRONGPASS|NOAUTH|invalid password|invalid username/i.test(msg)) {
    return new HurricaneError(
      `the farm's Redis at ${where} refused the credentials (${msg.split('\n')[0]}): put the password in the URL or in ${PASSWORD_ENV}`,
    );
  }
  if (/certificate|SSL|TLS|self.signed|ECONNRESET/i.test(msg)) {
    return new HurricaneError(
      `cannot open a TLS connection to the farm's Redis at ${where} (${msg.split('\n')[0]}): check rediss:// and farm.caFile`,
    );
  }
  return new HurricaneError(
    `cannot reach the farm's Redis at ${where} (${msg.split('\n')[0]}): start redis-server there or fix farm.url / --farm`,
  );
}

/**
 * Connects to the farm's Redis and checks it answers (PING) within 5 s; fails with one line naming
 * the URL (password hidden) and the fix. The client then reconnects forever on its own.
 */
export async function connectRedis(url: string, farm: FarmConfig, env: NodeJS.ProcessEnv): Promise<Redis> {
  const { Redis } = await import('ioredis');
  const options = redisOptions(url, { caFile: farm.caFile, env });
  const client = new Redis({ ...options, lazyConnect: true, connectTimeout: 5000, retryStrategy: () => null });
  let cause: unknown;
  client.on('error', (error) => (cause ??= error)); // the first error says why (connect() then only says "closed")
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    client.disconnect();
    throw connectError(url, cause ?? error);
  }
  client.disconnect();
  const live = new Redis(options);
  live.on('error', () => {}); // reconnects by itself; callers see failed commands
  return live;
}
