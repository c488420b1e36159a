import { randomUUID, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Actor } from '../auth/principal.js';
import { type Digest, newHash, parseDigest, parseRepositoryName } from '../domain/index.js';
import { Errors, WharfError } from '../errors/index.js';
import type { BlobRow, UploadRow } from '../metadata/store.js';
import { blobKey, isUploadId } from '../storage/layout.js';
import { isStorageError, type UploadState } from '../storage/driver.js';
import type { Location } from '../storage/locations/location-set.js';
import { announceReplication, enqueueReplication, existingRepository, pushRepository, type RegistryContext, UNNAMED_ACTOR } from './context.js';
import { buffersReleased } from './buffer-churn.js';
import { KeyedMutex } from './keyed-mutex.js';
import { feed, MeasureStream } from './measure-stream.js';
import { UploadHashes } from './upload-hashes.js';

/** One chunk of an upload as the HTTP layer hands it over. */
export interface Chunk {
  /** The body, or undefined when the request has none. */
  readonly body: (Readable & { complete?: boolean }) | undefined;
  readonly contentLength?: number;
  /** From `Content-Range: <start>-<end>` (inclusive). */
  readonly contentRange?: { readonly start: number; readonly end: number };
}

export interface UploadStatus {
  readonly uploadId: string;
  /** Bytes received so far. */
  readonly offset: number;
}

/**
 * Blob upload sessions (OCI "push a blob"): start, mount, chunked append, status, complete,
 * cancel. A session is pinned to a storage location when it starts; every chunk, on any
 * instance, goes there. The blob becomes present (row, placement, repository link, in one
 * transaction) only after its bytes are committed in storage and their digest verified.
 */
export class UploadService {
  readonly #ctx: RegistryContext;
  readonly #hashes = new UploadHashes();
  readonly #mutex = new KeyedMutex();

  constructor(ctx: RegistryContext) {
    this.#ctx = ctx;
  }

  /** Opens a session; the first push into a repository creates it (as `actor`). */
  async start(name: string, actor: Actor = UNNAMED_ACTOR): Promise<UploadStatus> {
    const repository = await pushRepository(this.#ctx, name, actor);
    const id = randomUUID();
    const { location, state } = await this.#open(id);
    await this.#ctx.metadata.stores.uploads.create({ id, repositoryId: repository.id, locationId: location.id, driverState: state.driverState ?? null });
    return { uploadId: id, offset: 0 };
  }

  /** Opens the session in the first location that accepts it (write failover). */
  async #open(id: string): Promise<{ location: Location; state: UploadState }> {
    const { locations, logger } = this.#ctx;
    let lastError: unknown;
    for (const location of locations.uploadTargets()) {
      try {
        const state = await location.driver.startUpload(id);
        locations.health.markHealthy(location.id);
        return { location, state };
      } catch (err) {
        if (!isStorageError(err)) throw err;
        lastError = err;
        locations.health.markFailed(location.id);
        logger.warn({ err, location: location.name }, 'cannot open an upload in this location; trying the next');
      }
    }
    throw new WharfError(Errors.UNAVAILABLE, { reason: 'no storage location accepts uploads', cause: String(lastError) });
  }

  /**
   * Links a blob another repository has into `name`; undefined when it cannot (start a session
   * instead). Whether the caller may read `from` is the HTTP layer's check, made before this.
   */
  async mount(name: string, digestText: string, from: string | undefined, actor: Actor = UNNAMED_ACTOR): Promise<BlobRow | undefined> {
    const digest = parseDigest(digestText);
    parseRepositoryName(name);
    if (from === undefined || from === '') return undefined;
    const stores = this.#ctx.metadata.stores;
    const source = await stores.repositories.find(parseRepositoryName(from).value);
    const blob = source && (await stores.blobs.findInRepository(source.id, digest.value));
    if (!blob || (await stores.placements.locationsOf(blob.id)).length === 0) return undefined;
    const target = await pushRepository(this.#ctx, name, actor);
    await this.#ctx.metadata.transaction(async (tx) => {
      await tx.blobs.link(target.id, blob.id);
      await enqueueReplication(this.#ctx, tx, [blob.id]); // the new namespace may add a region
    });
    await announceReplication(this.#ctx);
    return blob;
  }

  async status(name: string, uploadId: string): Promise<UploadStatus> {
    const { row } = await this.#session(name, uploadId);
    return { uploadId, offset: row.offset };
  }

  async append(name: string, uploadId: string, chunk: Chunk): Promise<UploadStatus> {
    return this.#mutex.run(uploadId, async () => {
      const { row, location } = await this.#session(name, uploadId);
      const { offset } = await this.#appendChunk(row, location, chunk);
      return { uploadId, offset };
    });
  }

  /** Closes the session: appends the final chunk if any, verifies the digest, records the blob. */
  async complete(name: string, uploadId: string, digestText: string | undefined, chunk: Chunk): Promise<BlobRow> {
    if (!digestText) throw new WharfError(Errors.DIGEST_INVALID, 'the closing PUT needs ?digest=');
    const digest = parseDigest(digestText);
    return this.#mutex.run(uploadId, async () => {
      const { row, location } = await this.#session(name, uploadId);
      const current = await this.#appendChunk(row, location, chunk);
      const actual = await this.#digestOf(current, location, digest);
      if (actual !== digest.hex) {
        await this.#discard(current, location);
        throw new WharfError(Errors.DIGEST_INVALID, { expected: digest.value, actual: `${digest.algorithm}:${actual}` });
      }
      await location.driver.commitUpload(stateOf(current), blobKey(digest));
      this.#hashes.drop(uploadId);
      // The blob, its first placement and its replication job commit together (DESIGN §5.3).
      const blob = await this.#ctx.metadata.transaction(async (tx) => {
        const recorded = await tx.blobs.record(digest.value, current.offset);
        await tx.placements.add(recorded.id, location.id);
        await tx.blobs.link(row.repositoryId, recorded.id);
        await tx.uploads.delete(uploadId);
        await enqueueReplication(this.#ctx, tx, [recorded.id]);
        return recorded;
      });
      await announceReplication(this.#ctx);
      return blob;
    });
  }

  /** `POST ?digest=`: a whole blob in one request. */
  async monolithic(name: string, digestText: string, chunk: Chunk, actor: Actor = UNNAMED_ACTOR): Promise<BlobRow> {
    parseDigest(digestText);
    const { uploadId } = await this.start(name, actor);
    try {
      return await this.complete(name, uploadId, digestText, chunk);
    } catch (err) {
      await this.cancel(name, uploadId).catch(() => undefined);
      throw err;
    }
  }

  async cancel(name: string, uploadId: string): Promise<void> {
    await this.#mutex.run(uploadId, async () => {
      const { row, location } = await this.#session(name, uploadId);
      await this.#discard(row, location);
    });
  }

  async #session(name: string, uploadId: string): Promise<{ row: UploadRow; location: Location }> {
    const repository = await existingRepository(this.#ctx.metadata.stores, name);
    const row = isUploadId(uploadId) ? await this.#ctx.metadata.stores.uploads.find(uploadId) : undefined;
    const location = row && this.#ctx.locations.byId(row.locationId);
    if (!row || row.repositoryId !== repository.id || !location) {
      throw new WharfError(Errors.BLOB_UPLOAD_UNKNOWN, { uploadId });
    }
    return { row, location };
  }

  /**
   * Appends one chunk (all-or-nothing: a failed chunk leaves the session as it was, and its
   * partial hash is dropped) and records the new offset; returns the session after it.
   */
  async #appendChunk(row: UploadRow, location: Location, chunk: Chunk): Promise<UploadRow> {
    const expected = expectedLength(row, chunk);
    if (!chunk.body || expected === 0) return row;
    const hash = this.#hashes.take(row.id, row.offset) ?? (await this.#rebuildHash(row, location, 'sha256'));
    const state = await location.driver.appendUpload(stateOf(row), feed(chunk.body, new MeasureStream(hash, expected)));
    const driverState = state.driverState ?? null;
    if (!(await this.#ctx.metadata.stores.uploads.advance(row.id, row.offset, state.size, driverState))) {
      throw new WharfError(Errors.BLOB_UPLOAD_INVALID, 'the upload was changed by a concurrent request');
    }
    this.#hashes.put(row.id, state.size, hash);
    return { ...row, offset: state.size, driverState, updatedAt: Date.now() };
  }

  async #digestOf(row: UploadRow, location: Location, digest: Digest): Promise<string> {
    const hash =
      digest.algorithm === 'sha256'
        ? this.#hashes.take(row.id, row.offset) ?? (await this.#rebuildHash(row, location, 'sha256'))
        : await this.#rebuildHash(row, location, digest.algorithm);
    return hash.digest('hex');
  }

  /** Re-reads the session's bytes to rebuild its hash (after a restart, or on another instance). */
  async #rebuildHash(row: UploadRow, location: Location, algorithm: Digest['algorithm']): Promise<Hash> {
    const hash = newHash(algorithm);
    if (row.offset === 0) return hash;
    let seen = 0;
    for await (const chunk of await location.driver.readUpload(stateOf(row))) {
      hash.update(chunk as Buffer);
      seen += (chunk as Buffer).length;
      buffersReleased((chunk as Buffer).length);
    }
    if (seen !== row.offset) {
      throw new WharfError(Errors.UNAVAILABLE, `upload ${row.id} holds ${seen} bytes in ${location.name}, expected ${row.offset}`);
    }
    return hash;
  }

  async #discard(row: UploadRow, location: Location): Promise<void> {
    this.#hashes.drop(row.id);
    await this.#ctx.metadata.stores.uploads.delete(row.id);
    await location.driver.abortUpload(stateOf(row));
  }
}

function stateOf(row: UploadRow): UploadState {
  return { id: row.id, size: row.offset, driverState: row.driverState ?? undefined };
}

/** The chunk's length from its headers; 416 when it does not continue the session. */
function expectedLength(row: UploadRow, chunk: Chunk): number | undefined {
  const range = chunk.contentRange;
  if (!range) return chunk.contentLength;
  if (range.start !== row.offset || range.end < range.start) {
    throw new WharfError(Errors.UPLOAD_RANGE_INVALID, { offset: row.offset, contentRange: `${range.start}-${range.end}` }, { Range: rangeHeader(row.offset) });
  }
  const length = range.end - range.start + 1;
  if (chunk.contentLength !== undefined && chunk.contentLength !== length) {
    throw new WharfError(Errors.SIZE_INVALID, `Content-Length ${chunk.contentLength} disagrees with Content-Range ${range.start}-${range.end}`);
  }
  return length;
}

/** The `Range` header of a session holding `offset` bytes (`0-0` when empty, as Distribution). */
export function rangeHeader(offset: number): string {
  return `0-${Math.max(offset - 1, 0)}`;
}
