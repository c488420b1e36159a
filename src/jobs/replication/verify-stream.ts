/**
 * A pass-through that hashes and counts the bytes of a replica on their way to the destination,
 * so a copy is verified without reading it twice. It fails the stream as soon as more bytes
 * arrive than the blob has, so a wrong source cannot fill the destination with garbage.
 */
import type { Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { newHash, type Digest } from '../../domain/index.js';

/** The bytes are not the blob's: wrong size or wrong digest. The source's copy is bad. */
export class MismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MismatchError';
  }
}

export class VerifyStream extends Transform {
  readonly #hash: Hash;
  readonly #digest: Digest;
  readonly #size: number;
  #count = 0;
  /** Why the bytes are not the blob's, once known (whoever the stream's error reached first). */
  mismatch: MismatchError | undefined;

  constructor(digest: Digest, size: number) {
    super();
    this.#hash = newHash(digest.algorithm);
    this.#digest = digest;
    this.#size = size;
  }

  get count(): number {
    return this.#count;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#count += chunk.length;
    if (this.#count > this.#size) {
      callback((this.mismatch = new MismatchError(`more than the blob's ${this.#size} bytes`)));
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  /** After the last byte: throws unless the bytes were exactly the blob's size and digest. */
  check(): void {
    if (this.#count !== this.#size) throw (this.mismatch = new MismatchError(`${this.#count} bytes, the blob has ${this.#size}`));
    const actual = `${this.#digest.algorithm}:${this.#hash.digest('hex')}`;
    if (actual !== this.#digest.value) throw (this.mismatch = new MismatchError(`the bytes hash to ${actual}, not ${this.#digest.value}`));
  }
}
