/**
 * The composition root: config -> storage drivers -> metadata -> registry use cases -> HTTP.
 * The only module that picks implementations; everything else depends on contracts.
 */
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { type Config, embeddedConfig, loadConfigFile } from './config/index.js';
import { buildServer } from './http/server.js';
import { UrlBuilder } from './http/oci/urls.js';
import { openMetadataStore } from './metadata/sql/metadata-store.js';
import type { MetadataStore } from './metadata/store.js';
import type { Logger } from './observability/logger.js';
import { BlobService, ListingService, ManifestService, type RegistryContext, UploadService } from './registry/index.js';
import { createDriver, validateDriverParams } from './storage/drivers.js';
import { type Location, LocationSet } from './storage/locations/location-set.js';
import type { WorkNotifier } from './jobs/notifier.js';
import type { JobRunner } from './jobs/runner.js';
import { openNotifier, replicationPolicy, replicationRunner } from './workers.js';
import { UploadCleaner } from './jobs/uploads/upload-cleaner.js';

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

/** What one process runs: the HTTP API (`web`), the replication worker (`replication`). */
export const ROLES = ['web', 'replication'] as const;
export type Role = (typeof ROLES)[number];

export interface AppOptions {
  readonly migrate?: boolean;
  readonly roles?: readonly Role[];
  /** Blobs the replication worker copies at once (default 8: copies wait on I/O, not CPU). */
  readonly replicationConcurrency?: number;
}

/**
 * Builds a ready-to-listen registry from a validated config: migrates the database, syncs the
 * storage locations, and starts the background workers of the requested roles.
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
    const ctx: RegistryContext = { metadata, locations, logger, replication: policy, notifier };
    const server = buildServer({
      logger,
      oci: {
        uploads: new UploadService(ctx),
        blobs: new BlobService(ctx),
        manifests: new ManifestService(ctx),
        listings: new ListingService(ctx),
        urls: new UrlBuilder(config.serverHostname, config.preferredUrlScheme),
        redirectBlobs: !config.storage.proxyStorage,
      },
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
