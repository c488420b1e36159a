import { parseRepositoryName } from '../domain/index.js';
import { Errors, WharfError } from '../errors/index.js';
import { REPLICATE_BLOB, type WorkNotifier } from '../jobs/notifier.js';
import type { Id, MetadataStore, RepositoryRow, Stores } from '../metadata/store.js';
import type { Logger } from '../observability/logger.js';
import type { LocationSet } from '../storage/locations/location-set.js';

/** What the registry use cases need; built once by main.ts. */
export interface RegistryContext {
  readonly metadata: MetadataStore;
  readonly locations: LocationSet;
  readonly logger: Logger;
  readonly replication: ReplicationPolicy;
  readonly notifier: WorkNotifier;
}

/** FEATURE_STORAGE_REPLICATION and DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS, as location ids. */
export interface ReplicationPolicy {
  readonly enabled: boolean;
  readonly defaultLocationIds: readonly Id[];
}

/** Inside the transaction that recorded or referenced blobs: jobs for those missing a required location. */
export async function enqueueReplication(ctx: RegistryContext, tx: Stores, blobIds: readonly Id[]): Promise<void> {
  if (ctx.replication.enabled && blobIds.length > 0) await tx.replication.enqueueMissing(blobIds, ctx.replication.defaultLocationIds);
}

/** After that transaction committed: wake the replication workers of every instance. */
export async function announceReplication(ctx: RegistryContext): Promise<void> {
  if (ctx.replication.enabled) await ctx.notifier.notify(REPLICATE_BLOB);
}

/** The repository named in a request, which must exist. */
export async function existingRepository(stores: Stores, name: string): Promise<RepositoryRow> {
  parseRepositoryName(name);
  const repository = await stores.repositories.find(name);
  if (!repository) throw new WharfError(Errors.NAME_UNKNOWN, { name });
  return repository;
}

/** The repository a push writes to, created on first push. */
export async function pushRepository(stores: Stores, name: string): Promise<RepositoryRow> {
  const parsed = parseRepositoryName(name);
  return (await stores.repositories.find(name)) ?? (await stores.repositories.ensure(parsed));
}
