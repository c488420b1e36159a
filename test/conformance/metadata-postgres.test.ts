import assert from 'node:assert/strict';
import { after, describe, it, test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { createPostgresDb } from '../../src/metadata/dialects/postgres.js';
import type { Database } from '../../src/metadata/sql/schema.js';
import { openMetadataStore } from '../../src/metadata/sql/metadata-store.js';
import { createTestDatabase, POSTGRES_SKIP_MESSAGE } from '../support/postgres.js';
import { metadataSuite } from './metadata-suite.js';

// One database per run (dropped at the end); each test starts from an empty schema in it.
const testDb = await createTestDatabase();

if (!testDb) {
  test('MetadataStore conformance: PostgreSQL', { skip: POSTGRES_SKIP_MESSAGE }, () => {});
} else {
  const { url } = testDb;
  after(() => testDb.drop());

  metadataSuite('PostgreSQL', async () => {
    await testDb.reset();
    const store = await openMetadataStore({ dialect: 'postgres', url });
    const inspect = createPostgresDb<Database>(url, { maxConnections: 2 });
    return {
      store,
      inspect,
      async cleanup() {
        await inspect.destroy();
        await store.close();
      },
    };
  });

  describe('PostgreSQL dialect', () => {
    it('parses int8 as numbers for its own pool only, leaving pg defaults alone', async () => {
      const db = createPostgresDb<Database>(url);
      try {
        const { rows } = await sql`select 9007199254740991::int8 as n, count(*) as c from (values (1), (2)) v`.execute(db);
        assert.deepEqual(rows[0], { n: Number.MAX_SAFE_INTEGER, c: 2 });
        assert.equal(pg.types.getTypeParser(20)('1'), '1'); // the global default is untouched
      } finally {
        await db.destroy();
      }
    });

    it('rejects a URL that is not postgresql://', () => {
      assert.throws(() => createPostgresDb('mysql://x@y/z'), /postgresql:\/\//);
    });

    it('fails to open, naming the dialect, when the server refuses', async () => {
      const bad = new URL(url);
      bad.pathname = '/wharf_no_such_database';
      await assert.rejects(openMetadataStore({ dialect: 'postgres', url: bad.toString() }), /^Error: metadata\.open \(postgres\): .*does not exist/);
    });
  });
}
