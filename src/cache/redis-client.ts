/** The Redis connections of the caches: one per cache, named after it, on the shared Redis config. */
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/config.js';

/**
 * A client that never makes its caller wait on an outage: `maxRetriesPerRequest: 0` fails a
 * command at the first failed connection attempt, and `commandTimeout` bounds a stalled server.
 */
export function cacheRedisClient(redis: RedisConfig, name: string, options: { commandTimeout: number } & RedisOptions): Redis {
  return new Redis({
    host: redis.host,
    port: redis.port,
    password: redis.password,
    db: redis.db,
    ...(redis.tls ? { tls: {} } : {}),
    connectionName: `${redis.prefix}${name}`,
    maxRetriesPerRequest: 0,
    ...options,
  });
}

/** Quits politely when connected, and always drops the socket. */
export async function closeRedisClient(client: Redis): Promise<void> {
  try {
    if (client.status === 'ready') await client.quit();
  } catch {
    // already gone
  } finally {
    client.disconnect();
  }
}
