/**
 * The metadata contract: one small *Store per aggregate. The same {@link Stores} object works
 * in autocommit mode or inside `transaction()`, so a use case decides what commits together
 * (e.g. a blob row, its placement and its replication job). Implementations: metadata/sql/.
 *
 * Conventions: "not found" is `undefined` (never an exception); ids are numbers; times are
 * epoch milliseconds; digests are canonical `algorithm:hex` strings already validated by domain/.
 */
import type { RepositoryName } from '../domain/index.js';
import type {
  AccountStore,
  ApiTokenStore,
  AuditStore,
  PermissionStore,
  RepositoryAdminStore,
  RobotStore,
  ServiceKeyStore,
  TagHistoryStore,
  TeamStore,
} from './store-access.js';

export * from './store-access.js';

export type Id = number;
export type Dialect = 'sqlite' | 'postgres';

export interface MetadataStore {
  readonly dialect: Dialect;
  /** Autocommit stores. */
  readonly stores: Stores;
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Stores) => Promise<T>): Promise<T>;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

export interface Stores {
  readonly repositories: RepositoryStore;
  readonly blobs: BlobStore;
  readonly locations: LocationStore;
  readonly placements: PlacementStore;
  readonly uploads: UploadStore;
  readonly manifests: ManifestStore;
  readonly tags: TagStore;
  readonly jobs: JobStore;
  readonly regions: RegionStore;
  readonly replication: ReplicationStore;
  // Access control (store-access.ts).
  readonly accounts: AccountStore;
  readonly robots: RobotStore;
  readonly teams: TeamStore;
  readonly permissions: PermissionStore;
  readonly repositoryAdmin: RepositoryAdminStore;
  readonly tagHistory: TagHistoryStore;
  readonly apiTokens: ApiTokenStore;
  readonly audit: AuditStore;
  readonly serviceKeys: ServiceKeyStore;
}

export interface Page {
  /** Return names strictly after this one. */
  readonly last?: string;
  /** At most this many; callers cap it. */
  readonly n: number;
}

export interface RepositoryRow {
  readonly id: Id;
  readonly name: string;
  readonly namespaceId: Id;
}

export interface RepositoryStore {
  find(name: string): Promise<RepositoryRow | undefined>;
  /** Returns the repository, creating it (and its namespace) when missing; safe under races. */
  ensure(name: RepositoryName): Promise<RepositoryRow>;
  /** Repository names in lexical (byte) order, for `_catalog`. */
  list(page: Page): Promise<string[]>;
}

export interface BlobRow {
  readonly id: Id;
  readonly digest: string;
  readonly size: number;
  readonly uuid: string;
}

export interface BlobStore {
  find(digest: string): Promise<BlobRow | undefined>;
  /** The blob, only when it is linked into the repository. */
  findInRepository(repositoryId: Id, digest: string): Promise<BlobRow | undefined>;
  /** Returns the blob row for `digest`, creating it with `size` when missing; safe under races. */
  record(digest: string, size: number): Promise<BlobRow>;
  /** Links a blob into a repository (after an upload or a mount); idempotent. */
  link(repositoryId: Id, blobId: Id): Promise<void>;
  /** Removes the link; false when there was none. */
  unlink(repositoryId: Id, blobId: Id): Promise<boolean>;
  /** Of `digests`, the blobs linked into the repository, by digest. */
  findManyInRepository(repositoryId: Id, digests: readonly string[]): Promise<Map<string, BlobRow>>;
}

export interface LocationRow {
  readonly id: Id;
  readonly name: string;
}

export interface LocationStore {
  /** Inserts any of `names` that is missing (never deletes); returns every location by name. */
  sync(names: readonly string[]): Promise<Map<string, LocationRow>>;
  list(): Promise<LocationRow[]>;
}

export interface PlacementStore {
  /** Records that the blob's bytes are verified present at the location; idempotent. */
  add(blobId: Id, locationId: Id): Promise<void>;
  /** Location ids holding a verified copy of the blob. */
  locationsOf(blobId: Id): Promise<Id[]>;
  remove(blobId: Id, locationId: Id): Promise<boolean>;
}

export interface UploadRow {
  readonly id: string;
  readonly repositoryId: Id;
  readonly locationId: Id;
  /** Bytes received so far. */
  readonly offset: number;
  /** The storage driver's session state (JSON), see storage/driver.ts UploadState. */
  readonly driverState: unknown;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface UploadStore {
  create(upload: { id: string; repositoryId: Id; locationId: Id; driverState: unknown }): Promise<UploadRow>;
  find(id: string): Promise<UploadRow | undefined>;
  /**
   * Moves the session from `fromOffset` to `toOffset` (compare-and-set): false when another
   * request advanced or removed it first.
   */
  advance(id: string, fromOffset: number, toOffset: number, driverState: unknown): Promise<boolean>;
  delete(id: string): Promise<boolean>;
  /** Sessions not touched since `before` (epoch ms), oldest first, for cleanup. */
  listStale(before: number, limit: number): Promise<UploadRow[]>;
}

export interface ManifestRow {
  readonly id: Id;
  readonly repositoryId: Id;
  readonly digest: string;
  readonly mediaType: string;
  readonly size: number;
  /** The exact bytes the client pushed. */
  readonly payload: Buffer;
  readonly subject: string | undefined;
  readonly artifactType: string | undefined;
  readonly createdAt: number;
}

export interface NewManifest {
  readonly repositoryId: Id;
  readonly digest: string;
  readonly mediaType: string;
  readonly payload: Buffer;
  readonly subject: string | undefined;
  readonly artifactType: string | undefined;
  /** Blobs (config, layers) the manifest references; rows in manifest_blob. */
  readonly blobIds: readonly Id[];
  /** Child manifests (of an index); rows in manifest_child. */
  readonly childIds: readonly Id[];
}

export interface ManifestStore {
  find(repositoryId: Id, digest: string): Promise<ManifestRow | undefined>;
  /** Of `digests`, the manifests present in the repository, by digest. */
  findMany(repositoryId: Id, digests: readonly string[]): Promise<Map<string, ManifestRow>>;
  /** Inserts the manifest and its references; when the digest exists already, returns that row unchanged. */
  put(manifest: NewManifest): Promise<ManifestRow>;
  /** Deletes the manifest, its reference rows and every tag (current or historic) on it. */
  delete(repositoryId: Id, digest: string): Promise<boolean>;
  /** Manifests in the repository whose `subject` is `digest`, optionally of one artifact type, by digest. */
  referrers(repositoryId: Id, digest: string, artifactType?: string): Promise<ManifestRow[]>;
}

export interface TagStore {
  /** The manifest the tag currently points at. */
  resolve(repositoryId: Id, tag: string): Promise<ManifestRow | undefined>;
  /** Current tag names in lexical (byte) order. */
  list(repositoryId: Id, page: Page): Promise<string[]>;
  /** Points the tag at the manifest: ends the old lifetime (kept as history), starts a new one. */
  put(repositoryId: Id, tag: string, manifestId: Id): Promise<void>;
  /** Ends the tag's current lifetime; false when the tag did not exist. */
  delete(repositoryId: Id, tag: string): Promise<boolean>;
}

export type JobState = 'pending' | 'running' | 'done' | 'dead';

export interface JobRow {
  readonly id: Id;
  readonly kind: string;
  readonly key: string;
  readonly payload: unknown;
  readonly state: JobState;
  readonly attempts: number;
  readonly runAfter: number;
  readonly leaseUntil: number | undefined;
  readonly lastError: string | undefined;
}

/**
 * The durable job table (an outbox). Jobs are enqueued inside the transaction that caused them;
 * workers claim them with a lease, renew it while working, and finish by completing (the row
 * is deleted), retrying later (back to pending) or burying (dead, kept with its last error).
 * Every state change after `claim` names the worker and succeeds only while it owns the lease.
 */
export interface JobStore {
  /**
   * Adds a pending job unless one with the same (kind, key) is already pending or running;
   * returns true when a job was added.
   */
  enqueue(job: { kind: string; key: string; payload: unknown; runAfter?: number }): Promise<boolean>;
  /** Jobs of a kind in a state, oldest first (status views and tests). */
  list(kind: string, state: JobState, limit: number): Promise<JobRow[]>;
  /**
   * Claims the next due job of `kind`: a pending one whose run_after has come, or a running one
   * whose lease expired (its worker died). Sets running, the lease and owner, attempts + 1.
   * PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent workers never get the same job;
   * SQLite: one UPDATE ... RETURNING in one transaction (a single writer).
   */
  claim(kind: string, worker: string, leaseMs: number): Promise<JobRow | undefined>;
  /** Extends the lease; false when the worker no longer owns the job. */
  renew(id: Id, worker: string, leaseMs: number): Promise<boolean>;
  /** The job is done: deletes it. */
  complete(id: Id, worker: string): Promise<boolean>;
  /** Back to pending, due at `runAfter`, remembering the error. */
  retry(id: Id, worker: string, error: string, runAfter: number): Promise<boolean>;
  /** Out of attempts: dead, kept with its error until an operator acts. */
  bury(id: Id, worker: string, error: string): Promise<boolean>;
  /** How many jobs of a kind are in each state. */
  counts(kind: string): Promise<Record<JobState, number>>;
}

export interface NamespaceRegionRow {
  readonly namespace: string;
  readonly location: string;
}

/**
 * Per-namespace required locations (Quay's UserRegion): every blob linked into a repository of
 * the namespace must also be placed there, on top of DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS.
 */
export interface RegionStore {
  /**
   * Makes `location` required for the namespace, creating the namespace (an organization) when
   * missing; false when it was required already. Throws when the location has no row.
   */
  add(namespace: string, location: string): Promise<boolean>;
  /** False when the namespace had no such region. */
  remove(namespace: string, location: string): Promise<boolean>;
  /** By namespace, then location name. */
  list(namespace?: string): Promise<NamespaceRegionRow[]>;
}

export interface BlobRef {
  readonly id: Id;
  readonly uuid: string;
  readonly digest: string;
}

export interface BackfillBatch {
  /** Blobs of the batch missing a required location, with a source copy and no live job. */
  readonly blobs: BlobRef[];
  /** Jobs added (0 on a dry run; may be below `blobs.length` when another process raced us). */
  readonly enqueued: number;
  readonly scanned: number;
  /** Blobs of the batch missing a required location that already have a live job. */
  readonly alreadyQueued: number;
  /** Blobs of the batch with no verified copy anywhere: nothing to replicate from. */
  readonly lost: BlobRef[];
  /** The last blob id scanned; undefined when there were no more blobs after `afterId`. */
  readonly lastId: Id | undefined;
}

export interface LocationStatus {
  readonly id: Id;
  readonly name: string;
  /** Blobs that must be placed here (all of them for a default location). */
  readonly required: number;
  /** Placements here (verified copies), required or not. */
  readonly present: number;
  /** Required here and not placed. */
  readonly missing: number;
  /** Missing, and a pending or running replication job exists for the blob. */
  readonly queued: number;
  /** Missing, no live job, and a dead (exhausted) job exists. */
  readonly dead: number;
  /** Missing, with a copy elsewhere to replicate from, and no job at all: backfill queues these. */
  readonly unqueued: number;
  /** Age of the oldest live job of a blob missing here; undefined when none. */
  readonly oldestPendingAgeMs: number | undefined;
}

export interface DeadReplication {
  readonly blob: BlobRef;
  readonly attempts: number;
  readonly lastError: string | undefined;
}

export interface ReplicationStatus {
  readonly locations: LocationStatus[];
  /** Replication jobs by state. */
  readonly jobs: Record<JobState, number>;
  /** Blobs with no placement at all (cannot be replicated). */
  readonly lost: number;
  /** Of those, the ones that miss a required location: they can never converge. */
  readonly unreplicable: number;
  /** Up to 20 dead jobs of blobs still missing a location (and with no live job). */
  readonly deadJobs: DeadReplication[];
}

export interface RemoveLocationResult {
  /** Blob ids whose placement at the location was deleted (a placement is keyed by blob there). */
  readonly placementIds: Id[];
  readonly uploadsRemoved: number;
  readonly regionsRemoved: number;
  /** Pending replication jobs of orphaned blobs, dropped (they had nothing left to copy from). */
  readonly jobsDropped: number;
  /** Blobs whose only verified copy was at the location (only with `force`). */
  readonly orphanedBlobs: BlobRef[];
}

export interface BlobPlacements extends BlobRef {
  readonly size: number;
  /** Locations holding a verified copy; empty when none does. */
  readonly locationIds: Id[];
}

export interface PlacementRef {
  readonly blobId: Id;
  readonly locationId: Id;
}

/**
 * Replication bookkeeping over blobs, placements, regions and jobs; every method is set-based
 * (a statement per batch of blobs, never one per blob). `defaults` are the location ids of
 * DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS. A blob's required locations are the defaults plus the
 * regions of every namespace with a repository linking it; it misses L when L is required and
 * unplaced. Replication jobs are REPLICATE_BLOB (jobs/notifier.ts): key digest, payload {blobId}.
 */
export interface ReplicationStore {
  requiredLocations(blobId: Id, defaults: readonly Id[]): Promise<Id[]>;
  /**
   * Enqueues a job for each of the blobs that misses a required location and has a copy to
   * replicate from; live duplicates are skipped. Returns the number of jobs added.
   */
  enqueueMissing(blobIds: readonly Id[], defaults: readonly Id[]): Promise<number>;
  /** Scans up to `limit` blobs after `afterId` in id order; enqueues (unless `dryRun`) what misses. */
  backfill(afterId: Id, limit: number, defaults: readonly Id[], dryRun: boolean): Promise<BackfillBatch>;
  blobCount(): Promise<number>;
  status(defaults: readonly Id[]): Promise<ReplicationStatus>;
  /**
   * Removes a location in one transaction: its uploads, regions, placements and row. Throws
   * {@link UnknownLocationError}, or {@link LastCopyError} (nothing changed) when some blob's
   * only copy is there and `force` is not set.
   */
  removeLocation(name: string, options: { force: boolean }): Promise<RemoveLocationResult>;
  /** Up to `limit` blobs after `afterBlobId` in id order, with their placements. */
  placements(afterBlobId: Id, limit: number): Promise<BlobPlacements[]>;
  /** Deletes the placements in one transaction; returns the deleted count and the blobs left with none. */
  dropPlacements(pairs: readonly PlacementRef[]): Promise<{ removed: number; withoutCopy: BlobRef[] }>;
}

export class UnknownLocationError extends Error {
  constructor(readonly location: string) {
    super(`storage location ${JSON.stringify(location)} does not exist`);
    this.name = 'UnknownLocationError';
  }
}

/** Removing the location would leave blobs without any verified copy. */
export class LastCopyError extends Error {
  constructor(
    readonly location: string,
    readonly blobs: number,
  ) {
    super(`${blobs} blob(s) have their only verified copy at ${location}`);
    this.name = 'LastCopyError';
  }
}
