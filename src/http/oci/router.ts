import type { FastifyReply, FastifyRequest } from 'fastify';
import { Errors, WharfError } from '../../errors/index.js';
import { rememberAdmission } from '../auth/registry-access.js';
import { requiredAccess } from '../auth/required-access.js';
import { deleteBlob, getBlob, headBlob } from './blob-routes.js';
import type { OciDeps } from './deps.js';
import { listCatalog, listReferrers, listTags } from './listing-routes.js';
import { deleteManifest, getManifest, putManifest } from './manifest-routes.js';
import { matchOciPath, rawPathOf } from './paths.js';
import { deleteUpload, getUpload, patchUpload, postUpload, putUpload } from './upload-routes.js';

type Handler = (deps: OciDeps, request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/**
 * Dispatches every `/v2/...` request: the path decides the resource (paths.ts), the method
 * the action. A known resource with an unsupported method is `405 UNSUPPORTED`. The caller is
 * admitted (auth/registry-access.ts) before any handler runs; handlers read who it is with
 * admissionOf().
 */
export function ociHandler(deps: OciDeps): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const route = matchOciPath(rawPathOf(request.url));
    const method = request.method === 'HEAD' && route.kind !== 'blob' ? 'GET' : request.method;
    let handler: Handler | undefined;
    switch (route.kind) {
      case 'base':
        handler = method === 'GET' ? async (_d, _q, r) => void r.code(200).send({}) : undefined;
        break;
      case 'catalog':
        handler = method === 'GET' ? (d, q, r) => listCatalog(d, q, r) : undefined;
        break;
      case 'blob': {
        const by: Record<string, Handler> = {
          HEAD: (d, q, r) => headBlob(d, q, r, route.name, route.digest),
          GET: (d, q, r) => getBlob(d, q, r, route.name, route.digest),
          DELETE: (d, q, r) => deleteBlob(d, q, r, route.name, route.digest),
        };
        handler = by[method];
        break;
      }
      case 'uploads':
        handler = method === 'POST' ? (d, q, r) => postUpload(d, q, r, route.name) : undefined;
        break;
      case 'upload': {
        const by: Record<string, Handler> = {
          PATCH: (d, q, r) => patchUpload(d, q, r, route.name, route.uploadId),
          PUT: (d, q, r) => putUpload(d, q, r, route.name, route.uploadId),
          GET: (d, q, r) => getUpload(d, q, r, route.name, route.uploadId),
          DELETE: (d, q, r) => deleteUpload(d, q, r, route.name, route.uploadId),
        };
        handler = by[method];
        break;
      }
      case 'manifest': {
        const by: Record<string, Handler> = {
          GET: (d, q, r) => getManifest(d, q, r, route.name, route.reference),
          PUT: (d, q, r) => putManifest(d, q, r, route.name, route.reference),
          DELETE: (d, q, r) => deleteManifest(d, q, r, route.name, route.reference),
        };
        handler = by[method];
        break;
      }
      case 'tags':
        handler = method === 'GET' ? (d, q, r) => listTags(d, q, r, route.name) : undefined;
        break;
      case 'referrers':
        handler = method === 'GET' ? (d, q, r) => listReferrers(d, q, r, route.name, route.digest) : undefined;
        break;
      case 'unknown':
        throw new WharfError(Errors.NOT_FOUND, { path: rawPathOf(request.url).slice(0, 300) });
    }
    if (!handler) throw new WharfError(Errors.UNSUPPORTED, { method: request.method });
    const need = requiredAccess(route, method);
    if (!need) throw new Error(`no access rule for ${request.method} on ${route.kind}`);
    rememberAdmission(request, await deps.access.admit(request, need));
    await handler(deps, request, reply);
  };
}
