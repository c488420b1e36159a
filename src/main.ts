/**
 * The composition root: config -> storage drivers -> metadata -> access control -> registry
 * use cases -> HTTP. The only module that picks implementations; everything else depends on
 * contracts.
 */
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { Authenticator } from './auth/authenticator.js';
import { RegistryTokens } from './auth/registry-tokens.js';
import { loadSigningKey } from './auth/signing-key.js';
import { StoreAuthorizer } from './auth/store-authorizer.js';
import { type LoginThrottle, memoryLoginThrottle, redisLoginThrottle } from './cache/login-throttle.js';
import { RepositoryViewCache } from './cache/repository-view-cache.js';
import { databaseFileVersions, localVersions, noVersions, redisVersions, type RepositoryVersions } from './cache/repository-versions.js';
import { type Config, embeddedConfig, loadConfigFile } from './config/index.js';
import { accountRoutes } from './http/api/account-routes.js';
import { discoveryRoutes } from './http/api/openapi.js';
import { repositoryRoutes } from './http/api/repository-routes.js';
import { apiAuthenticate } from './http/auth/api-authenticate.js';
import { Challenges } from './http/auth/challenge.js';
import { CheckedAccess, openAccess, type RegistryAccess } from './http/auth/registry-access.js';
import type { TokenEndpointDeps } from './http/auth/token-endpoint.js';
import { buildServer, type ServerDeps } from './http/server.js';
import { UrlBuilder } from './http/oci/urls.js';
import { ensureSuperuser } from './management/bootstrap.js';
import type { ManagementContext } from './management/context.js';
import { openMetadataStore } from './metadata/sql/metadata-store.js';
import type { ManifestRow, MetadataStore, RepositoryRow } from './metadata/store.js';
import type { Logger } from './observability/logger.js';
import { BlobService, ListingService, ManifestService, type RegistryContext, UploadService } from './registry/index.js';
import { createDriver, validateDriverParams } from './storage/drivers.js';
import { type Location, LocationSet } from './storage/locations/location-set.js';
import type { WorkNotifier } from './jobs/notifier.js';
import type { JobRunner } from './jobs/runner.js';
import { openNotifier, replicationPolicy, replicationRunner } from './workers.js';
import { UploadCleaner } from './jobs/uploads/upload-cleaner.js';
import { ROLES, type Role } from './roles.js';

/** The config a command runs with: --config, else WHARF_CONFIG, else ./config.yaml, else the embedded default. */
export function resolveConfig(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Config {
  const path = file ?? env.WHARF_CONFIG ?? (existsSync('config.yaml') ? 'config.yaml' : undefined);
  return path === undefined ? embeddedConfig() : loadConfig(path, env);
}

/** Loads and fully validates a config file, including every storage driver's parameters. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  return loadConfigFile(file, { env, validateDriverParams });
}

export async function openMetadata(config: Config): Promise<MetadataStore> {
  return openMetadataStore(config.database);
}

export interface App {
  readonly server: FastifyInstance;
  readonly metadata: MetadataStore;
  readonly locations: LocationSet;
  readonly notifier: WorkNotifier;
  /** The background runners of this process (replication), already started. */
  readonly runners: readonly JobRunner[];
  close(): Promise<void>;
}

export interface AppOptions {
  readonly migrate?: boolean;
  readonly roles?: readonly Role[];
  /** Blobs the replication worker copies at once (default 8: copies wait on I/O, not CPU). */
  readonly replicationConcurrency?: number;
}

/** Who may do what, on /v2 and /api/v1, for the config's AUTHENTICATION_TYPE. */
interface AccessWiring {
  readonly registry: RegistryAccess;
  readonly tokens: TokenEndpointDeps | undefined;
  readonly api: NonNullable<ServerDeps['api']>;
  readonly throttle: LoginThrottle;
}

/**
 * Access control. The /api/v1 routes authenticate in both modes (anonymous unless credentials
 * are sent): they are about accounts, which exist either way. /v2 is open in Open mode; in
 * Database mode it checks every request and serves the token endpoint.
 */
async function wireAccess(
  config: Config,
  metadata: MetadataStore,
  locations: LocationSet,
  defaultLocationIds: readonly number[],
  urls: UrlBuilder,
  versions: RepositoryVersions,
  logger: Logger,
): Promise<AccessWiring> {
  const { access } = config;
  const throttle = config.redis ? redisLoginThrottle(config.redis, { logger }) : memoryLoginThrottle();
  try {
    const authenticator = new Authenticator({ metadata, throttle, superUsers: access.superUsers, logger });
    const authorizer = new StoreAuthorizer({ metadata, anonymousAccess: access.anonymousAccess });
    const management: ManagementContext = { metadata, authorizer, logger, locations, defaultLocationIds, superUsers: access.superUsers, versions };
    const routes = [...accountRoutes(management), ...repositoryRoutes(management)];
    const api = { routes: [...routes, ...discoveryRoutes(routes)], authenticate: apiAuthenticate(authenticator) };
    if (access.initialSuperuser) await ensureSuperuser(metadata, access.initialSuperuser, logger);
    if (config.authenticationType === 'Open') return { registry: openAccess(), tokens: undefined, api, throttle };
    const tokens = new RegistryTokens({ key: await loadSigningKey(access.serviceKeyPath, logger), keys: metadata.stores.serviceKeys });
    await tokens.publish();
    const challenges = new Challenges(urls, config.serverHostname);
    const anonymousAccess = access.anonymousAccess;
    return {
      registry: new CheckedAccess({ authenticator, authorizer, tokens, challenges, anonymousAccess }),
      tokens: { authenticator, authorizer, tokens, challenges, anonymousAccess },
      api,
      throttle,
    };
  } catch (err) {
    await throttle.close();
    throw err;
  }
}

/** Rough bytes of a cached manifest row besides its payload (strings, object, map entry). */
const MANIFEST_ROW_OVERHEAD = 512;

/**
 * Who tells this process that a repository's cached reads are stale (cache/repository-versions.ts):
 * Redis when configured (any number of instances); for a SQLite file, its commit counter (the
 * processes of `serve --workers N` and operator commands all write the one file); in memory for
 * an in-memory SQLite database; nothing for PostgreSQL without Redis, where other instances'
 * writes would go unseen, so tag and repository lookups always read the database there.
 */
async function cacheVersions(config: Config, logger: Logger): Promise<RepositoryVersions> {
  if (config.redis) return redisVersions(config.redis, { logger });
  const { database } = config;
  if (database.dialect !== 'sqlite') return noVersions();
  if (database.path === ':memory:') return localVersions();
  const { sqliteCommitCounter } = await import('./metadata/dialects/sqlite.js');
  return databaseFileVersions(sqliteCommitCounter(database.path));
}

/**
 * Builds a ready-to-listen registry from a validated config: migrates the database, syncs the
 * storage locations, wires access control, and starts the background workers of the requested
 * roles.
 */
export async function buildApp(config: Config, logger: Logger, options: AppOptions = {}): Promise<App> {
  const roles = options.roles ?? ROLES;
  const metadata = await openMetadata(config);
  const closing: (() => Promise<void>)[] = [() => metadata.close()];
  const closeAll = async () => {
    for (const close of closing.reverse()) await close();
  };
  try {
    if (options.migrate ?? true) {
      const applied = await metadata.migrate();
      if (applied.length > 0) logger.info({ applied }, 'database migrated');
    }
    const rows = await metadata.stores.locations.sync(config.storage.locations.map((l) => l.name));
    const located: Location[] = [];
    for (const l of config.storage.locations) {
      const row = rows.get(l.name);
      if (!row) throw new Error(`storage location ${l.name} has no row after sync`);
      located.push({ id: row.id, name: l.name, driver: await createDriver(l.driver, l.params, { logger }) });
    }
    const locations = new LocationSet(located, config.storage.preference);
    const notifier = await openNotifier(config, logger);
    closing.push(() => notifier.close());
    const policy = replicationPolicy(config, locations);
    const urls = new UrlBuilder(config.serverHostname, config.preferredUrlScheme);
    const versions = await cacheVersions(config, logger);
    closing.push(() => versions.close());
    const access = await wireAccess(config, metadata, locations, policy.defaultLocationIds, urls, versions, logger);
    closing.push(() => access.throttle.close());
    const accessControl = config.authenticationType === 'Database';
    const caches = { versions, manifests: new RepositoryViewCache<RepositoryRow, ManifestRow>({ sizeOf: (m) => m.payload.length + MANIFEST_ROW_OVERHEAD }) };
    const ctx: RegistryContext = { metadata, locations, logger, replication: policy, notifier, accessControl, caches };
    const server = buildServer({
      logger,
      oci: {
        uploads: new UploadService(ctx),
        blobs: new BlobService(ctx),
        manifests: new ManifestService(ctx),
        listings: new ListingService(ctx),
        urls,
        access: access.registry,
        redirectBlobs: !config.storage.proxyStorage,
      },
      tokens: access.tokens,
      api: access.api,
      trustedProxies: config.trustedProxies,
    });
    closing.push(() => server.close());
    const runners: JobRunner[] = [];
    if (roles.includes('replication') && policy.enabled) {
      const runner = replicationRunner({ metadata, locations, notifier, policy, logger }, {
        leaseMs: config.storage.replicationLeaseSeconds * 1000,
        concurrency: options.replicationConcurrency ?? 8,
      });
      runner.start();
      runners.push(runner);
      closing.push(() => runner.stop());
    }
    if (roles.includes('web')) {
      const cleaner = new UploadCleaner({ metadata, locations, logger });
      cleaner.start();
      closing.push(() => cleaner.stop());
    }
    return { server, metadata, locations, notifier, runners, close: closeAll };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
