import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import type { S3Bucket } from './bucket.js';
import { isNotImplemented, s3Error } from './client.js';
import { MIN_PART } from './config.js';

/** An object to copy from, in this bucket or another one reachable with the same client. */
export interface CopySource {
  readonly bucket: string;
  /** The object key in that bucket (its `storage_path` included). */
  readonly objectKey: string;
  readonly size: number;
}

/** UploadPartCopy requests in flight at once. */
const PARALLEL_PARTS = 4;
const MAX_PARTS = 10_000;

/**
 * Makes the concatenation of `sources` the object at `key`, server-side: one CopyObject for a
 * single source up to the driver's maximum part size, otherwise a multipart upload assembled
 * with UploadPartCopy (each source split into parts of at most that size). The object appears
 * whole when the copy or the multipart upload completes.
 *
 * Returns false, having written nothing, when it cannot be done on the server: a non-final
 * source smaller than the minimum part size, server-side assembly turned off
 * (`server_side_assembly: false`, GCS), or a server without UploadPartCopy (s3rver).
 */
export async function copyServerSide(target: S3Bucket, key: string, sources: readonly CopySource[]): Promise<boolean> {
  const { config, client } = target;
  const Key = target.objectKey(key);
  const nonEmpty = sources.filter((s) => s.size > 0);
  const only = nonEmpty.length <= 1 ? nonEmpty[0] ?? sources[0] : undefined;
  if (only !== undefined && only.size <= config.maxPartSize) {
    try {
      await client.send(new CopyObjectCommand({ Bucket: config.bucket, Key, CopySource: copySource(only) }));
      return true;
    } catch (err) {
      if (isNotImplemented(err)) return false;
      throw s3Error(config, err, key, 'copy');
    }
  }
  const parts = config.serverSideAssembly ? planParts(nonEmpty, config.minPartSize, config.maxPartSize) : undefined;
  if (parts === undefined || parts.length === 0) return false;

  const created = await target.call('copy', key, () => client.send(new CreateMultipartUploadCommand({ Bucket: config.bucket, Key })));
  const UploadId = created.UploadId as string;
  try {
    const etags = await mapLimit(parts, PARALLEL_PARTS, async (part, i) => {
      const out = await client.send(new UploadPartCopyCommand({
        Bucket: config.bucket, Key, UploadId, PartNumber: i + 1,
        CopySource: copySource(part.source), CopySourceRange: `bytes=${part.start}-${part.end}`,
      }));
      return out.CopyPartResult?.ETag as string;
    });
    const Parts = etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 }));
    await client.send(new CompleteMultipartUploadCommand({ Bucket: config.bucket, Key, UploadId, MultipartUpload: { Parts } }));
    return true;
  } catch (err) {
    // Best effort: s3rver, for one, has no AbortMultipartUpload; S3 lifecycle rules reap the rest.
    await client.send(new AbortMultipartUploadCommand({ Bucket: config.bucket, Key, UploadId })).catch(() => undefined);
    if (isNotImplemented(err)) return false;
    throw s3Error(config, err, key, 'copy');
  }
}

interface PartPlan {
  readonly source: CopySource;
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
}

/**
 * The parts of a server-side assembly: each source cut into equal parts of at most `maxPart`
 * bytes. Undefined when S3 would refuse it: a non-final source under `minChunk`, a non-final
 * part under 5 MiB, or more than 10,000 parts.
 */
export function planParts(sources: readonly CopySource[], minChunk: number, maxPart: number): PartPlan[] | undefined {
  const parts: PartPlan[] = [];
  for (const [i, source] of sources.entries()) {
    if (i < sources.length - 1 && source.size < minChunk) return undefined;
    const count = Math.ceil(source.size / maxPart);
    const size = Math.ceil(source.size / count);
    for (let start = 0; start < source.size; start += size) {
      parts.push({ source, start, end: Math.min(start + size, source.size) - 1 });
    }
  }
  const small = parts.slice(0, -1).some((p) => p.end - p.start + 1 < MIN_PART);
  return small || parts.length > MAX_PARTS ? undefined : parts;
}

/** `bucket/key` with each key segment URL-encoded, as the x-amz-copy-source header wants it. */
function copySource(source: CopySource): string {
  return `${source.bucket}/${source.objectKey.split('/').map(encodeURIComponent).join('/')}`;
}

/** `fn` over `items` with at most `limit` calls in flight; stops starting new ones after a failure. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await fn(items[index] as T, index);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
