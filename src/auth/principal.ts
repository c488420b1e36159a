/**
 * Who is making a request, once credentials are checked, and what the registry's token
 * protocol can grant. Shared by the authenticator, the authorizer, the management use cases
 * and the HTTP layer.
 */
import type { Id } from '../metadata/store.js';

export type Principal =
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'user'; readonly id: Id; readonly name: string; readonly superuser: boolean }
  /** A robot account: `name` is `namespace+short`; it acts only through its grants. */
  | { readonly kind: 'robot'; readonly id: Id; readonly name: string; readonly namespaceId: Id };

export const ANONYMOUS: Principal = Object.freeze({ kind: 'anonymous' });

/** Docker token scope actions on a repository (`*` is Distribution's "everything"). */
export type RepositoryAction = 'pull' | 'push' | 'delete' | '*';
export const REPOSITORY_ACTIONS: readonly RepositoryAction[] = ['pull', 'push', 'delete', '*'];

/** One `type:name:actions` entry, as requested in `scope=` and granted in a token's `access` claim. */
export interface ResourceAccess {
  readonly type: string;
  readonly name: string;
  readonly actions: readonly string[];
}

/** Who did something, for the audit log. */
export interface Actor {
  readonly principal: Principal;
  /** The client address (after trusted proxies), when known. */
  readonly ip: string | undefined;
}
