import type { FastifyReply, FastifyRequest } from 'fastify';
import { bareMediaType, MAX_MANIFEST_BYTES } from '../../domain/index.js';
import { admissionOf } from '../auth/registry-access.js';
import type { OciDeps } from './deps.js';
import { readBounded } from './request-parts.js';

/** `GET`/`HEAD /v2/<name>/manifests/<reference>`: the exact bytes pushed, with their type. */
export async function getManifest(deps: OciDeps, request: FastifyRequest, reply: FastifyReply, name: string, reference: string): Promise<void> {
  const manifest = await deps.manifests.get(name, reference);
  reply
    .code(200)
    .header('Content-Type', manifest.mediaType)
    .header('Content-Length', manifest.size)
    .header('Docker-Content-Digest', manifest.digest)
    .header('ETag', `"${manifest.digest}"`);
  if (request.method === 'HEAD') return reply.send();
  return reply.send(manifest.payload);
}

export async function putManifest(deps: OciDeps, request: FastifyRequest, reply: FastifyReply, name: string, reference: string): Promise<void> {
  const payload = await readBounded(request, MAX_MANIFEST_BYTES);
  const pushed = await deps.manifests.put(name, reference, payload, bareMediaType(request.headers['content-type']), admissionOf(request).actor);
  reply.code(201).header('Location', deps.urls.manifest(request, name, pushed.digest)).header('Docker-Content-Digest', pushed.digest).header('Content-Length', 0);
  if (pushed.subject) reply.header('OCI-Subject', pushed.subject);
  reply.send();
}

export async function deleteManifest(deps: OciDeps, request: FastifyRequest, reply: FastifyReply, name: string, reference: string): Promise<void> {
  await deps.manifests.delete(name, reference, admissionOf(request).actor);
  reply.code(202).header('Content-Length', 0).send();
}
