import type { FileHandle } from 'node:fs/promises';
import { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Readable } from 'node:stream';

/** Bytes per read: the default 64 KiB costs one promise round trip per piece (profiled pulls). */
export const READ_CHUNK = 1 << 20;

type Sink = NodeJS.WritableStream & { destroyed?: boolean };

/**
 * The inclusive byte range [start, end] of an open file as a Readable; closes the file when it
 * ends or is destroyed.
 *
 * Read (for-await, 'data'), each chunk is a fresh buffer, as from fs.createReadStream. Piped into
 * an HTTP response or a socket, which are done with a chunk once its write callback has run, it
 * reads into two buffers it recycles instead: one is being sent while the next is read. A pull
 * then allocates nothing per chunk. Fresh 1 MiB buffers per read left ~32 MB of garbage buffers
 * behind in the resident memory of a pull, and the allocations and page faults halved its speed
 * (1.4 against 2.3 GB/s on loopback; nginx's sendfile did 2.4).
 */
export class FileRange extends Readable {
  readonly #handle: FileHandle;
  #position: number;
  readonly #end: number;
  #sending = false;

  constructor(handle: FileHandle, start: number, end: number) {
    super({ highWaterMark: READ_CHUNK });
    this.#handle = handle;
    this.#position = start;
    this.#end = end;
  }

  override _read(): void {
    const length = this.#nextLength();
    if (length === 0) return void this.push(null);
    this.#readInto(Buffer.allocUnsafeSlow(length)).then(
      (chunk) => this.push(chunk),
      (err: Error) => this.destroy(err),
    );
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.#handle.close().then(
      () => callback(err),
      (closeErr: Error) => callback(err ?? closeErr),
    );
  }

  override pipe<T extends NodeJS.WritableStream>(destination: T, options?: { end?: boolean }): T {
    // Recycling is safe only into sinks that copy a chunk (to the kernel) before calling back,
    // and only while nobody else reads this stream.
    const recyclable = destination instanceof ServerResponse || destination instanceof Socket;
    if (!recyclable || this.#sending || this.readableFlowing !== null || this.readableLength > 0) return super.pipe(destination, options);
    this.#sending = true;
    void this.#sendTo(destination, options?.end !== false);
    return destination;
  }

  async #sendTo(sink: Sink, end: boolean): Promise<void> {
    const buffers = [Buffer.allocUnsafeSlow(this.#nextLength()), Buffer.allocUnsafeSlow(this.#nextLength())];
    // Each settles with the write's error, or undefined: a failed write must not go unhandled
    // while the loop waits on the other buffer.
    const sent: Promise<Error | undefined>[] = [Promise.resolve(undefined), Promise.resolve(undefined)];
    const stopped = new Promise<'stopped'>((resolve) => {
      this.once('close', () => resolve('stopped'));
      sink.once('close', () => resolve('stopped'));
    });
    const settled = async (writes: Promise<Error | undefined>[]) => {
      const outcome = await Promise.race([Promise.all(writes), stopped]);
      if (outcome === 'stopped' || this.destroyed || sink.destroyed) return 'stopped';
      const failed = outcome.find((err) => err !== undefined);
      if (failed) throw failed;
      return 'free';
    };
    try {
      for (let i = 0; this.#nextLength() > 0; i ^= 1) {
        // Buffer i is free again once its previous write has called back.
        if ((await settled([sent[i] as Promise<Error | undefined>])) === 'stopped') return void this.destroy();
        const chunk = await this.#readInto(buffers[i] as Buffer);
        sent[i] = new Promise((resolve) => sink.write(chunk, (err?: Error | null) => resolve(err ?? undefined)));
      }
      if ((await settled(sent)) === 'stopped') return void this.destroy();
      if (end) sink.end();
      // Ends this stream the ordinary way: 'end', then 'close' (which closes the file).
      this.push(null);
      this.resume();
    } catch (err) {
      // A sink that went away (the client hung up) is no error of this stream.
      this.destroy(sink.destroyed ? undefined : (err as Error));
    }
  }

  /** The length of the next piece: up to READ_CHUNK, 0 at the end. */
  #nextLength(): number {
    return Math.max(0, Math.min(READ_CHUNK, this.#end - this.#position + 1));
  }

  /** Reads the next piece into `buffer`; a file that ends before `end` is an error, not a short body. */
  async #readInto(buffer: Buffer): Promise<Buffer> {
    const { bytesRead } = await this.#handle.read(buffer, 0, Math.min(buffer.length, this.#nextLength()), this.#position);
    if (bytesRead === 0) throw new Error(`file ended at byte ${this.#position}, before ${this.#end + 1}`);
    this.#position += bytesRead;
    return bytesRead === buffer.length ? buffer : buffer.subarray(0, bytesRead);
  }
}
