import type { Dirent } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { StorageError, type ByteRange, type ObjectInfo, type StorageDriver, type UploadState } from '../driver.js';
import { checkKey, checkPrefix } from '../keys.js';
import { uploadKey } from '../layout.js';
import { FileAppender } from './file-appender.js';
import { DRIVER, fail, isMissing, openRange, syncDir, whichFailedFirst } from './fs-util.js';
import type { LocalStorageParams } from './params.js';

/**
 * Keys are files under `storage_path`. An upload session is the file `uploads/<id>`; committing
 * renames it into place, so a committed key is always complete. Every write is fsynced before
 * the call resolves.
 */
export class LocalStorage implements StorageDriver {
  readonly driverName = DRIVER;
  readonly root: string;

  constructor(params: LocalStorageParams) {
    this.root = path.resolve(params.storage_path);
  }

  /** Creates `storage_path` when missing, so that a bad path fails at startup. */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true }).catch((err) => {
      throw new StorageError('unavailable', DRIVER, this.root, `cannot create storage_path (${err.code})`, { cause: err });
    });
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const file = this.pathOf(key);
    try {
      const info = await stat(file);
      return info.isFile() ? { size: info.size } : undefined;
    } catch (err) {
      if (isMissing(err)) return undefined;
      return fail(err, key, 'stat');
    }
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const { handle, size } = await this.openFile(key, 'r');
    return openRange(handle, size, range?.start ?? 0, range?.end);
  }

  async delete(key: string): Promise<void> {
    await unlink(this.pathOf(key)).catch((err) => (isMissing(err) ? undefined : fail(err, key, 'delete')));
  }

  async *list(prefix: string): AsyncIterable<string> {
    checkPrefix(DRIVER, prefix);
    const base = prefix.slice(0, prefix.lastIndexOf('/') + 1); // the directory part, '' or 'a/b/'
    for await (const key of this.walk(base)) if (key.startsWith(prefix)) yield key;
  }

  async startUpload(id: string): Promise<UploadState> {
    const key = this.uploadKeyOf(id);
    const file = this.pathOf(key);
    try {
      await mkdir(path.dirname(file), { recursive: true });
      await (await open(file, 'wx')).close();
      await syncDir(path.dirname(file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new StorageError('conflict', DRIVER, key, 'upload session exists');
      return fail(err, key, 'start upload');
    }
    return { id, size: 0 };
  }

  async appendUpload(state: UploadState, data: Readable): Promise<UploadState> {
    const key = this.uploadKeyOf(state.id);
    const handle = await this.openSession(state, 'append to');
    const out = new FileAppender(handle, state.size);
    const failedFirst = whichFailedFirst(data, out);
    try {
      await pipeline(data, out);
      await handle.sync(); // the appender synced all but the last few MiB already
      return { ...state, size: state.size + out.bytesWritten };
    } catch (err) {
      if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()));
      await handle.truncate(state.size).catch(() => undefined); // the next append truncates again
      if (failedFirst() === 'source') throw err; // the client's error, as is
      fail(err, key, 'append to upload');
    } finally {
      await handle.close().catch(() => undefined);
    }
  }

  async readUpload(state: UploadState): Promise<Readable> {
    const { handle, size } = await this.openFile(this.uploadKeyOf(state.id), 'r');
    return openRange(handle, size, 0, state.size - 1);
  }

  async commitUpload(state: UploadState, key: string): Promise<void> {
    const target = this.pathOf(key);
    const upload = this.pathOf(this.uploadKeyOf(state.id));
    const handle = await this.openSession(state, 'commit');
    try {
      await handle.sync().finally(() => handle.close());
      await mkdir(path.dirname(target), { recursive: true });
      if ((await this.stat(key)) !== undefined) return await unlink(upload); // content-addressed
      await rename(upload, target);
      await syncDir(path.dirname(target));
    } catch (err) {
      fail(err, key, 'commit upload');
    }
  }

  async abortUpload(state: UploadState): Promise<void> {
    const key = this.uploadKeyOf(state.id);
    await unlink(this.pathOf(key)).catch((err) => (isMissing(err) ? undefined : fail(err, key, 'abort upload')));
  }

  /** The file of a key; refuses keys that are malformed or would resolve outside `root`. */
  private pathOf(key: string): string {
    const file = path.resolve(this.root, ...checkKey(DRIVER, key));
    const rel = path.relative(this.root, file);
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      throw new StorageError('invalid-key', DRIVER, key, 'key resolves outside storage_path');
    }
    return file;
  }

  private uploadKeyOf(id: string): string {
    try {
      return uploadKey(id);
    } catch (err) {
      throw new StorageError('invalid-key', DRIVER, JSON.stringify(String(id).slice(0, 100)), 'bad upload id', { cause: err });
    }
  }

  /** Opens the file of a key, which must be a regular file; returns its size too. */
  private async openFile(key: string, flags: string): Promise<{ handle: FileHandle; size: number }> {
    const file = this.pathOf(key);
    const handle = await open(file, flags).catch((err) => fail(err, key, 'open'));
    const info = await handle.stat().catch(async (err) => (await handle.close(), fail(err, key, 'stat')));
    if (info.isFile()) return { handle, size: info.size };
    await handle.close();
    throw new StorageError('not-found', DRIVER, key, 'not a file');
  }

  /**
   * Opens the session file for writing and brings it to `state.size`: bytes beyond it belong to
   * an append that failed without cleaning up. A shorter file cannot be repaired.
   */
  private async openSession(state: UploadState, action: string): Promise<FileHandle> {
    const key = this.uploadKeyOf(state.id);
    const { handle, size } = await this.openFile(key, 'r+');
    try {
      if (size < state.size) {
        throw new StorageError('conflict', DRIVER, key, `cannot ${action} upload: it holds ${size} bytes, state says ${state.size}`);
      }
      if (size > state.size) await handle.truncate(state.size);
      return handle;
    } catch (err) {
      await handle.close().catch(() => undefined);
      if (err instanceof StorageError) throw err;
      return fail(err, key, `${action} upload`);
    }
  }

  /** Files under the directory `base` ('' or ending in '/'), as keys; nothing when it is absent. */
  private async *walk(base: string): AsyncGenerator<string> {
    let entries: Dirent[];
    try {
      entries = await readdir(base === '' ? this.root : this.pathOf(base.slice(0, -1)), { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      return fail(err, base, 'list');
    }
    for (const entry of entries) {
      if (entry.isDirectory()) yield* this.walk(`${base}${entry.name}/`);
      else if (entry.isFile()) yield `${base}${entry.name}`;
    }
  }
}
