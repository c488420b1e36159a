import type { Readable } from 'node:stream';

/**
 * The storage driver contract. Drivers hold bytes only; what is present is decided by the
 * metadata database. Keys come only from `layout.ts`; a driver prefixes its own `storage_path`.
 *
 * Guarantees every driver gives (checked by test/conformance/storage-driver-suite.ts):
 * - an object is readable at a key only after `commitUpload` returned for that key, and then
 *   it is complete (no reader ever sees partial bytes);
 * - `appendUpload` is all-or-nothing: when it throws, the session is still at the state it was
 *   given, and the bytes written so far are durable once it resolves;
 * - `undefined` means "absent"; every other failure throws a {@link StorageError}.
 */
export interface StorageDriver {
  /** The registration name, e.g. `LocalStorage`. */
  readonly driverName: string;

  /** Size of the object at `key`, or undefined when there is none. */
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** A stream of the object (or an inclusive byte range of it). Throws `not-found` when absent. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** Removes the object; succeeds when it is already gone. */
  delete(key: string): Promise<void>;
  /** Keys under `prefix`, in no particular order. */
  list(prefix: string): AsyncIterable<string>;

  /** Opens an empty upload session with a caller-chosen id (a UUID). */
  startUpload(id: string): Promise<UploadState>;
  /** Appends a stream to the session and returns the new state. */
  appendUpload(state: UploadState, data: Readable): Promise<UploadState>;
  /** The bytes the session holds so far, e.g. to rebuild a digest state after a restart. */
  readUpload(state: UploadState): Promise<Readable>;
  /** Makes the session's bytes the object at `key`, atomically and durably, and ends the session. */
  commitUpload(state: UploadState, key: string): Promise<void>;
  /** Discards the session; succeeds when it is already gone. */
  abortUpload(state: UploadState): Promise<void>;

  /**
   * Optional: a URL from which a plain HTTP GET, without credentials, returns the object at `key`
   * for about `ttlSeconds` (an S3/GCS presigned URL, an Azure SAS URL), for `307` redirects.
   * Drivers without one (LocalStorage) leave it out and the registry streams. It makes no
   * request, so it does not tell whether the object exists; throws `invalid-key` for a bad key.
   */
  presignGet?(key: string, ttlSeconds: number): Promise<string>;

  /**
   * Optional: copies the object at `key` in `source` to the same key here without the bytes
   * passing through this process (S3 CopyObject, UploadPartCopy above 5 GiB), when both are the
   * same service with the same credentials. Resolves false, having written nothing, when that is
   * not possible, so the caller streams instead; throws `not-found` when `source` lacks `key`.
   * The copy, like a commit, appears whole or not at all; the bytes are not re-hashed.
   */
  copyFrom?(source: StorageDriver, key: string): Promise<boolean>;
}

export interface ObjectInfo {
  readonly size: number;
}

/** An inclusive byte range; `end` undefined means "to the end". */
export interface ByteRange {
  readonly start: number;
  readonly end?: number;
}

/**
 * The state of a resumable upload. It is persisted in the metadata database between requests
 * (so another instance, or the same one after a restart, can continue), hence plain JSON.
 */
export interface UploadState {
  readonly id: string;
  readonly size: number;
  /** Driver-specific JSON (e.g. multipart part list); absent for drivers that need none. */
  readonly driverState?: unknown;
}

export type StorageErrorKind = 'not-found' | 'invalid-key' | 'unavailable' | 'conflict';

/** Every driver failure other than "absent" is one of these. */
export class StorageError extends Error {
  readonly kind: StorageErrorKind;
  readonly driverName: string;
  readonly key: string;

  constructor(kind: StorageErrorKind, driverName: string, key: string, message: string, options?: { cause?: unknown }) {
    super(`${driverName}: ${message} (${key})`, options);
    this.name = 'StorageError';
    this.kind = kind;
    this.driverName = driverName;
    this.key = key;
  }
}

export function isStorageError(err: unknown, kind?: StorageErrorKind): err is StorageError {
  return err instanceof StorageError && (kind === undefined || err.kind === kind);
}
