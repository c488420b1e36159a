import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StorageError, type ByteRange } from '../driver.js';
import { checkKey } from '../keys.js';
import { isInvalidRange, isMissingKey, s3Error } from './client.js';
import type { S3Config } from './config.js';

/** Parts uploaded at once by a streamed upload: memory is bounded by this × the part size. */
const QUEUE_SIZE = 4;

/**
 * The S3 operations the driver is made of, on layout keys (relative to `storage_path`), each
 * failure mapped to a StorageError. Keys are checked before any request is made.
 */
export class S3Bucket {
  readonly config: S3Config;
  readonly client: S3Client;

  constructor(config: S3Config, client: S3Client) {
    this.config = config;
    this.client = client;
  }

  /** The object key in the bucket of a layout key. */
  objectKey(key: string): string {
    checkKey(this.config.driverName, key);
    return this.config.prefix === '' ? key : `${this.config.prefix}/${key}`;
  }

  /** Runs one SDK call; failures become StorageErrors (missing key → not-found). */
  async call<T>(action: string, key: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw s3Error(this.config, err, key, action);
    }
  }

  /** The size of the object, or undefined when there is none. */
  async head(key: string): Promise<number | undefined> {
    const Key = this.objectKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.config.bucket, Key }));
      return out.ContentLength ?? 0;
    } catch (err) {
      if (isMissingKey(err)) return undefined;
      throw s3Error(this.config, err, key, 'stat');
    }
  }

  /** The object's bytes (or an inclusive range, its end clamped); not-found before any stream. */
  async get(key: string, range?: ByteRange): Promise<Readable> {
    const Key = this.objectKey(key);
    const Range = range === undefined ? undefined : `bytes=${range.start}-${range.end ?? ''}`;
    if (range?.end !== undefined && range.end < range.start) return this.emptyIfExists(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.config.bucket, Key, Range }));
      return out.Body as Readable;
    } catch (err) {
      // A range starting at or past the end: empty, like a file read there, if the object exists.
      if (isInvalidRange(err)) return this.emptyIfExists(key);
      throw s3Error(this.config, err, key, 'read');
    }
  }

  private async emptyIfExists(key: string): Promise<Readable> {
    if ((await this.head(key)) === undefined) throw new StorageError('not-found', this.config.driverName, key, 'read: not found');
    return emptyStream();
  }

  async putEmpty(key: string): Promise<void> {
    const Key = this.objectKey(key);
    await this.call('write', key, () => this.client.send(new PutObjectCommand({ Bucket: this.config.bucket, Key, Body: Buffer.alloc(0) })));
  }

  /**
   * Streams `data` (of unknown length) to `key`: one PutObject when it fits in a part, else a
   * multipart upload, which S3 makes visible only when complete. Returns the bytes stored.
   * On failure nothing is left at `key`, and an error of `data` itself is rethrown as is.
   */
  async upload(key: string, data: Readable): Promise<number> {
    const Key = this.objectKey(key);
    let size = 0;
    let failed: 'source' | 'storage' | undefined;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        done(null, chunk);
      },
    });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.config.bucket, Key, Body: counter },
      partSize: this.config.minPartSize,
      queueSize: QUEUE_SIZE,
    });
    data.once('error', () => (failed ??= 'source'));
    data.once('close', () => (data.readableEnded ? undefined : (failed ??= 'source')));
    const fed = pipeline(data, counter);
    const stored = upload.done().catch((err) => {
      failed ??= 'storage';
      counter.destroy(err); // stops the feed, which would otherwise wait on a reader forever
      data.destroy();
      throw err;
    });
    const [feed, result] = await Promise.allSettled([fed, stored]);
    if (feed.status === 'fulfilled' && result.status === 'fulfilled') return size;
    await this.delete(key).catch(() => undefined); // a PutObject may have landed after the feed failed
    if (failed === 'source' && feed.status === 'rejected') throw feed.reason;
    throw s3Error(this.config, result.status === 'rejected' ? result.reason : (feed as PromiseRejectedResult).reason, key, 'write');
  }

  /** Removes the object; S3 deletes succeed when the key is absent. */
  async delete(key: string): Promise<void> {
    const Key = this.objectKey(key);
    await this.call('delete', key, () => this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key })));
  }

  /** Layout keys of the objects whose key starts with `prefix` ('' for all). */
  async *list(prefix: string): AsyncGenerator<string> {
    const base = this.config.prefix === '' ? '' : `${this.config.prefix}/`;
    let ContinuationToken: string | undefined;
    do {
      const page = await this.call('list', prefix, () =>
        this.client.send(new ListObjectsV2Command({ Bucket: this.config.bucket, Prefix: base + prefix, ContinuationToken })),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key?.startsWith(base)) yield object.Key.slice(base.length);
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken !== undefined);
  }

  /** Deletes every object under `prefix`; returns how many there were. */
  async deleteAll(prefix: string): Promise<number> {
    const keys: string[] = [];
    for await (const key of this.list(prefix)) keys.push(key);
    await Promise.all(keys.map((key) => this.delete(key)));
    return keys.length;
  }
}

export function emptyStream(): Readable {
  return Readable.from([]);
}
