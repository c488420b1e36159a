/**
 * The background half of the composition root: the notifier that wakes workers across
 * instances, and the job runners this process runs (today: blob replication).
 */
import { hostname } from 'node:os';
import type { Config } from './config/index.js';
import { REPLICATE_BLOB, type WorkNotifier } from './jobs/notifier.js';
import { MemoryNotifier } from './jobs/notifiers/memory.js';
import { PostgresNotifier } from './jobs/notifiers/postgres.js';
import { RedisNotifier } from './jobs/notifiers/redis.js';
import { replicateBlobHandler } from './jobs/replication/replicate-blob.js';
import { JobRunner } from './jobs/runner.js';
import type { MetadataStore } from './metadata/store.js';
import type { Logger } from './observability/logger.js';
import type { ReplicationPolicy } from './registry/context.js';
import type { LocationSet } from './storage/locations/location-set.js';

/** Redis pub/sub when a shared Redis is configured, else LISTEN/NOTIFY on PostgreSQL, else in-process. */
export async function openNotifier(config: Config, logger: Logger): Promise<WorkNotifier> {
  if (config.redis) {
    const { host, port, password, db, tls, prefix } = config.redis;
    return new RedisNotifier({ connection: { host, port, password, db, ...(tls ? { tls: {} } : {}) }, prefix, logger });
  }
  if (config.database.dialect === 'postgres') return PostgresNotifier.open({ url: config.database.url, logger });
  return new MemoryNotifier({ logger });
}

/** The location ids of DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS, with the feature flag. */
export function replicationPolicy(config: Config, locations: LocationSet): ReplicationPolicy {
  const defaultLocationIds = config.storage.defaultLocations.map((name) => {
    const location = locations.byName(name);
    if (!location) throw new Error(`default location ${name} has no row`); // config validation makes this unreachable
    return location.id;
  });
  return { enabled: config.storage.replication, defaultLocationIds };
}

export interface WorkerDeps {
  readonly metadata: MetadataStore;
  readonly locations: LocationSet;
  readonly notifier: WorkNotifier;
  readonly policy: ReplicationPolicy;
  readonly logger: Logger;
}

/** The replication runner; its wake-ups come from the notifier, with a short poll as fallback. */
export function replicationRunner(deps: WorkerDeps, options: { leaseMs: number; concurrency?: number; pollMs?: number }): JobRunner {
  const { metadata, locations, notifier, policy, logger } = deps;
  return new JobRunner({
    kind: REPLICATE_BLOB,
    workerId: `${hostname()}:${process.pid}`,
    jobs: metadata.stores.jobs,
    notifier,
    logger,
    concurrency: options.concurrency ?? 2,
    pollMs: options.pollMs ?? 2000,
    leaseMs: options.leaseMs,
    handler: replicateBlobHandler({
      metadata,
      locations,
      logger,
      requiredLocations: (blobId) => metadata.stores.replication.requiredLocations(blobId, policy.defaultLocationIds),
    }),
  });
}
