/** The SQL MetadataStore: one code path over Kysely for SQLite and PostgreSQL. */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Migrator, sql } from 'kysely';
import type { Dialect, MetadataStore, Stores } from '../store.js';
import type { PostgresOptions } from '../dialects/postgres.js';
import type { SqliteOptions } from '../dialects/sqlite.js';
import { migrationProvider } from '../migrations/index.js';
import { sqlAccountStore } from './accounts.js';
import { sqlApiTokenStore } from './api-tokens.js';
import { sqlAuditStore } from './audit.js';
import { sqlBlobStore } from './blobs.js';
import { sqlJobStore } from './jobs.js';
import { sqlLocationStore } from './locations.js';
import { sqlManifestStore } from './manifests.js';
import { sqlPermissionStore } from './permissions.js';
import { sqlPlacementStore } from './placements.js';
import { sqlRegionStore } from './regions.js';
import { sqlReplicationStore } from './replication.js';
import { sqlRepositoryStore } from './repositories.js';
import { sqlRepositoryAdminStore } from './repository-admin.js';
import { sqlRobotStore } from './robots.js';
import type { Database } from './schema.js';
import { sqlServiceKeyStore } from './service-keys.js';
import type { Db } from './support.js';
import { sqlTagHistoryStore } from './tag-history.js';
import { sqlTagStore } from './tags.js';
import { sqlTeamStore } from './teams.js';
import { sqlUploadStore } from './uploads.js';

export type MetadataUri =
  | ({ dialect: 'sqlite'; path: string } & SqliteOptions)
  | ({ dialect: 'postgres'; url: string } & PostgresOptions);

/** Every store over one handle (the pool, or a transaction). */
export function sqlStores(db: Db, dialect: Dialect): Stores {
  return Object.freeze({
    repositories: sqlRepositoryStore(db),
    blobs: sqlBlobStore(db),
    locations: sqlLocationStore(db),
    placements: sqlPlacementStore(db),
    uploads: sqlUploadStore(db),
    manifests: sqlManifestStore(db),
    tags: sqlTagStore(db),
    jobs: sqlJobStore(db, dialect),
    regions: sqlRegionStore(db),
    replication: sqlReplicationStore(db, dialect),
    accounts: sqlAccountStore(db),
    robots: sqlRobotStore(db),
    teams: sqlTeamStore(db),
    permissions: sqlPermissionStore(db),
    repositoryAdmin: sqlRepositoryAdminStore(db, dialect),
    tagHistory: sqlTagHistoryStore(db),
    apiTokens: sqlApiTokenStore(db),
    audit: sqlAuditStore(db),
    serviceKeys: sqlServiceKeyStore(db),
  });
}

/** Runs `check` before every store method (see refuseInsideTransaction). */
function guardStores(stores: Stores, check: () => void): Stores {
  const guarded: Record<string, unknown> = {};
  for (const [aggregate, store] of Object.entries(stores) as [string, object][]) {
    const methods: Record<string, unknown> = {};
    for (const [name, fn] of Object.entries(store) as [string, (...args: unknown[]) => Promise<unknown>][]) {
      methods[name] = async (...args: unknown[]) => {
        check();
        return fn(...args);
      };
    }
    guarded[aggregate] = Object.freeze(methods);
  }
  return Object.freeze(guarded) as unknown as Stores;
}

/**
 * Connects, checks the database answers (so a wrong path or URL fails here, by name), and
 * returns the store. Call `migrate()` before use; `wharf migrate` and `wharf serve` both do.
 */
export async function openMetadataStore(uri: MetadataUri): Promise<MetadataStore> {
  // Only the chosen dialect's driver is loaded (pg or better-sqlite3), to keep memory down.
  const db =
    uri.dialect === 'sqlite'
      ? (await import('../dialects/sqlite.js')).createSqliteDb<Database>(uri.path, uri)
      : (await import('../dialects/postgres.js')).createPostgresDb<Database>(uri.url, uri);
  try {
    await sql`select 1`.execute(db);
  } catch (e) {
    await db.destroy().catch(() => {});
    const message = e instanceof Error ? e.message : String(e);
    throw new Error(`metadata.open (${uri.dialect}): ${message}`, { cause: e });
  }
  return new SqlMetadataStore(uri.dialect, db);
}

/** Which MetadataStore's transaction the current async call chain runs inside, if any. */
const inTransaction = new AsyncLocalStorage<{ store: SqlMetadataStore; open: boolean }>();

class SqlMetadataStore implements MetadataStore {
  readonly stores: Stores;

  constructor(
    readonly dialect: Dialect,
    private readonly db: Db,
  ) {
    this.stores = guardStores(sqlStores(db, dialect), () => this.refuseInsideTransaction('stores'));
  }

  transaction<T>(fn: (tx: Stores) => Promise<T>): Promise<T> {
    this.refuseInsideTransaction('transaction()');
    // `open` is cleared at the end, so work the callback left running (a timer, a background
    // promise) may use the autocommit stores once the transaction is over.
    const scope = { store: this, open: true };
    return this.db
      .transaction()
      .execute((tx) => inTransaction.run(scope, () => fn(sqlStores(tx, this.dialect))))
      .finally(() => {
        scope.open = false;
      });
  }

  /**
   * Inside `transaction(fn)`, `fn` must use the `tx` stores it was given. Autocommit stores or a
   * nested transaction would wait for SQLite's single connection, which the transaction holds:
   * a silent hang. On PostgreSQL they would run outside the transaction (and may wait on its
   * row locks). Both dialects refuse, so the mistake shows up in every test run.
   */
  private refuseInsideTransaction(what: string): void {
    const scope = inTransaction.getStore();
    if (scope?.store === this && scope.open) {
      throw new Error(`metadata: ${what} used inside transaction(); use the stores passed to the callback`);
    }
  }

  async migrate(): Promise<string[]> {
    const migrator = new Migrator({ db: this.db, provider: migrationProvider });
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error) {
      const failed = results.find((r) => r.status === 'Error')?.migrationName ?? 'setup';
      const message = error instanceof Error ? error.message : String(error);
      throw new Error(`metadata.migrate: ${failed}: ${message}`, { cause: error });
    }
    return results.filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}
