/**
 * The embedded dialect: one SQLite file (or `:memory:`) through better-sqlite3.
 *
 * WAL lets readers run beside the single writer; `synchronous=FULL` makes a commit durable
 * before it returns (a pushed tag must survive a power cut); `busy_timeout` makes a second
 * process (e.g. `wharf gc` beside `wharf serve`) wait for the write lock instead of failing.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { CompiledQuery, Kysely, SqliteDialect, SqliteDriver, type DatabaseConnection } from 'kysely';

export interface SqliteOptions {
  /** How long a statement waits for another process's write lock, in ms. */
  readonly busyTimeoutMs?: number;
}

export function createSqliteDb<DB>(path: string, options: SqliteOptions = {}): Kysely<DB> {
  const database = (): Database.Database => {
    const memory = path === ':memory:';
    if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
    const db = new Database(path);
    db.pragma(`busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    if (!memory) db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    return db;
  };
  return new Kysely<DB>({ dialect: new ImmediateSqliteDialect({ database: async () => database() }) });
}

/**
 * Counts commits to a SQLite file by any connection of any process: `PRAGMA data_version` on a
 * connection of its own (which never writes) changes whenever another connection commits.
 * Reading it is a synchronous look at the WAL index in shared memory (about 2 µs through
 * better-sqlite3), cheap enough for a cache to check every turn of the event loop; the statement
 * is reset after each read, so it never holds a snapshot that would block checkpoints. Call
 * after the database exists (after migration).
 */
export interface SqliteCommitCounter {
  read(): number;
  close(): void;
}

/** Opens the read-only connection that reads the counter of the file at `path`. */
export function sqliteCommitCounter(path: string): SqliteCommitCounter {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const statement = db.prepare('pragma data_version').pluck();
  return {
    read: () => statement.get() as number,
    close: () => db.close(),
  };
}

/**
 * Kysely's driver opens transactions with a plain (deferred) `begin`: a transaction that reads
 * and then writes can fail with SQLITE_BUSY, without waiting, when another process wrote in
 * between. `begin immediate` takes the write lock up front, so `busy_timeout` applies.
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver(this.#config);
  }
}
