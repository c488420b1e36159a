import type { Hash } from 'node:crypto';
import { newHash } from '../domain/index.js';

/**
 * Running sha256 states of upload sessions, kept in memory between chunks. A miss (another
 * instance received the previous chunk, this process restarted, or the entry was evicted) is
 * not an error: the caller rebuilds the state by re-reading the session's bytes from storage.
 */
export class UploadHashes {
  readonly #entries = new Map<string, { offset: number; hash: Hash }>();
  readonly #capacity: number;

  constructor(capacity = 1024) {
    this.#capacity = capacity;
  }

  /** The state for `uploadId` if it covers exactly `offset` bytes; removed from the cache. */
  take(uploadId: string, offset: number): Hash | undefined {
    const entry = this.#entries.get(uploadId);
    this.#entries.delete(uploadId);
    return entry && entry.offset === offset ? entry.hash : undefined;
  }

  put(uploadId: string, offset: number, hash: Hash): void {
    this.#entries.delete(uploadId);
    this.#entries.set(uploadId, { offset, hash });
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  drop(uploadId: string): void {
    this.#entries.delete(uploadId);
  }

  static fresh(): Hash {
    return newHash('sha256');
  }
}
