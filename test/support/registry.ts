/**
 * Starts a real Wharf (the same buildApp the CLI uses) on a free loopback port, on SQLite or
 * on a throwaway PostgreSQL database, with LocalStorage in a temporary folder. Open access by
 * default (the embedded default); `access` starts it with AUTHENTICATION_TYPE Database.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, embeddedConfig } from '../../src/config/index.js';
import { type App, buildApp } from '../../src/main.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestDatabase } from './postgres.js';

export type Dialect = 'sqlite' | 'postgres';

export interface TestRegistry {
  readonly url: string;
  readonly app: App;
  readonly dataDir: string;
  readonly config: Config;
  /** Stops the server (the data stays until `destroy`). */
  stop(): Promise<void>;
  /** Stops the server and removes its data and database. */
  destroy(): Promise<void>;
}

export interface TestRegistryOptions {
  readonly dialect: Dialect;
  /** Reuse this data folder / database (to test a restart). */
  readonly reuse?: { dataDir: string; config: Config };
  /** AUTHENTICATION_TYPE: Open (default, as the embedded default) or Database (access control). */
  readonly authentication?: 'Open' | 'Database';
  /** FEATURE_ANONYMOUS_ACCESS (default true, Quay's default). */
  readonly anonymousAccess?: boolean;
  /** SUPER_USERS. */
  readonly superUsers?: readonly string[];
  /** SERVER_HOSTNAME (the token service and realm host). */
  readonly serverHostname?: string;
}

/** Undefined when the dialect's service is not configured (the caller skips). */
export async function startTestRegistry(options: TestRegistryOptions): Promise<TestRegistry | undefined> {
  let dropDatabase = async () => {};
  let config: Config;
  let dataDir: string;
  if (options.reuse) {
    ({ config, dataDir } = options.reuse);
  } else {
    dataDir = await mkdtemp(join(tmpdir(), 'wharf-test-'));
    let database: Config['database'] = { dialect: 'sqlite', path: join(dataDir, 'wharf.db') };
    if (options.dialect === 'postgres') {
      const db = await createTestDatabase();
      if (!db) {
        await rm(dataDir, { recursive: true, force: true });
        return undefined;
      }
      database = { dialect: 'postgres', url: db.url };
      dropDatabase = () => db.drop();
    }
    // The embedded default (SQLite + one LocalStorage location under dataDir), on the chosen database.
    const embedded = embeddedConfig(dataDir);
    config = {
      ...embedded,
      source: 'test',
      database,
      authenticationType: options.authentication ?? 'Open',
      serverHostname: options.serverHostname,
      access: { ...embedded.access, anonymousAccess: options.anonymousAccess ?? true, superUsers: options.superUsers ?? [] },
    };
  }
  const app = await buildApp(config, silentLogger());
  const url = await app.server.listen({ host: '127.0.0.1', port: 0 });
  let stopped = false;
  const stop = async () => {
    if (!stopped) await app.close();
    stopped = true;
  };
  return {
    url,
    app,
    dataDir,
    config,
    stop,
    async destroy() {
      await stop();
      await dropDatabase();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
