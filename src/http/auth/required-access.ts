/**
 * What each `/v2/` request needs, from its resource (paths.ts) and method: the Docker scope a
 * token must carry, which is also the scope the 401 challenge asks the client to fetch.
 */
import type { RepositoryAction, ResourceAccess } from '../../auth/principal.js';
import { parseRepositoryName } from '../../domain/index.js';
import type { OciRoute } from '../oci/paths.js';

export type AccessNeed =
  /** `GET /v2/`: any valid credentials (an anonymous token too); none at all is a 401, which `docker login` relies on. */
  | { readonly kind: 'login' }
  /** `GET /v2/_catalog`: `registry:catalog:*`; the listing is then filtered to what the caller may see. */
  | { readonly kind: 'catalog'; readonly scope: ResourceAccess }
  | {
      readonly kind: 'repository';
      readonly name: string;
      /** Every one of these must be allowed. */
      readonly actions: readonly RepositoryAction[];
      /** What the challenge asks for (a push asks for pull too, as Docker clients do). */
      readonly scope: ResourceAccess;
    };

export const CATALOG_SCOPE: ResourceAccess = Object.freeze({ type: 'registry', name: 'catalog', actions: Object.freeze(['*']) });

const pull = (name: string): AccessNeed => ({ kind: 'repository', name, actions: ['pull'], scope: { type: 'repository', name, actions: ['pull'] } });
const push = (name: string): AccessNeed => ({ kind: 'repository', name, actions: ['push'], scope: { type: 'repository', name, actions: ['pull', 'push'] } });
const remove = (name: string): AccessNeed => ({ kind: 'repository', name, actions: ['delete'], scope: { type: 'repository', name, actions: ['delete'] } });

/** Undefined for requests no handler serves (unknown paths, unsupported methods): they fail on their own. */
export function requiredAccess(route: OciRoute, method: string): AccessNeed | undefined {
  const read = method === 'GET' || method === 'HEAD';
  switch (route.kind) {
    case 'base':
      return read ? { kind: 'login' } : undefined;
    case 'catalog':
      return read ? { kind: 'catalog', scope: CATALOG_SCOPE } : undefined;
    case 'blob':
    case 'manifest':
      if (read) return pull(route.name);
      if (method === 'DELETE') return remove(route.name);
      return route.kind === 'manifest' && method === 'PUT' ? push(route.name) : undefined;
    case 'tags':
    case 'referrers':
      return read ? pull(route.name) : undefined;
    case 'uploads':
      return method === 'POST' ? push(route.name) : undefined;
    case 'upload':
      return ['PATCH', 'PUT', 'GET', 'DELETE'].includes(method) ? push(route.name) : undefined;
    case 'unknown':
      return undefined;
  }
}

/** Whether `name` follows the repository grammar (a scope or `from=` naming anything else grants nothing). */
export function isRepositoryName(name: string): boolean {
  try {
    parseRepositoryName(name);
    return true;
  } catch {
    return false;
  }
}
