/**
 * The metadata contract: one small *Store per aggregate. The same {@link Stores} object works
 * in autocommit mode or inside `transaction()`, so a use case decides what commits together
 * (e.g. a blob row, its placement and its replication job). Implementations: metadata/sql/.
 *
 * Conventions: "not found" is `undefined` (never an exception); ids are numbers; times are
 * epoch milliseconds; digests are canonical `algorithm:hex` strings already validated by domain/.
 */
import type { RepositoryName } from '../domain/index.js';

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

/** The durable job table (an outbox); the queue behaviour on top of it lives in jobs/. */
export interface JobStore {
  /**
   * Adds a pending job unless one with the same (kind, key) is already pending or running;
   * returns true when a job was added.
   */
  enqueue(job: { kind: string; key: string; payload: unknown; runAfter?: number }): Promise<boolean>;
  /** Jobs of a kind in a state, oldest first (status views and tests). */
  list(kind: string, state: JobState, limit: number): Promise<JobRow[]>;
}
