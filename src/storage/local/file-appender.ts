import type { FileHandle } from 'node:fs/promises';
import { Writable } from 'node:stream';

/**
 * Bytes gathered before one writev. Sockets deliver ~64 KiB pieces, so a push is written in
 * ~1 MiB system calls without copying the pieces into a joined buffer first (the copy was 2% of
 * a push's CPU time, and its garbage held memory). Writing whatever had queued behind the last
 * write instead made ~670 writes of ~220 KiB for a 150 MB push, each a round trip through the
 * thread pool (two thread wake-ups) on a machine where the client needs the other core.
 */
export const WRITE_JOIN = 1 << 20;

/**
 * How many written bytes may wait for the disk before a background fdatasync starts. A push of
 * n bytes then overlaps the disk writes with the network instead of paying one fsync of all n
 * bytes at the end; the caller's final fsync flushes only the tail.
 */
export const SYNC_EVERY = 32 << 20;

/**
 * Writes a stream into an open file from `start` on, at explicit positions (the handle's own
 * offset is never used), in writes of WRITE_JOIN bytes (the rest when the stream ends), and
 * keeps the disk close behind: see SYNC_EVERY. It does not close the handle nor fsync at the
 * end: the caller does, once, for the whole append. A failed background sync fails the stream.
 *
 * One write may be in flight while the next WRITE_JOIN bytes gather: the producer (hashing a
 * push or a replica on the main thread) keeps going while the thread pool writes, instead of
 * waiting for every write. The stream is called back once the write before is done, so at most
 * two joins are held besides the stream's own buffer.
 */
export class FileAppender extends Writable {
  readonly #handle: FileHandle;
  readonly #start: number;
  #written = 0;
  #syncRequested = 0;
  #sync: Promise<void> | undefined;
  #syncError: Error | undefined;
  #write: Promise<void> | undefined;
  /** Pieces accepted but not written yet (fewer than WRITE_JOIN bytes). */
  #gathered: Buffer[] = [];
  #gatheredBytes = 0;

  constructor(handle: FileHandle, start: number) {
    super({ highWaterMark: WRITE_JOIN });
    this.#handle = handle;
    this.#start = start;
  }

  /** Bytes written so far (all of them, once the stream has finished). */
  get bytesWritten(): number {
    return this.#written;
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#gather([chunk], callback);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.#gather(chunks.map((c) => c.chunk), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    const rest = this.#take();
    const last = (this.#write ?? Promise.resolve()).then(() => (rest.length > 0 ? this.#writeAll(rest) : undefined));
    this.#write = last;
    last.then(() => this.#sync).then(() => callback(this.#syncError), callback);
  }

  /** Waits for the write and sync in flight, so that nobody truncates or closes the file under them. */
  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    Promise.allSettled([this.#write, this.#sync]).then(() => callback(err));
  }

  /**
   * Holds the pieces until WRITE_JOIN bytes are gathered, then writes them after the write in
   * flight; the stream waits for that one only (its failure fails the stream here, and a
   * failure of the new write reaches the next call, `_final` or `_destroy`).
   */
  #gather(buffers: Buffer[], callback: (error?: Error | null) => void): void {
    for (const buffer of buffers) {
      this.#gathered.push(buffer);
      this.#gatheredBytes += buffer.length;
    }
    if (this.#gatheredBytes < WRITE_JOIN) return callback(this.#syncError);
    const joined = this.#take();
    const before = this.#write ?? Promise.resolve();
    const write = before.then(() => this.#writeAll(joined));
    write.catch(() => undefined); // reported through the next call, as above
    this.#write = write;
    before.then(() => callback(this.#syncError), callback);
  }

  #take(): Buffer[] {
    const taken = this.#gathered;
    this.#gathered = [];
    this.#gatheredBytes = 0;
    return taken;
  }

  async #writeAll(buffers: Buffer[]): Promise<void> {
    let pending = buffers;
    while (pending.length > 0) {
      const { bytesWritten } = await this.#handle.writev(pending, this.#start + this.#written);
      if (bytesWritten === 0) throw new Error('the file accepted no bytes');
      this.#written += bytesWritten;
      pending = rest(pending, bytesWritten);
    }
    this.#maybeSync();
  }

  #maybeSync(): void {
    if (this.#sync || this.#written - this.#syncRequested < SYNC_EVERY) return;
    this.#syncRequested = this.#written;
    this.#sync = this.#handle.datasync().then(
      () => {
        this.#sync = undefined;
      },
      (err: Error) => {
        this.#sync = undefined;
        this.#syncError ??= err;
      },
    );
  }
}

/** What a short writev left of `buffers` after `written` bytes (regular files rarely do that). */
function rest(buffers: Buffer[], written: number): Buffer[] {
  let skip = written;
  let index = 0;
  while (index < buffers.length && skip >= (buffers[index] as Buffer).length) skip -= (buffers[index++] as Buffer).length;
  if (index === buffers.length) return [];
  return [(buffers[index] as Buffer).subarray(skip), ...buffers.slice(index + 1)];
}
