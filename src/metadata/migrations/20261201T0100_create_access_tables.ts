/**
 * Access control: users (a namespace plus login data), robots, teams and their members,
 * repository permissions, API tokens, the audit log and the public keys of token signers.
 *
 * Flags are integers 0/1 on both dialects (one code path; the stores map them to booleans).
 * Subjects of permissions and team members are polymorphic (`kind`, `id`), so they carry no
 * foreign key: the stores delete them with the account they name. Audit rows hold names, not
 * ids, so the log outlives what it describes.
 */
import { sql } from 'kysely';
import { addId, byteText, isPostgres, type AnyDb } from './columns.js';

export async function up(db: AnyDb): Promise<void> {
  await db.schema.alterTable('namespace').addColumn('email', 'text').execute();
  await db.schema.alterTable('repository').addColumn('description', 'text', (c) => c.notNull().defaultTo('')).execute();
  // Listings walk one namespace, or the public repositories, in name order (see access-sql.ts).
  await db.schema.dropIndex('repository_namespace_id').execute();
  await db.schema.createIndex('repository_namespace_name').on('repository').columns(['namespace_id', 'name']).execute();
  await db.schema.createIndex('repository_visibility_name').on('repository').columns(['visibility', 'name']).execute();

  await db.schema
    .createTable('app_user')
    .addColumn('namespace_id', 'bigint', (c) => c.primaryKey().references('namespace.id').onDelete('cascade'))
    .addColumn('password_hash', 'text')
    .addColumn('superuser', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addCheckConstraint('app_user_flags_check', sql`superuser in (0, 1) and enabled in (0, 1)`)
    .execute();

  await db.schema
    .createTable('robot')
    .addColumn(...addId(db))
    .addColumn('namespace_id', 'bigint', (c) => c.notNull().references('namespace.id'))
    .addColumn('short_name', byteText(db), (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_accessed_at', 'bigint')
    // Also the index for "the namespace's robots by short name".
    .addUniqueConstraint('robot_namespace_id_short_name_key', ['namespace_id', 'short_name'])
    .execute();

  await db.schema
    .createTable('team')
    .addColumn(...addId(db))
    .addColumn('organization_id', 'bigint', (c) => c.notNull().references('namespace.id'))
    .addColumn('name', byteText(db), (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addUniqueConstraint('team_organization_id_name_key', ['organization_id', 'name'])
    .addCheckConstraint('team_role_check', sql`role in ('member', 'creator', 'admin')`)
    .execute();

  await db.schema
    .createTable('team_member')
    .addColumn('team_id', 'bigint', (c) => c.notNull().references('team.id').onDelete('cascade'))
    .addColumn('member_kind', 'text', (c) => c.notNull())
    .addColumn('member_id', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('team_member_pkey', ['team_id', 'member_kind', 'member_id'])
    .addCheckConstraint('team_member_kind_check', sql`member_kind in ('user', 'robot')`)
    .execute();
  // Every permission question starts from the account: "which teams is it in?"
  await db.schema.createIndex('team_member_member').on('team_member').columns(['member_kind', 'member_id', 'team_id']).execute();

  await db.schema
    .createTable('repository_permission')
    .addColumn('repository_id', 'bigint', (c) => c.notNull().references('repository.id').onDelete('cascade'))
    .addColumn('subject_kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'bigint', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('repository_permission_pkey', ['repository_id', 'subject_kind', 'subject_id'])
    .addCheckConstraint('repository_permission_subject_check', sql`subject_kind in ('user', 'robot', 'team')`)
    .addCheckConstraint('repository_permission_role_check', sql`role in ('read', 'write', 'admin')`)
    .execute();
  // "Which repositories may this account (or its teams) see?" for listings.
  await db.schema
    .createIndex('repository_permission_subject')
    .on('repository_permission')
    .columns(['subject_kind', 'subject_id', 'repository_id'])
    .execute();

  await db.schema
    .createTable('api_token')
    .addColumn(...addId(db))
    .addColumn('uuid', 'text', (c) => c.notNull().unique())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('namespace.id'))
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_accessed_at', 'bigint')
    .addColumn('expires_at', 'bigint')
    .execute();
  await db.schema.createIndex('api_token_user_id').on('api_token').columns(['user_id', 'id']).execute();

  await db.schema
    .createTable('audit_log')
    .addColumn(...addId(db))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('performer_kind', 'text', (c) => c.notNull())
    .addColumn('performer_name', 'text')
    .addColumn('namespace_name', 'text')
    .addColumn('repository_name', 'text')
    .addColumn('ip', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // Each listing filter, newest first: the index walk stops after `n` rows.
  await db.schema.createIndex('audit_log_namespace').on('audit_log').columns(['namespace_name', 'id']).execute();
  await db.schema.createIndex('audit_log_repository').on('audit_log').columns(['repository_name', 'id']).execute();
  await db.schema.createIndex('audit_log_performer').on('audit_log').columns(['performer_name', 'id']).execute();

  await db.schema
    .createTable('service_key')
    .addColumn('kid', 'text', (c) => c.primaryKey())
    .addColumn('jwk', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();

  if (isPostgres(db)) {
    // Repository search: `name ilike '%text%'` and similarity() ranking are served by a trigram
    // index. pg_trgm is a trusted extension (PostgreSQL 13+): a database owner may create it.
    await sql`create extension if not exists pg_trgm`.execute(db);
    await sql`create index repository_name_trgm on repository using gin (name gin_trgm_ops)`.execute(db);
  }
}

export async function down(db: AnyDb): Promise<void> {
  // The pg_trgm extension stays: it may have been there before, for other users.
  if (isPostgres(db)) await db.schema.dropIndex('repository_name_trgm').execute();
  for (const table of ['service_key', 'audit_log', 'api_token', 'repository_permission', 'team_member', 'team', 'robot', 'app_user']) {
    await db.schema.dropTable(table).execute();
  }
  await db.schema.dropIndex('repository_visibility_name').execute();
  await db.schema.dropIndex('repository_namespace_name').execute();
  await db.schema.createIndex('repository_namespace_id').on('repository').column('namespace_id').execute();
  await db.schema.alterTable('repository').dropColumn('description').execute();
  await db.schema.alterTable('namespace').dropColumn('email').execute();
}
