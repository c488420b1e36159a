import type { Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { Errors, WharfError } from '../errors/index.js';
import { buffersReleased } from './buffer-churn.js';

/**
 * A pass-through that feeds every byte to `hash` and counts them. When `expectedLength` is
 * known it fails the stream as soon as more arrive, and at the end when fewer did, so the
 * storage driver's all-or-nothing append discards the chunk (SIZE_INVALID changes nothing).
 */
export class MeasureStream extends Transform {
  #count = 0;
  readonly #hash: Hash | undefined;
  readonly #expected: number | undefined;

  constructor(hash: Hash | undefined, expectedLength: number | undefined) {
    super();
    this.#hash = hash;
    this.#expected = expectedLength;
  }

  get count(): number {
    return this.#count;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#count += chunk.length;
    if (this.#expected !== undefined && this.#count > this.#expected) {
      callback(new WharfError(Errors.SIZE_INVALID, `received more than the declared ${this.#expected} bytes`));
      return;
    }
    this.#hash?.update(chunk);
    // The piece is passed on as is (storage drivers join pieces themselves, without a copy);
    // it dies once stored, and so many dead pieces must not pile up in memory.
    buffersReleased(chunk.length);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#expected !== undefined && this.#count !== this.#expected) {
      callback(new WharfError(Errors.SIZE_INVALID, `received ${this.#count} bytes, declared ${this.#expected}`));
      return;
    }
    callback();
  }
}

/**
 * Feeds `source` (usually an HTTP request body) into `measure` without ever destroying the
 * source: when `measure` fails (e.g. too many bytes) the request must stay writable so the
 * error response can still be sent, and the server discards the unread rest of the body.
 */
export function feed(source: NodeJS.ReadableStream & { complete?: boolean }, measure: MeasureStream): MeasureStream {
  source.pipe(measure);
  const abort = (err?: Error) => {
    if (!measure.writableFinished) measure.destroy(err ?? new Error('request body ended prematurely'));
  };
  source.once('error', abort);
  source.once('close', () => {
    if (source.complete === false) abort();
  });
  measure.once('error', () => source.unpipe(measure));
  return measure;
}
