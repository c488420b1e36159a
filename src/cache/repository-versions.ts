/**
 * Versions of what a process may cache about a repository (its row, tag → manifest, which
 * digests it holds). A cached value is served only while the repository's version is the one
 * it was loaded under; every write that changes any of those commits to the database first,
 * then calls `invalidate` (or `invalidateAll`) before it answers its client. A reader reads
 * the version *before* it reads the database, so whatever it loads under a version is at
 * least as new as that version: no interleaving of readers and writers caches stale data
 * under the current version.
 *
 * Four implementations, picked by main.ts:
 * - local: one process on an in-memory database (tests): a counter in memory, read synchronously;
 * - database file: the embedded SQLite default, which `wharf serve --workers N` and operator
 *   commands may share between processes: the file's commit counter, read synchronously. Any
 *   commit by anyone stales every cached repository (coarse, but a push storm only costs
 *   reloads, and nothing has to be told about writes);
 * - Redis: every instance sharing the Redis reads the version per request (one MGET per turn
 *   of the event loop for all requests that arrived in it) and a write replaces it with a
 *   fresh random token. Random
 *   tokens rather than INCR: a Redis that restarted empty, or a key that expired, gives a new
 *   token instead of restarting a counter at a value some process still holds;
 * - none: PostgreSQL without Redis (several instances may share the database and nothing
 *   tells one about another's writes): `current` is always undefined, so mutable mappings are
 *   never cached and every read goes to the database.
 */
import { randomBytes } from 'node:crypto';
import { cacheRedisClient, closeRedisClient } from './redis-client.js';
import type { RedisConfig } from '../config/config.js';
import type { Logger } from '../observability/logger.js';

/** Compared with `===` only. */
export type Version = number | string;

export interface RepositoryVersions {
  /** Whether other processes see this one's invalidations (Redis), for logs and docs. */
  readonly kind: 'local' | 'database-file' | 'redis' | 'none';
  /**
   * The repository's version now; undefined when nothing may be cached (no shared source of
   * truth, or it cannot be reached). Synchronous for the local kind, so a cache hit costs no
   * asynchronous hop.
   */
  current(name: string): Version | undefined | Promise<Version | undefined>;
  /** After a committed write to the repository: every process's cache of it is stale when this returns. */
  invalidate(name: string): Promise<void>;
  /** After a committed write that touches many repositories (a namespace deleted). */
  invalidateAll(): Promise<void>;
  close(): Promise<void>;
}

/** In one process: a counter per repository, and a floor that `invalidateAll` raises. */
export function localVersions(): RepositoryVersions {
  let sequence = 0;
  let floor = 0;
  const byName = new Map<string, number>();
  return {
    kind: 'local',
    current: (name) => byName.get(name) ?? floor,
    async invalidate(name) {
      byName.set(name, ++sequence);
    },
    async invalidateAll() {
      floor = ++sequence;
      byName.clear();
    },
    async close() {
      byName.clear();
    },
  };
}

/**
 * Versions that follow a database file's commit counter (`sqliteCommitCounter`): every commit
 * by any process changes every version. The version is a number, `epoch`, raised whenever the
 * counter is seen to move and by `invalidate` (so this process's own writes stale its caches
 * even if a caller ever invalidates without committing).
 *
 * The counter is read at most once per turn of the event loop (a native call per request cost
 * 15% of a cached pull). Sharing one read within a turn is safe: every request handled in a turn
 * arrived before that turn's poll returned, so before the first read of the turn; a write that
 * had returned to a client before the client sent its request committed before that read.
 */
export function databaseFileVersions(commits: { read(): number; close(): void }): RepositoryVersions {
  let epoch = 0;
  let seen: number | undefined;
  let readThisTurn = false;
  const nextTurn = () => {
    readThisTurn = false;
  };
  return {
    kind: 'database-file',
    current() {
      if (!readThisTurn) {
        readThisTurn = true;
        setImmediate(nextTurn);
        const now = commits.read();
        if (now !== seen) {
          seen = now;
          epoch++;
        }
      }
      return epoch;
    },
    async invalidate() {
      epoch++;
    },
    async invalidateAll() {
      epoch++;
    },
    async close() {
      commits.close();
    },
  };
}

/** Nothing cached: every `current` is undefined. */
export function noVersions(): RepositoryVersions {
  return {
    kind: 'none',
    current: () => undefined,
    invalidate: async () => {},
    invalidateAll: async () => {},
    close: async () => {},
  };
}

export interface RedisVersionsOptions {
  readonly logger: Logger;
  /** How long an unused version key lives (an expired key only costs one reload). */
  readonly keyTtlMs?: number;
  /** Attempts of an invalidation before it is reported as failed. */
  readonly attempts?: number;
}

const DEFAULT_KEY_TTL_MS = 24 * 3600_000;
const DEFAULT_ATTEMPTS = 3;

/**
 * Keys `<prefix>cache:v:all` and `<prefix>cache:v:repo:<name>`; a repository's version is the
 * pair. Readers fall back to "no cache" (undefined) when Redis is unreachable: the database
 * answers instead. A failed invalidation is retried, then logged as an error; the write has
 * committed and is not failed for it (Redis is never a gate for writes). Only an instance that
 * still reaches Redis while the writer cannot could then serve an old value, and only until
 * the cache's maximum age (seconds) runs out.
 */
export function redisVersions(redis: RedisConfig, options: RedisVersionsOptions): RepositoryVersions {
  const { logger } = options;
  const keyTtlMs = options.keyTtlMs ?? DEFAULT_KEY_TTL_MS;
  const attempts = options.attempts ?? DEFAULT_ATTEMPTS;
  const client = cacheRedisClient(redis, 'wharf-cache', {
    // Invalidations and version reads of one turn of the event loop go out in one write.
    enableAutoPipelining: true,
    // A read must not wait on an outage: it falls back to the database.
    commandTimeout: 1000,
  });
  let warned = false;
  client.on('error', (err: Error) => {
    if (warned) return;
    warned = true;
    logger.warn({ err }, 'cache versions: cannot reach Redis; repository caches are bypassed until it is back');
  });
  client.on('ready', () => (warned = false));
  const allKey = `${redis.prefix}cache:v:all`;
  const repoKey = (name: string) => `${redis.prefix}cache:v:repo:${name}`;
  const fresh = () => randomBytes(12).toString('base64url');
  const down = () => client.status !== 'ready';

  /** A missing key gets a fresh token (unless another process set one first). */
  async function initialise(key: string): Promise<string> {
    const token = fresh();
    const set = await client.set(key, token, 'PX', keyTtlMs, 'NX');
    if (set === 'OK') return token;
    const now = await client.get(key);
    if (now === null) throw new Error(`cache version ${key} vanished`);
    return now;
  }

  async function replace(keys: string[]): Promise<void> {
    let last: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const pipeline = client.multi();
        for (const key of keys) pipeline.set(key, fresh(), 'PX', keyTtlMs);
        await pipeline.exec();
        return;
      } catch (err) {
        last = err;
      }
    }
    logger.error({ err: last, keys }, 'cache versions: invalidation failed; other instances may serve cached data until it ages out');
  }

  /**
   * Version reads wait for the end of the event loop's poll phase and go out as one MGET for
   * every repository asked about meanwhile. Sharing is safe because the MGET is sent after
   * every request that shares it arrived: a write that had returned before any of them was
   * sent has its new version in the answer. (Sharing a read already on its way would not be.)
   */
  let waiting = new Map<string, { resolve(v: Version | undefined): void; promise: Promise<Version | undefined> }>();
  async function flush(): Promise<void> {
    const batch = waiting;
    waiting = new Map();
    const names = [...batch.keys()];
    try {
      const values = await client.mget(allKey, ...names.map(repoKey));
      const all = values[0] ?? (await initialise(allKey));
      for (let i = 0; i < names.length; i++) {
        const name = names[i] as string;
        const repo = values[i + 1] ?? (await initialise(repoKey(name)));
        batch.get(name)?.resolve(`${all}/${repo}`);
      }
    } catch {
      for (const entry of batch.values()) entry.resolve(undefined);
    }
  }

  return {
    kind: 'redis',
    current(name) {
      if (down()) return undefined;
      const pending = waiting.get(name);
      if (pending) return pending.promise;
      if (waiting.size === 0) setImmediate(() => void flush());
      let resolve!: (v: Version | undefined) => void;
      const promise = new Promise<Version | undefined>((r) => (resolve = r));
      waiting.set(name, { resolve, promise });
      return promise;
    },
    invalidate: (name) => replace([repoKey(name)]),
    invalidateAll: () => replace([allKey]),
    close: () => closeRedisClient(client),
  };
}
