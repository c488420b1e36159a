/** Upload sessions, manifests and what they reference, tags with history, repository links. */
import { sql } from 'kysely';
import { addId, byteText, bytes, type AnyDb } from './columns.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema
    .createTable('blob_upload')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repository.id').onDelete('cascade'))
    .addColumn('location_id', 'bigint', (c) => c.notNull().references('storage_location.id'))
    .addColumn('offset', 'bigint', (c) => c.notNull())
    .addColumn('driver_state', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('blob_upload_updated_at').on('blob_upload').column('updated_at').execute();
  await db.schema.createIndex('blob_upload_repository_id').on('blob_upload').column('repository_id').execute();
  await db.schema.createIndex('blob_upload_location_id').on('blob_upload').column('location_id').execute();

  await db.schema
    .createTable('manifest')
    .addColumn(...addId(db))
    .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repository.id').onDelete('cascade'))
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('payload', bytes(db), (c) => c.notNull())
    .addColumn('subject_digest', 'text')
    .addColumn('artifact_type', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('manifest_repository_id_digest_key', ['repository_id', 'digest'])
    .execute();
  await db.schema.createIndex('manifest_subject').on('manifest').columns(['repository_id', 'subject_digest']).execute();
  // Cross-repository questions by digest (GC, "which repositories hold this manifest").
  await db.schema.createIndex('manifest_digest').on('manifest').column('digest').execute();

  await db.schema
    .createTable('manifest_blob')
    .addColumn('manifest_id', 'bigint', (c) => c.notNull().references('manifest.id').onDelete('cascade'))
    .addColumn('blob_id', 'bigint', (c) => c.notNull().references('blob.id'))
    .addPrimaryKeyConstraint('manifest_blob_pkey', ['manifest_id', 'blob_id'])
    .execute();
  await db.schema.createIndex('manifest_blob_blob_id').on('manifest_blob').column('blob_id').execute();

  await db.schema
    .createTable('manifest_child')
    .addColumn('manifest_id', 'bigint', (c) => c.notNull().references('manifest.id').onDelete('cascade'))
    .addColumn('child_manifest_id', 'bigint', (c) => c.notNull().references('manifest.id').onDelete('cascade'))
    .addPrimaryKeyConstraint('manifest_child_pkey', ['manifest_id', 'child_manifest_id'])
    .execute();
  await db.schema.createIndex('manifest_child_child_id').on('manifest_child').column('child_manifest_id').execute();

  await db.schema
    .createTable('tag')
    .addColumn(...addId(db))
    .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repository.id').onDelete('cascade'))
    .addColumn('name', byteText(db), (c) => c.notNull())
    .addColumn('manifest_id', 'bigint', (c) => c.notNull().references('manifest.id').onDelete('cascade'))
    .addColumn('lifetime_start', 'bigint', (c) => c.notNull())
    .addColumn('lifetime_end', 'bigint')
    .execute();
  // At most one current (unended) tag per name; ended rows are history.
  await db.schema
    .createIndex('tag_current_name')
    .unique()
    .on('tag')
    .columns(['repository_id', 'name'])
    .where(sql.ref('lifetime_end'), 'is', null)
    .execute();
  await db.schema.createIndex('tag_history').on('tag').columns(['repository_id', 'name', 'lifetime_start']).execute();
  await db.schema.createIndex('tag_manifest_id').on('tag').column('manifest_id').execute();

  await db.schema
    .createTable('repo_blob')
    .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repository.id').onDelete('cascade'))
    .addColumn('blob_id', 'bigint', (c) => c.notNull().references('blob.id'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('repo_blob_pkey', ['repository_id', 'blob_id'])
    .execute();
  await db.schema.createIndex('repo_blob_blob_id').on('repo_blob').column('blob_id').execute();
}

export async function down(db: AnyDb): Promise<void> {
  for (const table of ['repo_blob', 'tag', 'manifest_child', 'manifest_blob', 'manifest', 'blob_upload']) {
    await db.schema.dropTable(table).execute();
  }
}
