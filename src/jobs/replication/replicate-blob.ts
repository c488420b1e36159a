/**
 * The REPLICATE_BLOB handler (DESIGN §5.4): brings a blob to every location that requires it and
 * lacks a placement. Each copy streams from the nearest holder (this instance's preference),
 * falling back to the next holder when a source fails or serves wrong bytes, into an upload
 * session at the destination; the bytes are hashed on the way, only a copy whose size and digest
 * match the blob row is committed, and only a committed copy gets a placement. Any failure, or
 * the lease being lost, aborts the session: no half copy, no unverified object, no early placement.
 */
import { createHash } from 'node:crypto';
import { addAbortSignal, pipeline, type Readable } from 'node:stream';
import { parseDigest, type Digest } from '../../domain/index.js';
import type { BlobRow, Id, MetadataStore } from '../../metadata/store.js';
import type { Logger } from '../../observability/logger.js';
import { isStorageError } from '../../storage/driver.js';
import { blobKey } from '../../storage/layout.js';
import type { Location, LocationSet } from '../../storage/locations/location-set.js';
import { errorText, PermanentJobError } from '../retry-policy.js';
import type { JobHandler } from '../runner.js';
import { MismatchError, VerifyStream } from './verify-stream.js';

export interface ReplicateBlobDeps {
  readonly metadata: MetadataStore;
  readonly locations: LocationSet;
  /** Location ids the blob must be in: DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS ∪ its namespaces' regions. */
  readonly requiredLocations: (blobId: Id) => Promise<Id[]>;
  readonly logger: Logger;
}

export function replicateBlobHandler(deps: ReplicateBlobDeps): JobHandler {
  const log = deps.logger.child({ component: 'replication' });
  return async (job, { signal }) => {
    const blobId = (job.payload as { blobId?: unknown } | null)?.blobId;
    if (typeof blobId !== 'number' || !Number.isSafeInteger(blobId)) throw new PermanentJobError(`payload has no blobId: ${JSON.stringify(job.payload)}`);
    const blob = await deps.metadata.stores.blobs.find(job.key); // the key is the digest (ReplicationStore)
    if (!blob) return void log.info({ digest: job.key }, 'blob no longer exists (collected); nothing to replicate');
    if (blob.id !== blobId) throw new PermanentJobError(`job key ${job.key} is blob ${blob.id}, its payload says ${blobId}`);
    await new BlobReplication(deps, log, blob, signal).run();
  };
}

/** The source's copy could not be read or is wrong: another holder may do better. */
class SourceFailure extends Error {}

class BlobReplication {
  readonly #digest: Digest;
  readonly #key: string;

  constructor(
    private readonly deps: ReplicateBlobDeps,
    private readonly log: Logger,
    private readonly blob: BlobRow,
    private readonly signal: AbortSignal,
  ) {
    this.#digest = parseDigest(blob.digest);
    this.#key = blobKey(this.#digest);
  }

  /**
   * Targets are recomputed after each pass: a location required meanwhile (a new namespace region)
   * is handled in this same run. Each target is tried once per run; the job's retry does the rest.
   */
  async run(): Promise<void> {
    const { blob, signal, deps } = this;
    const attempted = new Set<Id>();
    const failures: string[] = [];
    let firstFailure: unknown;
    for (;;) {
      signal.throwIfAborted();
      const holders = await deps.metadata.stores.placements.locationsOf(blob.id);
      const targets = (await deps.requiredLocations(blob.id)).filter((id) => !holders.includes(id) && !attempted.has(id));
      if (targets.length === 0) break;
      if (holders.length === 0) throw new PermanentJobError(`no location holds a verified copy of ${blob.digest}: nothing to replicate from`);
      for (const target of targets) {
        attempted.add(target);
        try {
          await this.#replicateTo(target, holders);
        } catch (err) {
          if (signal.aborted) throw signal.reason;
          const name = deps.locations.byId(target)?.name ?? `#${target}`;
          this.log.warn({ err, digest: blob.digest, to: name }, 'replication to a location failed');
          failures.push(`${name}: ${errorText(err)}`);
          firstFailure ??= err;
        }
      }
    }
    if (failures.length > 0) throw new Error(`replicating ${blob.digest} failed for ${failures.join('; ')}`, { cause: firstFailure });
  }

  async #replicateTo(targetId: Id, holders: readonly Id[]): Promise<void> {
    const target = this.deps.locations.byId(targetId);
    if (!target) throw new Error(`location #${targetId} is required but not configured on this instance`);
    if (await this.#alreadyThere(target)) return this.#place(target, { how: 'verified in place' });
    const sources = this.deps.locations.nearestFirst(holders);
    if (sources.length === 0) throw new Error('no location holding the blob is configured on this instance');
    let lastFailure: unknown;
    for (const source of sources) {
      try {
        const started = Date.now();
        if (await this.#copyServerSide(source, target)) {
          return this.#place(target, { how: 'server-side copy', from: source.name, bytes: this.blob.size, ms: Date.now() - started });
        }
        await this.#copy(source, target);
        return this.#place(target, { how: 'copied', from: source.name, bytes: this.blob.size, ms: Date.now() - started });
      } catch (err) {
        if (this.signal.aborted) throw this.signal.reason;
        if (!(err instanceof SourceFailure)) throw err; // the destination failed: another source cannot help
        this.log.warn({ err: err.cause, digest: this.blob.digest, from: source.name, to: target.name }, 'source copy unusable; trying the next holder');
        lastFailure = err.cause;
      }
    }
    throw new Error(`no holder gave a good copy (tried ${sources.map((s) => s.name).join(', ')})`, { cause: lastFailure });
  }

  /**
   * An object may sit at the key without a placement (an earlier run committed, then died; an
   * upload is finishing). It earns a placement only once read back and verified. A wrong one is
   * deleted (no placement points at it): committing a new copy would not replace it, because
   * drivers keep an existing content-addressed object.
   */
  async #alreadyThere(target: Location): Promise<boolean> {
    const info = await target.driver.stat(this.#key);
    if (!info) return false;
    try {
      if (info.size !== this.blob.size) throw new MismatchError(`${info.size} bytes, the blob has ${this.blob.size}`);
      const verify = new VerifyStream(this.#digest, this.blob.size);
      for await (const _ of this.#pipe(await target.driver.read(this.#key), verify));
      verify.check();
      return true;
    } catch (err) {
      if (!(err instanceof MismatchError)) throw err;
      this.log.warn({ err, digest: this.blob.digest, at: target.name }, 'replacing a wrong object at the destination');
      await target.driver.delete(this.#key);
      return false;
    }
  }

  /**
   * Same service and credentials on both sides (S3 CopyObject, Azure copy from URL): the bytes
   * never pass through this process. The source copy is verified (it has a placement) and the
   * service copies it exactly; the size is checked before the placement is recorded.
   */
  async #copyServerSide(source: Location, target: Location): Promise<boolean> {
    if (!target.driver.copyFrom) return false;
    let copied: boolean;
    try {
      copied = await target.driver.copyFrom(source.driver, this.#key);
    } catch (err) {
      if (isStorageError(err, 'not-found')) throw new SourceFailure('server-side copy: source lacks the object', { cause: err });
      throw err;
    }
    if (!copied) return false;
    const info = await target.driver.stat(this.#key);
    if (info?.size !== this.blob.size) {
      await target.driver.delete(this.#key); // no placement points at it
      throw new SourceFailure('server-side copy', { cause: new MismatchError(`copied ${info?.size ?? 'no'} bytes, the blob has ${this.blob.size}`) });
    }
    return true;
  }

  async #copy(source: Location, target: Location): Promise<void> {
    let input: Readable;
    try {
      input = await source.driver.read(this.#key);
    } catch (err) {
      throw new SourceFailure('read failed', { cause: err });
    }
    let sourceError: unknown;
    input.once('error', (err) => (sourceError ??= err));
    const verify = new VerifyStream(this.#digest, this.blob.size);
    // One session id per (blob, destination): a copy cut short by a crash is found and
    // discarded by the next attempt instead of lingering under uploads/ forever.
    const sessionId = replicationSessionId(this.#digest, target.id);
    const session = await target.driver
      .abortUpload({ id: sessionId, size: 0 })
      .then(() => target.driver.startUpload(sessionId))
      .catch((err) => (input.destroy(), Promise.reject(err)));
    try {
      const state = await target.driver.appendUpload(session, this.#pipe(input, verify));
      this.signal.throwIfAborted();
      verify.check();
      await target.driver.commitUpload(state, this.#key);
    } catch (err) {
      input.destroy();
      await target.driver.abortUpload(session).catch((e) => this.log.warn({ err: e, at: target.name }, 'cannot discard a replication session'));
      if (this.signal.aborted) throw this.signal.reason;
      // The driver may wrap the stream's error: ask the streams what failed, not the error.
      if (verify.mismatch) throw new SourceFailure('wrong bytes', { cause: verify.mismatch });
      if (sourceError !== undefined) throw new SourceFailure('read failed', { cause: sourceError });
      throw err;
    }
    // A content-addressed commit keeps an object that got there first: check it has the size.
    const committed = await target.driver.stat(this.#key);
    if (committed?.size !== this.blob.size) throw new Error(`after commit, ${target.name} holds ${committed?.size ?? 'no'} bytes at ${this.#key}`);
  }

  async #place(target: Location, details: object): Promise<void> {
    await this.deps.metadata.stores.placements.add(this.blob.id, target.id);
    this.log.info({ digest: this.blob.digest, to: target.name, ...details }, 'blob replicated');
  }

  /** `input` through `verify`, errors passed along, cut when the lease's signal aborts. */
  #pipe(input: Readable, verify: VerifyStream): VerifyStream {
    addAbortSignal(this.signal, input);
    return pipeline(input, verify, () => undefined);
  }
}

/** A UUID-shaped id derived from the digest and the destination (storage/layout.ts wants a UUID). */
export function replicationSessionId(digest: Digest, locationId: Id): string {
  const hex = createHash('sha256').update(`replicate:${digest.value}:${locationId}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
