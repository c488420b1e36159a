import type { Readable } from 'node:stream';
import type { Actor } from '../auth/principal.js';
import { parseDigest } from '../domain/index.js';
import { Errors, WharfError } from '../errors/index.js';
import { auditEntry } from '../management/audit-entry.js';
import type { BlobRow, RepositoryRow } from '../metadata/store.js';
import { type ByteRange, isStorageError, StorageError } from '../storage/driver.js';
import { blobKey } from '../storage/layout.js';
import { auditPlace, existingRepository, type RegistryContext, UNNAMED_ACTOR } from './context.js';

/** How long a redirect URL to storage stays valid (Quay uses 600 s too). */
export const REDIRECT_TTL_SECONDS = 600;

/** Where a pull goes: bytes streamed through the registry, or a redirect to the storage itself. */
export type BlobSource =
  | { readonly kind: 'stream'; readonly blob: BlobRow; readonly stream: Readable; readonly location: string }
  | { readonly kind: 'redirect'; readonly blob: BlobRow; readonly url: string; readonly location: string };

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
    return (await this.#find(name, digestText)).blob;
  }

  async #find(name: string, digestText: string): Promise<{ repository: RepositoryRow; blob: BlobRow }> {
    const digest = parseDigest(digestText);
    const stores = this.#ctx.metadata.stores;
    const repository = await existingRepository(stores, name);
    const blob = await stores.blobs.findInRepository(repository.id, digest.value);
    if (!blob) throw new WharfError(Errors.BLOB_UNKNOWN, { digest: digest.value });
    return { repository, blob };
  }

  /**
   * The nearest holder that answers serves the pull. With `redirect`, a holder whose driver can
   * presign (S3, GCS, Azure) is checked to still have the object and the client is sent there;
   * otherwise (LocalStorage, FEATURE_PROXY_STORAGE) the bytes stream through the registry.
   * A holder that errors or lost the object is skipped, so any verified copy serves the pull.
   * `blob` comes from {@link stat}, which the caller needs first anyway (for the Range).
   */
  async source(blob: BlobRow, options: { range?: ByteRange; redirect: boolean }): Promise<BlobSource> {
    const key = blobKey(parseDigest(blob.digest));
    const holders = this.#ctx.locations.nearestFirst(await this.#ctx.metadata.stores.placements.locationsOf(blob.id));
    let unavailable = false;
    for (const location of holders) {
      try {
        const { driver } = location;
        if (options.redirect && driver.presignGet) {
          const info = await driver.stat(key);
          if (info?.size !== blob.size) throw new StorageError('not-found', driver.driverName, key, `holds ${info?.size ?? 'no'} bytes`);
          return { kind: 'redirect', blob, url: await driver.presignGet(key, REDIRECT_TTL_SECONDS), location: location.name };
        }
        return { kind: 'stream', blob, stream: await driver.read(key, options.range), location: location.name };
      } catch (err) {
        if (!isStorageError(err)) throw err;
        if (!isStorageError(err, 'not-found')) {
          unavailable = true;
          this.#ctx.locations.health.markFailed(location.id);
        }
        this.#ctx.logger.warn({ err, digest: blob.digest, location: location.name }, 'blob read failed; trying the next holder');
      }
    }
    if (unavailable) throw new WharfError(Errors.UNAVAILABLE, { digest: blob.digest });
    throw new WharfError(Errors.BLOB_UNKNOWN, { digest: blob.digest, reason: 'no location holds the bytes' });
  }

  /** Unlinks the blob from the repository (audited as delete_blob); its bytes go when nothing references them (GC). */
  async delete(name: string, digestText: string, actor: Actor = UNNAMED_ACTOR): Promise<void> {
    const { repository, blob } = await this.#find(name, digestText);
    await this.#ctx.metadata.transaction(async (tx) => {
      // When a concurrent delete got there first, it records the deletion, not us.
      if (!(await tx.blobs.unlink(repository.id, blob.id))) return;
      await tx.audit.record(auditEntry(actor, 'delete_blob', auditPlace(name), { digest: blob.digest }));
    });
  }
}
