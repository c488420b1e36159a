import { Errors, WharfError } from '../errors/index.js';

/** An inclusive byte range of a known-size object. */
export interface ResolvedRange {
  readonly start: number;
  readonly end: number;
}

/**
 * Parses a `Range: bytes=...` request header (RFC 9110) against an object of `size` bytes.
 * Returns undefined when the header is absent or not a single byte range (serve the whole
 * object, as RFC 9110 allows); throws a 416 when the range cannot be satisfied.
 */
export function parseRangeHeader(header: string | undefined, size: number): ResolvedRange | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const unsatisfiable = () =>
    new WharfError(Errors.BLOB_RANGE_INVALID, { range: header }, { 'Content-Range': `bytes */${size}` });
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(size - suffix, 0), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || end < start) throw unsatisfiable();
  return { start, end };
}

/** Parses an upload chunk's `Content-Range: <start>-<end>` (also tolerating a `bytes ` prefix). */
export function parseContentRange(header: string | undefined): { start: number; end: number } | undefined {
  if (header === undefined) return undefined;
  const match = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!match) throw new WharfError(Errors.BLOB_UPLOAD_INVALID, `malformed Content-Range ${JSON.stringify(header.slice(0, 100))}`);
  return { start: Number(match[1]), end: Number(match[2]) };
}

/** Parses a Content-Length header; undefined when absent. */
export function parseContentLength(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  if (!/^\d+$/.test(header)) throw new WharfError(Errors.SIZE_INVALID, `malformed Content-Length ${JSON.stringify(header.slice(0, 50))}`);
  return Number(header);
}
