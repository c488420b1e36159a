// The local PostgreSQL and Redis the replication benchmarks share with the test suites: a
// throwaway database per run (test/support/postgres.ts) and a Redis prefix no one else uses.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../test/support/postgres.js';

export const DEFAULT_POSTGRES = 'postgresql://postgres@127.0.0.1:5432/postgres';
export const DEFAULT_REDIS = 'redis://127.0.0.1:6379';

/** --postgres, else WHARF_TEST_POSTGRES_URL, else the local server. */
export const postgresServer = (option: string | undefined): string => option ?? process.env.WHARF_TEST_POSTGRES_URL ?? DEFAULT_POSTGRES;
/** --redis, else WHARF_TEST_REDIS_URL, else the local server. */
export const redisServer = (option: string | undefined): string => option ?? process.env.WHARF_TEST_REDIS_URL ?? DEFAULT_REDIS;

/** A new empty database on `serverUrl` (a role allowed to CREATE DATABASE); drop() removes it. */
export async function throwawayDatabase(serverUrl: string): Promise<TestDatabase> {
  const saved = process.env.WHARF_TEST_POSTGRES_URL;
  process.env.WHARF_TEST_POSTGRES_URL = serverUrl;
  try {
    const db = await createTestDatabase();
    if (!db) throw new Error(`cannot create a database on ${serverUrl}`);
    return db;
  } finally {
    if (saved === undefined) delete process.env.WHARF_TEST_POSTGRES_URL;
    else process.env.WHARF_TEST_POSTGRES_URL = saved;
  }
}

/**
 * A copy of `source` (CREATE DATABASE ... TEMPLATE: a file copy, statistics included), on the
 * same server; nobody may be connected to `source` meanwhile.
 */
export async function cloneDatabase(serverUrl: string, source: TestDatabase, suffix: string): Promise<TestDatabase> {
  const from = decodeURIComponent(new URL(source.url).pathname.slice(1));
  const name = `${from}_${suffix}`;
  const admin = await pgClient(serverUrl);
  await admin.query(`create database "${name}" template "${from}"`).finally(() => admin.end());
  const url = new URL(source.url);
  url.pathname = `/${name}`;
  const drop = async () => {
    const client = await pgClient(serverUrl);
    await client.query(`drop database if exists "${name}" with (force)`).finally(() => client.end());
  };
  return { url: url.toString(), reset: () => Promise.reject(new Error('not supported on a clone')), drop };
}

/** Host, port and a fresh WHARF_REDIS_PREFIX for a redis:// URL. */
export function redisTarget(url: string): { host: string; port: number; prefix: string } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 6379), prefix: `wharf-bench-${process.pid}-${randomBytes(4).toString('hex')}:` };
}

/** A connected pg client on `url`; end() it when done. */
export async function pgClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/** The PostgreSQL server's version line, for the notes. */
export async function postgresVersion(client: pg.Client): Promise<string> {
  const { rows } = await client.query<{ v: string }>('select version() as v');
  return rows[0]?.v.split(' on ')[0] ?? 'unknown';
}
