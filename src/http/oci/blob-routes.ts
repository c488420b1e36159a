import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseRangeHeader } from '../ranges.js';
import { admissionOf } from '../auth/registry-access.js';
import type { OciDeps } from './deps.js';

/** `HEAD`/`GET`/`DELETE /v2/<name>/blobs/<digest>`. */
export async function headBlob(deps: OciDeps, request: FastifyRequest, reply: FastifyReply, name: string, digest: string): Promise<void> {
  const blob = await deps.blobs.stat(name, digest);
  reply
    .code(200)
    .header('Content-Length', blob.size)
    .header('Content-Type', 'application/octet-stream')
    .header('Docker-Content-Digest', blob.digest)
    .header('Accept-Ranges', 'bytes')
    .header('ETag', `"${blob.digest}"`)
    .send();
}

export async function getBlob(deps: OciDeps, request: FastifyRequest, reply: FastifyReply, name: string, digest: string): Promise<void> {
  const blob = await deps.blobs.stat(name, digest);
  const range = parseRangeHeader(request.headers.range, blob.size);
  const source = await deps.blobs.source(blob, { range, redirect: deps.redirectBlobs });
  reply
    .header('Docker-Content-Digest', blob.digest)
    // Lets tests and operators see which region's storage served the pull.
    .header('X-Wharf-Storage-Location', source.location);
  if (source.kind === 'redirect') return reply.code(307).header('Location', source.url).header('Content-Length', 0).send();
  reply.header('Content-Type', 'application/octet-stream').header('Accept-Ranges', 'bytes').header('ETag', `"${blob.digest}"`);
  if (range) {
    reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${blob.size}`).header('Content-Length', range.end - range.start + 1);
  } else {
    reply.code(200).header('Content-Length', blob.size);
  }
  return reply.send(source.stream);
}

export async function deleteBlob(deps: OciDeps, request: FastifyRequest, reply: FastifyReply, name: string, digest: string): Promise<void> {
  await deps.blobs.delete(name, digest, admissionOf(request).actor);
  reply.code(202).header('Content-Length', 0).send();
}
