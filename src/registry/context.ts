import { ANONYMOUS, type Actor, type Principal } from '../auth/principal.js';
import { parseRepositoryName, type RepositoryName } from '../domain/index.js';
import { Errors, WharfError } from '../errors/index.js';
import { REPLICATE_BLOB, type WorkNotifier } from '../jobs/notifier.js';
import { auditEntry } from '../management/audit-entry.js';
import { type AccountRef, type Id, type ManifestRow, type MetadataStore, NameTakenError, type RepositoryRow, type Stores } from '../metadata/store.js';
import type { Logger } from '../observability/logger.js';
import type { RepositoryViewCache } from '../cache/repository-view-cache.js';
import type { RepositoryVersions } from '../cache/repository-versions.js';
import type { LocationSet } from '../storage/locations/location-set.js';

/** What the registry use cases need; built once by main.ts. */
export interface RegistryContext {
  readonly metadata: MetadataStore;
  readonly locations: LocationSet;
  readonly logger: Logger;
  readonly replication: ReplicationPolicy;
  readonly notifier: WorkNotifier;
  /**
   * AUTHENTICATION_TYPE Database: a push never creates a namespace (DENIED), a repository it
   * creates is private, and its creator gets `admin` on it unless already admin of the
   * namespace (Quay). Open: a push creates the namespace too, as it always has.
   */
  readonly accessControl: boolean;
  readonly caches: RegistryCaches;
}

/**
 * Manifest reads by tag or digest are served from memory while the repository's version is
 * unchanged; every write to a repository's tags or manifests invalidates it before it returns.
 */
export interface RegistryCaches {
  readonly versions: RepositoryVersions;
  readonly manifests: RepositoryViewCache<RepositoryRow, ManifestRow>;
}

/** The actor of a call that names none (operator tools): anonymous, address unknown. */
export const UNNAMED_ACTOR: Actor = Object.freeze({ principal: ANONYMOUS, ip: undefined });

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

/** Where an audit row about the repository `name` belongs. */
export function auditPlace(name: string): { namespace: string; repository: string } {
  return { namespace: parseRepositoryName(name).namespace, repository: name };
}

/**
 * The repository a push writes to, created on first push; the creation and its `create_repo`
 * audit row (and, with access control, the creator's grant) commit together.
 */
export async function pushRepository(ctx: RegistryContext, name: string, actor: Actor): Promise<RepositoryRow> {
  const parsed = parseRepositoryName(name);
  const existing = await ctx.metadata.stores.repositories.find(name);
  if (existing) return existing;
  if (!ctx.accessControl) {
    // Open mode. Two racing first pushes may both record create_repo; nothing else is doubled.
    return ctx.metadata.transaction(async (tx) => {
      const created = await tx.repositories.ensure(parsed);
      await tx.audit.record(auditEntry(actor, 'create_repo', auditPlace(name)));
      return created;
    });
  }
  try {
    return await ctx.metadata.transaction((tx) => createOwned(tx, parsed, actor));
  } catch (err) {
    // A concurrent push created it first (and rolled our attempt back): use theirs.
    const raced = err instanceof NameTakenError ? await ctx.metadata.stores.repositories.find(name) : undefined;
    if (raced) return raced;
    throw err;
  }
}

/** Creates a private repository in an existing namespace; the authorizer already allowed it. */
async function createOwned(tx: Stores, name: RepositoryName, actor: Actor): Promise<RepositoryRow> {
  const namespace = await tx.accounts.findNamespace(name.namespace);
  // Access control never lets a push create a namespace; the authorizer refuses it before this.
  if (!namespace) throw new WharfError(Errors.DENIED, { reason: 'the namespace does not exist', namespace: name.namespace });
  const created = await tx.repositoryAdmin.create({ namespaceId: namespace.id, name: name.value, visibility: 'private', description: '' });
  const grantee = await creatorGrantee(tx, actor.principal, namespace.id);
  if (grantee) await tx.permissions.set(created.id, grantee, 'admin');
  await tx.audit.record(auditEntry(actor, 'create_repo', auditPlace(name.value), { visibility: 'private' }));
  return { id: created.id, name: created.name, namespaceId: created.namespaceId };
}

/**
 * Quay gives the creator of a repository admin on it. Robots always need the grant (they act
 * only through grants); a user needs it when their standing in the namespace is `creator`
 * (an `admin` is admin of every repository there already; a superuser of everything).
 */
async function creatorGrantee(tx: Stores, principal: Principal, namespaceId: Id): Promise<AccountRef | undefined> {
  if (principal.kind === 'anonymous') return undefined;
  const account: AccountRef = { kind: principal.kind, id: principal.id };
  if (account.kind === 'robot') return account;
  return (await tx.permissions.namespaceRole(account, namespaceId)) === 'creator' ? account : undefined;
}
