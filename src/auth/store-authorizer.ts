/**
 * The access rules of authorizer.ts over the metadata stores. Decisions, where the contract is
 * silent:
 * - a superuser gets every requested action, even on a repository that does not exist yet (a
 *   pull then answers NAME_UNKNOWN rather than DENIED; a push creates it when its namespace
 *   exists; the registry never creates a namespace in Database mode, so a push into a missing
 *   one is DENIED even for a superuser);
 * - for everyone else a missing repository grants nothing unless push is requested and the
 *   namespace exists and the principal may create repositories in it: then the requested actions
 *   are granted, since the creator becomes its admin;
 * - `viewer()` of an anonymous principal is `public` whether or not anonymous access is on;
 *   callers refuse anonymous listings when FEATURE_ANONYMOUS_ACCESS is off.
 */
import { parseRepositoryName, type RepositoryName } from '../domain/index.js';
import { isWharfError } from '../errors/index.js';
import type { AccountRef, Id, MetadataStore, RepositoryRole, TeamRole, Viewer } from '../metadata/store.js';
import type { Authorizer, RepositoryFacts } from './authorizer.js';
import type { Principal, RepositoryAction } from './principal.js';

/** What each repository role allows, as Docker token actions. */
const ROLE_ACTIONS: Readonly<Record<RepositoryRole, readonly RepositoryAction[]>> = {
  read: ['pull'],
  write: ['pull', 'push', 'delete'],
  admin: ['pull', 'push', 'delete', '*'],
};

export class StoreAuthorizer implements Authorizer {
  readonly #metadata: MetadataStore;
  readonly #anonymousAccess: boolean;

  constructor(deps: { metadata: MetadataStore; anonymousAccess: boolean }) {
    this.#metadata = deps.metadata;
    this.#anonymousAccess = deps.anonymousAccess;
  }

  async repositoryActions(principal: Principal, name: string, requested: readonly RepositoryAction[]): Promise<RepositoryAction[]> {
    const wanted = [...new Set(requested)];
    const parsed = repositoryNameOrUndefined(name);
    if (!parsed || wanted.length === 0) return [];
    if (isSuperuser(principal)) return wanted;
    const stores = this.#metadata.stores;
    const repository = await stores.repositoryAdmin.findDetail(parsed.value);
    if (repository) {
      const role = await this.repositoryRole(principal, repository);
      return role ? wanted.filter((action) => ROLE_ACTIONS[role].includes(action)) : [];
    }
    if (!wanted.includes('push')) return [];
    const namespace = await stores.accounts.findNamespace(parsed.namespace);
    return namespace && (await this.canCreateIn(principal, namespace.id)) ? wanted : [];
  }

  async repositoryRole(principal: Principal, repository: RepositoryFacts): Promise<RepositoryRole | undefined> {
    if (isSuperuser(principal)) return 'admin';
    const isPublic = repository.visibility === 'public';
    const account = accountOf(principal);
    if (!account) return isPublic && this.#anonymousAccess ? 'read' : undefined;
    const role = await this.#metadata.stores.permissions.effectiveRole(account, repository.id);
    return role ?? (isPublic ? 'read' : undefined);
  }

  async namespaceRole(principal: Principal, namespaceId: Id): Promise<TeamRole | undefined> {
    if (isSuperuser(principal)) return 'admin';
    const account = accountOf(principal);
    return account ? this.#metadata.stores.permissions.namespaceRole(account, namespaceId) : undefined;
  }

  async canCreateIn(principal: Principal, namespaceId: Id): Promise<boolean> {
    const role = await this.namespaceRole(principal, namespaceId);
    return role === 'admin' || role === 'creator';
  }

  viewer(principal: Principal): Viewer {
    if (isSuperuser(principal)) return { kind: 'everything' };
    const account = accountOf(principal);
    return account ? { kind: 'account', account } : { kind: 'public' };
  }
}

function isSuperuser(principal: Principal): boolean {
  return principal.kind === 'user' && principal.superuser;
}

function accountOf(principal: Principal): AccountRef | undefined {
  return principal.kind === 'anonymous' ? undefined : { kind: principal.kind, id: principal.id };
}

function repositoryNameOrUndefined(name: string): RepositoryName | undefined {
  try {
    return parseRepositoryName(name);
  } catch (err) {
    if (isWharfError(err)) return undefined;
    throw err;
  }
}
