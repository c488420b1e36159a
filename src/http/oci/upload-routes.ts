import type { FastifyReply, FastifyRequest } from 'fastify';
import { rangeHeader } from '../../registry/index.js';
import { admissionOf } from '../auth/registry-access.js';
import type { OciDeps } from './deps.js';
import { chunkOf, queryParam } from './request-parts.js';

/** Replies 201 with the pullable blob URL. */
function created(deps: OciDeps, request: FastifyRequest, reply: FastifyReply, name: string, digest: string): void {
  reply.code(201).header('Location', deps.urls.blob(request, name, digest)).header('Docker-Content-Digest', digest).header('Content-Length', 0).send();
}

/** Replies with a session's state: Location, Range and Docker-Upload-UUID. */
function session(deps: OciDeps, request: FastifyRequest, reply: FastifyReply, status: number, name: string, uploadId: string, offset: number): void {
  reply
    .code(status)
    .header('Location', deps.urls.upload(request, name, uploadId))
    .header('Range', rangeHeader(offset))
    .header('Docker-Upload-UUID', uploadId)
    .header('Content-Length', 0)
    .send();
}

/**
 * `POST /v2/<name>/blobs/uploads/`: a session, a monolithic upload (`?digest=`) or a mount. A
 * mount happens only when the caller may pull `from`; otherwise it is ignored and a session
 * starts (the spec lets a registry decline a mount), so a mount never reveals a blob.
 */
export async function postUpload(deps: OciDeps, request: FastifyRequest, reply: FastifyReply, name: string): Promise<void> {
  const admission = admissionOf(request);
  const mount = queryParam(request, 'mount');
  const from = queryParam(request, 'from');
  if (mount !== undefined && (from === undefined || from === '' || (await admission.mayPull(from)))) {
    const blob = await deps.uploads.mount(name, mount, from, admission.actor);
    if (blob) return created(deps, request, reply, name, blob.digest);
  }
  const digest = queryParam(request, 'digest');
  if (digest !== undefined) {
    const blob = await deps.uploads.monolithic(name, digest, chunkOf(request), admission.actor);
    return created(deps, request, reply, name, blob.digest);
  }
  const started = await deps.uploads.start(name, admission.actor);
  session(deps, request, reply, 202, name, started.uploadId, started.offset);
}

export async function patchUpload(deps: OciDeps, request: FastifyRequest, reply: FastifyReply, name: string, uploadId: string): Promise<void> {
  const status = await deps.uploads.append(name, uploadId, chunkOf(request));
  session(deps, request, reply, 202, name, uploadId, status.offset);
}

export async function putUpload(deps: OciDeps, request: FastifyRequest, reply: FastifyReply, name: string, uploadId: string): Promise<void> {
  const blob = await deps.uploads.complete(name, uploadId, queryParam(request, 'digest'), chunkOf(request));
  created(deps, request, reply, name, blob.digest);
}

export async function getUpload(deps: OciDeps, request: FastifyRequest, reply: FastifyReply, name: string, uploadId: string): Promise<void> {
  const status = await deps.uploads.status(name, uploadId);
  session(deps, request, reply, 204, name, uploadId, status.offset);
}

export async function deleteUpload(deps: OciDeps, _request: FastifyRequest, reply: FastifyReply, name: string, uploadId: string): Promise<void> {
  await deps.uploads.cancel(name, uploadId);
  reply.code(204).send();
}
