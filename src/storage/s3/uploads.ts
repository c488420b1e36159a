import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { z } from 'zod';
import { StorageError, type UploadState } from '../driver.js';
import { uploadKey, uploadObjectKey } from '../layout.js';
import { emptyStream, type S3Bucket } from './bucket.js';
import { s3Error } from './client.js';
import { copyServerSide } from './copy.js';

/**
 * Upload sessions on an object store. A session is a `session` marker object plus one object
 * per append, `uploads/<id>/<seq>-<nonce>`; its `driverState` lists those objects, so any
 * instance holding the state can continue it. The nonce keeps two racing appends from writing
 * the same object (the registry lets only one of them advance the state; the other's object is
 * an orphan that commit and abort remove with the rest of the prefix).
 */
export interface S3UploadState {
  readonly chunks: readonly { readonly key: string; readonly size: number }[];
}

const stateSchema = z.object({ chunks: z.array(z.object({ key: z.string(), size: z.number().int().positive() })) });
const MARKER = 'session';

export class S3Uploads {
  readonly #bucket: S3Bucket;
  readonly #warn: (obj: object, msg: string) => void;

  constructor(bucket: S3Bucket, warn: (obj: object, msg: string) => void) {
    this.#bucket = bucket;
    this.#warn = warn;
  }

  async start(id: string): Promise<UploadState> {
    const marker = this.#key(id, MARKER);
    if ((await this.#bucket.head(marker)) !== undefined) throw this.#error('conflict', id, 'upload session exists');
    await this.#bucket.putEmpty(marker);
    return { id, size: 0, driverState: { chunks: [] } satisfies S3UploadState };
  }

  /** Stores `data` as the session's next object; on any failure that object is removed. */
  async append(state: UploadState, data: Readable): Promise<UploadState> {
    const { chunks } = this.#stateOf(state);
    await this.#requireSession(state.id, 'append to');
    const key = this.#key(state.id, `${String(chunks.length).padStart(6, '0')}-${randomBytes(6).toString('hex')}`);
    let size: number;
    try {
      size = await this.#bucket.upload(key, data);
    } catch (err) {
      await this.#bucket.delete(key).catch(() => undefined);
      throw err;
    }
    if (size === 0) {
      await this.#bucket.delete(key);
      return { ...state, driverState: { chunks } satisfies S3UploadState };
    }
    return { ...state, size: state.size + size, driverState: { chunks: [...chunks, { key, size }] } satisfies S3UploadState };
  }

  /** The session's objects in order, as one stream; not-found (before any stream) when gone. */
  async read(state: UploadState): Promise<Readable> {
    const { chunks } = this.#stateOf(state);
    const [first, ...rest] = chunks;
    if (first === undefined) {
      await this.#requireSession(state.id, 'read');
      return emptyStream();
    }
    const bucket = this.#bucket;
    const head = await bucket.get(first.key);
    return Readable.from((async function* () {
      for await (const piece of head) yield piece as Buffer;
      for (const chunk of rest) for await (const piece of await bucket.get(chunk.key)) yield piece as Buffer;
    })());
  }

  /**
   * Server-side assembly when the server and the chunk sizes allow it, otherwise the chunks
   * streamed into a (multipart) upload of `key`: either way `key` appears whole or not at all.
   * An existing object at `key` is kept (content-addressed). Then the session's objects go.
   */
  async commit(state: UploadState, key: string): Promise<void> {
    this.#bucket.objectKey(key); // refuses a bad key before anything else
    const { chunks } = this.#stateOf(state);
    if (chunks.length === 0) await this.#requireSession(state.id, 'commit');
    if ((await this.#bucket.head(key)) === undefined) {
      const { bucket } = this.#bucket.config;
      const sources = chunks.map((c) => ({ bucket, objectKey: this.#bucket.objectKey(c.key), size: c.size }));
      if (chunks.length === 0) await this.#bucket.putEmpty(key);
      else if (!(await copyServerSide(this.#bucket, key, sources))) {
        await this.#bucket.upload(key, await this.read(state)).catch((err) => Promise.reject(s3Error(this.#bucket.config, err, key, 'commit upload')));
      }
    }
    await this.#bucket.deleteAll(`${uploadKey(state.id)}/`).catch((err) => {
      this.#warn({ err, uploadId: state.id }, 'upload committed; its session objects could not all be deleted');
    });
  }

  /** Deletes every object of the session (orphans of failed or racing appends included). */
  async abort(state: UploadState): Promise<void> {
    this.#key(state.id, MARKER);
    await this.#bucket.deleteAll(`${uploadKey(state.id)}/`);
  }

  async #requireSession(id: string, action: string): Promise<void> {
    if ((await this.#bucket.head(this.#key(id, MARKER))) === undefined) throw this.#error('not-found', id, `cannot ${action} upload: no such session`);
  }

  /** The chunk list of a state, checked: its objects belong to the session and add up to its size. */
  #stateOf(state: UploadState): S3UploadState {
    this.#key(state.id, MARKER);
    const parsed = stateSchema.safeParse(state.driverState ?? { chunks: [] });
    const chunks = parsed.success ? parsed.data.chunks : undefined;
    const total = chunks?.reduce((sum, c) => sum + c.size, 0);
    const own = chunks?.every((c) => c.key.startsWith(`${uploadKey(state.id)}/`) && !c.key.endsWith(`/${MARKER}`));
    if (chunks === undefined || total !== state.size || !own) {
      throw this.#error('conflict', state.id, `upload state does not describe this session (${state.size} bytes)`);
    }
    return { chunks };
  }

  #key(id: string, name: string): string {
    try {
      return uploadObjectKey(id, name);
    } catch (err) {
      throw new StorageError('invalid-key', this.#bucket.config.driverName, JSON.stringify(String(id).slice(0, 100)), 'bad upload id', { cause: err });
    }
  }

  #error(kind: 'conflict' | 'not-found', id: string, message: string): StorageError {
    return new StorageError(kind, this.#bucket.config.driverName, this.#key(id, MARKER), message);
  }
}
