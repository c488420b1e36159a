/**
 * The shared dialect: one PostgreSQL database for every instance in every region.
 *
 * pg returns int8 (bigint, and `count(*)`) as strings, because they may exceed 2^53. Every int8
 * we store is an id, a size, an offset or an epoch-ms time, all far below 2^53, so we parse them
 * to numbers. The parser is passed to this pool only (`types`), not set globally with
 * `pg.types.setTypeParser`, so other pg users in the process are unaffected.
 */
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';

const INT8_OID = 20;

const types: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary'
      ? (value: string) => Number(value)
      : pg.types.getTypeParser(oid, format)) as pg.CustomTypesConfig['getTypeParser'],
};

export interface PostgresOptions {
  /** Largest number of connections this process holds. */
  readonly maxConnections?: number;
  /**
   * Errors of idle pooled connections (e.g. the server restarted). pg drops that connection
   * and the next query opens a new one; without a listener the error would crash the process.
   */
  readonly onIdleError?: (error: Error) => void;
}

export function createPostgresDb<DB>(url: string, options: PostgresOptions = {}): Kysely<DB> {
  const scheme = url.slice(0, url.indexOf(':') + 1);
  if (scheme !== 'postgresql:' && scheme !== 'postgres:') {
    throw new Error(`expected a postgresql:// URL, got scheme "${scheme || url.slice(0, 20)}"`);
  }
  const pool = new pg.Pool({ connectionString: url, types, max: options.maxConnections ?? 10 });
  pool.on('error', options.onIdleError ?? (() => {}));
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
