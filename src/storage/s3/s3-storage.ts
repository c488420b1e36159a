import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { Readable } from 'node:stream';
import { StorageError, type ByteRange, type ObjectInfo, type StorageDriver, type UploadState } from '../driver.js';
import { checkPrefix } from '../keys.js';
import { S3Bucket } from './bucket.js';
import { createS3Client } from './client.js';
import { sameService, type S3Config } from './config.js';
import { copyServerSide } from './copy.js';
import { S3Uploads } from './uploads.js';

/** The longest validity of a SigV4 presigned URL. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export interface S3StorageDeps {
  readonly logger?: { warn(obj: object, msg?: string): void };
  /** A client to use instead of one built from the config (tests add middleware to it). */
  readonly client?: S3Client;
}

/**
 * One bucket (under an optional `storage_path` prefix) of S3 or an S3-compatible service: AWS,
 * GCS's XML API, Ceph RadosGW, IBM COS, MinIO. Every Quay S3-family driver name is this class
 * with its own parameter mapping (params.ts → config.ts). Objects are written whole (PutObject,
 * CopyObject or a completed multipart upload), so a committed key is never partial. No request
 * is made at construction: a location that is down does not stop the registry from starting.
 */
export class S3Storage implements StorageDriver {
  readonly driverName: string;
  readonly config: S3Config;
  readonly client: S3Client;
  readonly #bucket: S3Bucket;
  readonly #uploads: S3Uploads;

  constructor(config: S3Config, deps: S3StorageDeps = {}) {
    this.driverName = config.driverName;
    this.config = config;
    this.client = deps.client ?? createS3Client(config);
    this.#bucket = new S3Bucket(config, this.client);
    this.#uploads = new S3Uploads(this.#bucket, (obj, msg) => deps.logger?.warn(obj, msg));
    if (config.legacySignature !== undefined) {
      deps.logger?.warn({ driver: this.driverName, signature_version: config.legacySignature }, 'only SigV4 (s3v4) is supported; using it');
    }
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const size = await this.#bucket.head(key);
    return size === undefined ? undefined : { size };
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    return this.#bucket.get(key, range);
  }

  async delete(key: string): Promise<void> {
    await this.#bucket.delete(key);
  }

  async *list(prefix: string): AsyncIterable<string> {
    checkPrefix(this.driverName, prefix);
    yield* this.#bucket.list(prefix);
  }

  startUpload(id: string): Promise<UploadState> {
    return this.#uploads.start(id);
  }

  appendUpload(state: UploadState, data: Readable): Promise<UploadState> {
    return this.#uploads.append(state, data);
  }

  readUpload(state: UploadState): Promise<Readable> {
    return this.#uploads.read(state);
  }

  commitUpload(state: UploadState, key: string): Promise<void> {
    return this.#uploads.commit(state, key);
  }

  abortUpload(state: UploadState): Promise<void> {
    return this.#uploads.abort(state);
  }

  /** A SigV4 presigned GET URL (on GCS, its XML API accepts the same with HMAC keys). */
  async presignGet(key: string, ttlSeconds: number): Promise<string> {
    const Key = this.#bucket.objectKey(key);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_PRESIGN_SECONDS) {
      throw new RangeError(`presign ttl must be 1..${MAX_PRESIGN_SECONDS} seconds, got ${ttlSeconds}`);
    }
    const command = new GetObjectCommand({ Bucket: this.config.bucket, Key });
    return this.#bucket.call('presign', key, () => getSignedUrl(this.client, command, { expiresIn: ttlSeconds }));
  }

  /**
   * Copies `key` from `source` on the server when both are S3-family drivers on the same
   * service with the same credentials (CopyObject; UploadPartCopy above the maximum part
   * size). False when that is not possible (the caller streams instead). The bytes are not
   * read, so the caller verifies the copy if it must (e.g. by size).
   */
  async copyFrom(source: StorageDriver, key: string): Promise<boolean> {
    const objectKey = this.#bucket.objectKey(key);
    if (!(source instanceof S3Storage) || !sameService(this.config, source.config)) return false;
    const size = await source.stat(key);
    if (size === undefined) throw new StorageError('not-found', source.driverName, key, 'copy: source not found');
    const from = { bucket: source.config.bucket, objectKey: source.#bucket.objectKey(key), size: size.size };
    if (from.bucket === this.config.bucket && from.objectKey === objectKey) return true;
    return copyServerSide(this.#bucket, key, [from]);
  }
}
