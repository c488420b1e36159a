import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { createSqliteDb } from '../../src/metadata/dialects/sqlite.js';
import type { Database } from '../../src/metadata/sql/schema.js';
import { openMetadataStore } from '../../src/metadata/sql/metadata-store.js';
import { metadataSuite } from './metadata-suite.js';

const tempDir = () => mkdtemp(path.join(tmpdir(), 'wharf-metadata-sqlite-'));

metadataSuite('SQLite', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'wharf.db');
  const store = await openMetadataStore({ dialect: 'sqlite', path: file });
  const inspect = createSqliteDb<Database>(file);
  return {
    store,
    inspect,
    async cleanup() {
      await inspect.destroy();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

describe('SQLite dialect', () => {
  it('creates the parent folder and opens the file in WAL mode with durable commits and foreign keys', async () => {
    const dir = await tempDir();
    try {
      const file = path.join(dir, 'nested', 'deeper', 'wharf.db');
      const db = createSqliteDb<Database>(file);
      const pragma = async (name: string) => Object.values((await sql.raw(`pragma ${name}`).execute(db)).rows[0] as object)[0];
      assert.equal(await pragma('journal_mode'), 'wal');
      assert.equal(await pragma('synchronous'), 2); // FULL
      assert.equal(await pragma('foreign_keys'), 1);
      assert.equal(await pragma('busy_timeout'), 5000);
      await db.destroy();
      assert.ok(existsSync(file));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('accepts :memory:', async () => {
    const store = await openMetadataStore({ dialect: 'sqlite', path: ':memory:' });
    try {
      assert.equal(store.dialect, 'sqlite');
      assert.equal((await store.migrate()).length > 0, true);
      assert.equal((await store.stores.repositories.ensure({ value: 'a/b', namespace: 'a' })).name, 'a/b');
    } finally {
      await store.close();
    }
  });

  it('fails to open, naming the dialect, when the file cannot be created', async () => {
    const dir = await tempDir();
    try {
      await assert.rejects(openMetadataStore({ dialect: 'sqlite', path: dir }), /^Error: metadata\.open \(sqlite\): /);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
