/**
 * A throwaway PostgreSQL database per test run, for any suite that needs one (metadata
 * conformance, HTTP tests).
 *
 * - `WHARF_TEST_POSTGRES_URL` (e.g. postgresql://postgres@127.0.0.1:5432/postgres) names a
 *   server and a role allowed to CREATE DATABASE; unset, PostgreSQL tests skip...
 * - ...unless `WHARF_TEST_REQUIRE_ALL=1`, in which case `createTestDatabase` throws, so a CI job
 *   that is meant to cover PostgreSQL cannot pass by skipping it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  /** URL of the new, empty database. */
  readonly url: string;
  /** Empties the database (drops and recreates the `public` schema), for per-test isolation. */
  reset(): Promise<void>;
  /** Drops the database, disconnecting anyone still connected. */
  drop(): Promise<void>;
}

export const POSTGRES_SKIP_MESSAGE = 'WHARF_TEST_POSTGRES_URL is not set (e.g. postgresql://postgres@127.0.0.1:5432/postgres)';

export async function createTestDatabase(): Promise<TestDatabase | undefined> {
  const serverUrl = process.env.WHARF_TEST_POSTGRES_URL;
  if (!serverUrl) {
    if (process.env.WHARF_TEST_REQUIRE_ALL === '1') {
      throw new Error(`WHARF_TEST_REQUIRE_ALL=1 but ${POSTGRES_SKIP_MESSAGE}`);
    }
    return undefined;
  }
  const name = `wharf_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withClient(serverUrl, async (client) => {
    try {
      // Most production databases use a linguistic collation (en_US and the like), under which
      // `-`, `.`, `_` and case sort differently from byte order. Test under one, so that code
      // relying on the server's default order instead of explicit byte order fails here.
      await client.query(`create database "${name}" template template0 locale_provider icu icu_locale 'en-US'`);
    } catch {
      await client.query(`create database "${name}"`); // PostgreSQL < 15 or built without ICU
    }
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    reset: () =>
      withClient(url.toString(), async (client) => {
        await client.query('drop schema public cascade');
        await client.query('create schema public');
      }),
    drop: () =>
      withClient(serverUrl, async (client) => {
        await client.query(`drop database if exists "${name}" with (force)`);
      }),
  };
}

async function withClient(url: string, fn: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await fn(client);
  } finally {
    await client.end();
  }
}
