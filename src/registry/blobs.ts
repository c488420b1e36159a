import type { Readable } from 'node:stream';
import { parseDigest } from '../domain/index.js';
import { Errors, WharfError } from '../errors/index.js';
import type { BlobRow } from '../metadata/store.js';
import { type ByteRange, isStorageError } from '../storage/driver.js';
import { blobKey } from '../storage/layout.js';
import { existingRepository, type RegistryContext } from './context.js';

export interface OpenBlob {
  readonly blob: BlobRow;
  readonly stream: Readable;
  /** The location that serves the bytes (nearest holder that answered). */
  readonly location: string;
}

/**
 * Pulling and deleting blobs. Reads go to the nearest location (this instance's preference)
 * that holds a verified copy; when that location errors or has lost the object, the next
 * holder serves it, so a client never gets BLOB_UNKNOWN while any copy exists.
 */
export class BlobService {
  readonly #ctx: RegistryContext;

  constructor(ctx: RegistryContext) {
    this.#ctx = ctx;
  }

  /** The blob as linked into the repository (HEAD answers from the database alone). */
  async stat(name: string, digestText: string): Promise<BlobRow> {
    const digest = parseDigest(digestText);
    const stores = this.#ctx.metadata.stores;
    const repository = await existingRepository(stores, name);
    const blob = await stores.blobs.findInRepository(repository.id, digest.value);
    if (!blob) throw new WharfError(Errors.BLOB_UNKNOWN, { digest: digest.value });
    return blob;
  }

  async open(name: string, digestText: string, range?: ByteRange): Promise<OpenBlob> {
    const blob = await this.stat(name, digestText);
    const key = blobKey(parseDigest(blob.digest));
    const holders = this.#ctx.locations.nearestFirst(await this.#ctx.metadata.stores.placements.locationsOf(blob.id));
    let unavailable = false;
    for (const location of holders) {
      try {
        const stream = await location.driver.read(key, range);
        return { blob, stream, location: location.name };
      } catch (err) {
        if (!isStorageError(err)) throw err;
        unavailable ||= !isStorageError(err, 'not-found');
        this.#ctx.logger.warn({ err, digest: blob.digest, location: location.name }, 'blob read failed; trying the next holder');
      }
    }
    if (unavailable) throw new WharfError(Errors.UNAVAILABLE, { digest: blob.digest });
    throw new WharfError(Errors.BLOB_UNKNOWN, { digest: blob.digest, reason: 'no location holds the bytes' });
  }

  /** Unlinks the blob from the repository; its bytes go when nothing references them (GC). */
  async delete(name: string, digestText: string): Promise<void> {
    const blob = await this.stat(name, digestText);
    const repository = await existingRepository(this.#ctx.metadata.stores, name);
    await this.#ctx.metadata.stores.blobs.unlink(repository.id, blob.id);
  }
}
