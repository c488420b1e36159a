import { Readable } from 'node:stream';
import type { BlobClient, BlockBlobClient } from '@azure/storage-blob';
import { StorageError, type ByteRange, type ObjectInfo, type StorageDriver, type UploadState } from '../driver.js';
import { checkKey, checkPrefix } from '../keys.js';
import { uploadKey } from '../layout.js';
import { blockCount, blockId, blockIds, MAX_BLOCKS, newNonce, parseSession, StageFailure, stageStream } from './blocks.js';
import { AzureClients, DEFAULT_CLIENT_OPTIONS, type ClientOptions } from './client.js';
import { copyFromUrl, defaultCopyDeadlineMs, isComplete, SYNC_COPY_MAX_BYTES } from './copy.js';
import { azureCode, DRIVER, httpStatus, isMissing, toStorageError } from './errors.js';
import { azureTarget, type AzureStorageParams, type AzureTarget } from './params.js';
import { withTimeout } from './timeout.js';

export interface AzureStorageOptions extends Partial<ClientOptions> {
  /** Bytes per staged block (default 8 MiB); an append holds about (parallel + 1) blocks in memory. */
  readonly blockSize?: number;
  readonly parallel?: number;
  /** Largest copy done with the synchronous Copy Blob From URL (Azure's limit, 256 MiB). */
  readonly syncCopyMaxBytes?: number;
  readonly copyDeadlineMs?: (size: number) => number;
  /** Aborts waits for asynchronous copies (e.g. at shutdown); the copies are then aborted too. */
  readonly signal?: AbortSignal;
}

/**
 * Blobs in one Azure container, at `<storage_path>/<key>`. An upload session is the block blob
 * `uploads/<id>` (see blocks.ts): each append stages blocks and commits the block list, so the
 * staging blob always holds exactly the session's bytes and can be read back; committing copies
 * it server-side to its key (copy.ts), which then appears complete, and deletes it.
 */
export class AzureStorage implements StorageDriver {
  readonly driverName = DRIVER;
  readonly target: AzureTarget;
  readonly #clients: AzureClients;
  readonly #options: AzureStorageOptions & ClientOptions;
  /**
   * A read-only SAS URL of `key` for `ttlSeconds` (no request is made). Present only when this
   * driver can sign one, with `azure_account_key` or a `sas_token` granting read (whose own
   * expiry then applies); otherwise absent, so the registry streams.
   */
  readonly presignGet?: (key: string, ttlSeconds: number) => Promise<string>;

  constructor(params: AzureStorageParams, options: AzureStorageOptions = {}) {
    this.target = azureTarget(params);
    this.#options = { ...DEFAULT_CLIENT_OPTIONS, ...options };
    this.#clients = new AzureClients(this.target, this.#options);
    if (this.#clients.canPresign) this.presignGet = (key, ttlSeconds) => this.#presign(key, ttlSeconds);
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const blob = this.#blob(key);
      const props = await this.#bounded((abortSignal) => blob.getProperties({ abortSignal }));
      return isComplete(props.copyStatus) ? { size: props.contentLength ?? 0 } : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      throw this.#error(err, key, 'stat');
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const start = range?.start ?? 0;
    const count = range?.end === undefined ? undefined : range.end - start + 1;
    const blob = this.#blob(key);
    try {
      const res = await this.#bounded((abortSignal) => blob.download(start, count, { abortSignal }));
      const body = res.readableStreamBody as Readable;
      if (isComplete(res.copyStatus)) return body;
      body.destroy();
      throw new StorageError('not-found', DRIVER, key, 'read: not found (copy pending)');
    } catch (err) {
      if (httpStatus(err) === 416) return Readable.from([]); // `start` at or past the end
      throw this.#error(err, key, 'read');
    }
  }

  async delete(key: string): Promise<void> {
    const blob = this.#blob(key);
    await this.#call(key, 'delete', (abortSignal) => blob.deleteIfExists({ abortSignal }));
  }

  async *list(prefix: string): AsyncIterable<string> {
    checkPrefix(DRIVER, prefix);
    const base = this.target.prefix;
    try {
      const listing = new AbortController(); // one signal for every page request: a page that times out aborts it
      const pages = this.#clients.container.listBlobsFlat({ prefix: base + prefix, includeCopy: true, abortSignal: listing.signal }).byPage();
      for (;;) {
        const page = await this.#bounded((timer) => {
          timer.addEventListener('abort', () => listing.abort(timer.reason), { once: true });
          return pages.next();
        });
        if (page.done) return;
        for (const item of page.value.segment.blobItems) {
          if (isComplete(item.properties.copyStatus)) yield item.name.slice(base.length);
        }
      }
    } catch (err) {
      throw this.#error(err, prefix, 'list');
    }
  }

  async startUpload(id: string): Promise<UploadState> {
    const key = this.#uploadKey(id);
    try {
      const blob = this.#blob(key);
      await this.#bounded((abortSignal) => blob.upload(Buffer.alloc(0), 0, { conditions: { ifNoneMatch: '*' }, abortSignal }));
    } catch (err) {
      if (azureCode(err) === 'BlobAlreadyExists') throw new StorageError('conflict', DRIVER, key, 'upload session exists', { cause: err });
      throw this.#error(err, key, 'start upload');
    }
    return { id, size: 0, driverState: { runs: [] } };
  }

  async appendUpload(state: UploadState, data: Readable): Promise<UploadState> {
    const key = this.#uploadKey(state.id);
    const session = parseSession(state, key);
    const blob = this.#blob(key);
    const props = await this.#sessionBlob(blob, state, key, 'append to upload');
    const nonce = newNonce();
    let staged: { count: number; bytes: number };
    try {
      staged = await stageStream(blob, data, nonce, {
        blockSize: this.#options.blockSize ?? 8 * 1024 * 1024,
        parallel: this.#options.parallel ?? 2,
        maxBlocks: MAX_BLOCKS - blockCount(session),
        requestTimeoutMs: this.#options.requestTimeoutMs,
      });
    } catch (err) {
      if (err instanceof StageFailure) throw this.#error(err.cause, key, 'append to upload');
      throw err; // the source's own error, as is
    }
    if (staged.count === 0) return state;
    const next = { runs: [...session.runs, [nonce, staged.count] as const] };
    // The etag condition turns a concurrent append or an abort into a conflict, not a mix.
    const conditions = { ifMatch: props.etag };
    await this.#call(key, 'append to upload', (abortSignal) => blob.commitBlockList(blockIds(next), { conditions, abortSignal }));
    return { id: state.id, size: state.size + staged.bytes, driverState: next };
  }

  async readUpload(state: UploadState): Promise<Readable> {
    const key = this.#uploadKey(state.id);
    parseSession(state, key);
    const blob = this.#blob(key);
    await this.#sessionBlob(blob, state, key, 'read upload');
    if (state.size === 0) return Readable.from([]);
    const res = await this.#call(key, 'read upload', (abortSignal) => blob.download(0, state.size, { abortSignal }));
    return res.readableStreamBody as Readable;
  }

  async commitUpload(state: UploadState, key: string): Promise<void> {
    const name = this.#name(key);
    const stagingKey = this.#uploadKey(state.id);
    const session = parseSession(state, stagingKey);
    const staging = this.#blob(stagingKey);
    const props = await this.#sessionBlob(staging, state, stagingKey, 'commit upload');
    let etag = props.etag;
    if ((props.contentLength ?? 0) > state.size) {
      // An append that failed after committing its blocks: go back to the session's own list.
      const conditions = { ifMatch: props.etag };
      ({ etag } = await this.#call(stagingKey, 'commit upload', (abortSignal) => staging.commitBlockList(blockIds(session), { conditions, abortSignal })));
    }
    if ((await this.stat(key)) === undefined) {
      try {
        await this.#copy(this.#clients, staging, name, key, state.size, etag);
      } catch (err) {
        // The service failed the copy itself (azurite answers 500 to any Copy Blob over 512 MiB:
        // it buffers the source in one string). The bytes then pass through this process once.
        if (!(err instanceof StorageError) || (httpStatus(err.cause) ?? 0) < 500) throw err;
        await this.#streamCopy(staging, name, key, state.size);
      }
    }
    await this.#bounded((abortSignal) => staging.deleteIfExists({ abortSignal })).catch(() => undefined); // committed; a leftover is only space
  }

  async abortUpload(state: UploadState): Promise<void> {
    const key = this.#uploadKey(state.id);
    const blob = this.#blob(key);
    await this.#call(key, 'abort upload', (abortSignal) => blob.deleteIfExists({ abortSignal }));
  }

  async #presign(key: string, ttlSeconds: number): Promise<string> {
    const url = await this.#clients.readUrl(this.#blob(key), ttlSeconds);
    if (url !== undefined) return url;
    throw new StorageError('unavailable', DRIVER, key, 'cannot presign: neither azure_account_key nor a sas_token granting read is set');
  }

  /**
   * Copies `key` from another AzureStorage (any account the service can read with a SAS) with
   * Azure's copy from URL. False when `source` is not Azure, cannot presign, or the service
   * cannot reach it (another emulator); the caller then streams.
   */
  async copyFrom(source: StorageDriver, key: string): Promise<boolean> {
    const name = this.#name(key);
    if (!(source instanceof AzureStorage) || !source.#clients.canPresign) return false;
    const info = await source.stat(key);
    if (info === undefined) throw new StorageError('not-found', DRIVER, key, `copy: not found in ${source.#clients.where}`);
    if ((await this.stat(key)) !== undefined) return true;
    try {
      await this.#copy(source.#clients, source.#blob(key), name, key, info.size);
      return true;
    } catch (err) {
      // The service could not read the source (another service or emulator): stream instead.
      const cause = err instanceof StorageError ? err.cause : err;
      const unreadable = azureCode(cause) === 'CannotVerifyCopySource' || httpStatus(cause) === 404;
      if (unreadable && (await source.stat(key)) !== undefined) return false;
      throw err;
    }
  }

  /** Copies `source` (signed by `signer`, the clients it belongs to) to the blob `name`. */
  async #copy(signer: AzureClients, source: BlobClient, name: string, key: string, size: number, sourceEtag?: string): Promise<void> {
    const deadlineMs = (this.#options.copyDeadlineMs ?? defaultCopyDeadlineMs)(size);
    const sourceUrl = await signer.readUrl(source, Math.ceil(deadlineMs / 1000) + 3600);
    if (sourceUrl === undefined) throw new StorageError('unavailable', DRIVER, key, 'copy: cannot sign a URL for the source');
    const { requestTimeoutMs, syncCopyTimeoutMs: syncTimeoutMs, signal } = this.#options;
    const syncMaxBytes = this.#options.syncCopyMaxBytes ?? SYNC_COPY_MAX_BYTES;
    const options = { syncMaxBytes, syncTimeoutMs, deadlineMs, requestTimeoutMs, ...(sourceEtag ? { sourceEtag } : {}), ...(signal ? { signal } : {}) };
    await this.#call(key, 'copy', () => copyFromUrl(this.#clients.container.getBlobClient(name), sourceUrl, size, options), Infinity);
  }

  /** Copies `source` to the blob `name` by streaming it through as new blocks; visible at the final commit only. */
  async #streamCopy(source: BlobClient, name: string, key: string, size: number): Promise<void> {
    const download = await this.#call(key, 'copy (streamed)', (abortSignal) => source.download(0, size, { abortSignal }));
    const body = download.readableStreamBody;
    if (!body) throw new StorageError('unavailable', DRIVER, key, 'copy (streamed): the source has no body');
    const target = this.#clients.container.getBlockBlobClient(name);
    const nonce = newNonce();
    let staged: { count: number; bytes: number };
    try {
      staged = await stageStream(target, Readable.from(body as AsyncIterable<Buffer>), nonce, {
        blockSize: this.#options.blockSize ?? 8 * 1024 * 1024,
        parallel: this.#options.parallel ?? 2,
        maxBlocks: MAX_BLOCKS,
        requestTimeoutMs: this.#options.requestTimeoutMs,
      });
    } catch (err) {
      throw err instanceof StageFailure ? this.#error(err.cause, key, 'copy (streamed)') : err;
    }
    if (staged.bytes !== size) throw new StorageError('conflict', DRIVER, key, `copy (streamed): read ${staged.bytes} bytes, expected ${size}`);
    const ids = Array.from({ length: staged.count }, (_, seq) => blockId(nonce, seq));
    await this.#call(key, 'copy (streamed)', (abortSignal) => target.commitBlockList(ids, { abortSignal }));
  }

  /** Checks that the session's blob exists and holds at least the session's bytes. */
  async #sessionBlob(blob: BlobClient, state: UploadState, key: string, action: string): Promise<{ etag?: string; contentLength?: number }> {
    const props = await this.#call(key, action, (abortSignal) => blob.getProperties({ abortSignal }));
    if ((props.contentLength ?? 0) < state.size) {
      throw new StorageError('conflict', DRIVER, key, `cannot ${action}: it holds ${props.contentLength} bytes, state says ${state.size}`);
    }
    return props;
  }

  #name(key: string): string {
    checkKey(DRIVER, key);
    return this.target.prefix + key;
  }

  #blob(key: string): BlockBlobClient {
    return this.#clients.container.getBlockBlobClient(this.#name(key));
  }

  #uploadKey(id: string): string {
    try {
      return uploadKey(id);
    } catch (err) {
      throw new StorageError('invalid-key', DRIVER, JSON.stringify(String(id).slice(0, 100)), 'bad upload id', { cause: err });
    }
  }

  /** One request under the client-side time bound. */
  #bounded<T>(op: (abortSignal: AbortSignal) => Promise<T>): Promise<T> {
    return withTimeout(this.#options.requestTimeoutMs, op);
  }

  /** {@link #bounded} (or no bound: Infinity), with failures mapped to StorageErrors. */
  async #call<T>(key: string, action: string, op: (abortSignal: AbortSignal) => Promise<T>, ms = this.#options.requestTimeoutMs): Promise<T> {
    try {
      return ms === Infinity ? await op(new AbortController().signal) : await withTimeout(ms, op);
    } catch (err) {
      throw this.#error(err, key, action);
    }
  }

  #error(err: unknown, key: string, action: string): StorageError {
    return toStorageError(err, key, action, this.#clients.where);
  }
}
