/**
 * Real, migrated metadata stores for tests that run on top of the metadata layer (job runner,
 * replication): SQLite in a temp folder always, PostgreSQL when WHARF_TEST_POSTGRES_URL is set
 * (see postgres.ts for skipping and WHARF_TEST_REQUIRE_ALL). `forEachDialect` defines the
 * caller's tests once per dialect; each `open()` gives a fresh, empty database.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { openMetadataStore } from '../../src/metadata/sql/metadata-store.js';
import type { MetadataStore } from '../../src/metadata/store.js';
import { createTestDatabase, POSTGRES_SKIP_MESSAGE } from './postgres.js';

export interface OpenedMetadata {
  readonly store: MetadataStore;
  close(): Promise<void>;
}

export type OpenMetadata = () => Promise<OpenedMetadata>;

export async function forEachDialect(define: (dialect: string, open: OpenMetadata) => void): Promise<void> {
  define('SQLite', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wharf-metadata-'));
    const store = await openMetadataStore({ dialect: 'sqlite', path: path.join(dir, 'wharf.db') });
    await store.migrate();
    return { store, close: async () => (await store.close(), await rm(dir, { recursive: true, force: true })) };
  });

  const testDb = await createTestDatabase();
  if (!testDb) {
    test('PostgreSQL', { skip: POSTGRES_SKIP_MESSAGE }, () => {});
    return;
  }
  after(() => testDb.drop());
  define('PostgreSQL', async () => {
    await testDb.reset();
    const store = await openMetadataStore({ dialect: 'postgres', url: testDb.url });
    await store.migrate();
    return { store, close: () => store.close() };
  });
}
