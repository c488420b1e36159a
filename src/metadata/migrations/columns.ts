/**
 * The few column types that differ between SQLite and PostgreSQL, so that each migration is
 * one code path for both dialects.
 */
import { PostgresIntrospector, sql, type ColumnDefinitionBuilder, type Expression, type Kysely } from 'kysely';

// Migrations are schema-agnostic by nature: Kysely's Migration interface takes Kysely<any>.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDb = Kysely<any>;

export function isPostgres(db: AnyDb): boolean {
  return db.introspection instanceof PostgresIntrospector;
}

/** The auto-increment primary key: `integer primary key autoincrement` / a bigint identity. */
export function addId(db: AnyDb): [string, 'integer' | 'bigint', (c: ColumnDefinitionBuilder) => ColumnDefinitionBuilder] {
  return isPostgres(db)
    ? ['id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity()]
    : ['id', 'integer', (c) => c.primaryKey().autoIncrement()];
}

/** Raw bytes: `blob` / `bytea`. */
export function bytes(db: AnyDb): 'blob' | 'bytea' {
  return isPostgres(db) ? 'bytea' : 'blob';
}

/**
 * Text that sorts and compares byte-wise. SQLite's default collation (BINARY) already does;
 * on PostgreSQL the column gets the "C" collation, so `ORDER BY name` and `name > $last` are
 * byte order whatever the database's locale, and the unique index on the column serves both.
 */
export function byteText(db: AnyDb): Expression<unknown> | 'text' {
  return isPostgres(db) ? sql`text collate "C"` : 'text';
}
