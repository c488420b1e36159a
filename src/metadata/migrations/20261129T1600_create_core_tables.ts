/** Namespaces, repositories, blobs, storage locations and where each blob's bytes are. */
import { sql } from 'kysely';
import { addId, byteText, type AnyDb } from './columns.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('namespace')
    .addColumn(...addId(db))
    .addColumn('name', byteText(db), (c) => c.notNull().unique())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addCheckConstraint('namespace_kind_check', sql`kind in ('user', 'organization')`)
    .execute();

  await db.schema
    .createTable('repository')
    .addColumn(...addId(db))
    .addColumn('namespace_id', 'bigint', (c) => c.notNull().references('namespace.id'))
    // The full name clients use (`acme/web/api`), unique across the registry.
    .addColumn('name', byteText(db), (c) => c.notNull().unique())
    .addColumn('visibility', 'text', (c) => c.notNull().defaultTo('private'))
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('normal'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('repository_namespace_id').on('repository').column('namespace_id').execute();

  await db.schema
    .createTable('blob')
    .addColumn(...addId(db))
    .addColumn('digest', 'text', (c) => c.notNull().unique())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('storage_location')
    .addColumn(...addId(db))
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .execute();

  await db.schema
    .createTable('blob_placement')
    .addColumn('blob_id', 'bigint', (c) => c.notNull().references('blob.id'))
    .addColumn('location_id', 'bigint', (c) => c.notNull().references('storage_location.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_placement_pkey', ['blob_id', 'location_id'])
    .execute();
  // Per-location questions (backfill, status counts, remove-location) start from the location.
  await db.schema.createIndex('blob_placement_location_id').on('blob_placement').column('location_id').execute();

  await db.schema
    .createTable('namespace_region')
    .addColumn('namespace_id', 'bigint', (c) => c.notNull().references('namespace.id').onDelete('cascade'))
    .addColumn('location_id', 'bigint', (c) => c.notNull().references('storage_location.id'))
    .addPrimaryKeyConstraint('namespace_region_pkey', ['namespace_id', 'location_id'])
    .execute();
  await db.schema.createIndex('namespace_region_location_id').on('namespace_region').column('location_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['namespace_region', 'blob_placement', 'storage_location', 'blob', 'repository', 'namespace']) {
    await db.schema.dropTable(table).execute();
  }
}
