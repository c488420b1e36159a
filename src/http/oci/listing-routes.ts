import type { FastifyReply, FastifyRequest } from 'fastify';
import { MediaTypes } from '../../domain/index.js';
import { admissionOf } from '../auth/registry-access.js';
import type { OciDeps } from './deps.js';
import { pageSize, queryParam } from './request-parts.js';

/** `GET /v2/<name>/tags/list?n=&last=`. */
export async function listTags(deps: OciDeps, request: FastifyRequest, reply: FastifyReply, name: string): Promise<void> {
  const n = pageSize(request);
  const page = await deps.listings.tags(name, { n, last: queryParam(request, 'last') });
  if (page.next !== undefined) reply.header('Link', deps.urls.nextPage(request, `/v2/${name}/tags/list`, n, page.next));
  reply.code(200).send({ name, tags: page.names });
}

/** `GET /v2/_catalog?n=&last=`: the repositories the caller may see. */
export async function listCatalog(deps: OciDeps, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const n = pageSize(request);
  const page = await deps.listings.catalog({ n, last: queryParam(request, 'last') }, admissionOf(request).viewer);
  if (page.next !== undefined) reply.header('Link', deps.urls.nextPage(request, '/v2/_catalog', n, page.next));
  reply.code(200).send({ repositories: page.names });
}

/** `GET /v2/<name>/referrers/<digest>?artifactType=`. */
export async function listReferrers(deps: OciDeps, request: FastifyRequest, reply: FastifyReply, name: string, digest: string): Promise<void> {
  const artifactType = queryParam(request, 'artifactType');
  const index = await deps.listings.referrers(name, digest, artifactType || undefined);
  if (artifactType) reply.header('OCI-Filters-Applied', 'artifactType');
  reply.code(200).type(MediaTypes.ociIndex).send(Buffer.from(JSON.stringify(index)));
}
