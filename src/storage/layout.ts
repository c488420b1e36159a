import type { Digest } from '../domain/index.js';

/**
 * The only place storage keys are built. Keys are relative to a location's `storage_path` and
 * identical in every location, so a replica is a copy of the same key (Quay's layout, so that
 * existing Quay buckets stay readable):
 *
 *   <storage_path>/
 *   ├── sha256/
 *   │   └── <first 2 hex>/
 *   │       └── <all 64 hex>          one committed blob, content-addressed
 *   └── uploads/
 *       ├── <upload uuid>             bytes of an upload session, invisible until committed
 *       └── <upload uuid>/            the same on object stores (S3 family), as several objects:
 *           ├── session                   the marker that the session exists
 *           └── <seq>-<nonce>             the bytes of one append
 */
export function blobKey(digest: Digest): string {
  return `${digest.algorithm}/${digest.hex.slice(0, 2)}/${digest.hex}`;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function uploadKey(uploadId: string): string {
  if (!UUID_PATTERN.test(uploadId)) throw new Error(`upload id is not a lowercase UUID: ${uploadId}`);
  return `uploads/${uploadId}`;
}

/**
 * An object of an upload session on object stores, `uploads/<uuid>/<name>`; `name` is one
 * segment of lowercase letters, digits and dashes.
 */
export function uploadObjectKey(uploadId: string, name: string): string {
  if (!/^[0-9a-z-]+$/.test(name)) throw new Error(`upload object name is not [0-9a-z-]+: ${name}`);
  return `${uploadKey(uploadId)}/${name}`;
}

export function isUploadId(value: string): boolean {
  return UUID_PATTERN.test(value);
}
