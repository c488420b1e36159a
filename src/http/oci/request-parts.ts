import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { Errors, WharfError } from '../../errors/index.js';
import type { Chunk } from '../../registry/index.js';
import { parseContentLength, parseContentRange } from '../ranges.js';

/** A query parameter as one string (the first, if repeated). */
export function queryParam(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `n` of a paginated listing: a non-negative integer. */
export function pageSize(request: FastifyRequest): number | undefined {
  const n = queryParam(request, 'n');
  if (n === undefined || n === '') return undefined;
  if (!/^\d{1,9}$/.test(n)) throw new WharfError({ ...Errors.UNSUPPORTED, status: 400 }, `n must be a non-negative integer, got ${JSON.stringify(n.slice(0, 20))}`);
  return Number(n);
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** The upload chunk a PATCH, PUT or POST carries (body stream plus its length headers). */
export function chunkOf(request: FastifyRequest): Chunk {
  const body = hasBody(request) ? (request.body as Readable & { complete?: boolean }) : undefined;
  return {
    body,
    contentLength: parseContentLength(request.headers['content-length']),
    contentRange: parseContentRange(request.headers['content-range']),
  };
}

/** Reads a small body (a manifest) fully, refusing more than `limit` bytes. */
export async function readBounded(request: FastifyRequest, limit: number): Promise<Buffer> {
  const declared = parseContentLength(request.headers['content-length']);
  if (declared !== undefined && declared > limit) throw new WharfError(Errors.MANIFEST_TOO_LARGE, { limit, size: declared });
  if (!hasBody(request)) return Buffer.alloc(0);
  const parts: Buffer[] = [];
  let total = 0;
  for await (const part of request.body as Readable) {
    total += (part as Buffer).length;
    if (total > limit) throw new WharfError(Errors.MANIFEST_TOO_LARGE, { limit });
    parts.push(part as Buffer);
  }
  return Buffer.concat(parts, total);
}
