/**
 * Repository use cases of the management API: create, list, read, describe, change visibility,
 * delete. Authorization is decided before a transaction opens (the authorizer reads through
 * the autocommit stores); the change and its audit row then commit together.
 */
import type { Actor, Principal } from '../auth/principal.js';
import { Errors, WharfError } from '../errors/index.js';
import {
  type Id,
  NameTakenError,
  type NamespaceKind,
  type RepositoryDetail,
  type RepositoryRole,
  type TagHistoryRow,
  type Visibility,
} from '../metadata/store.js';
import { auditEntry } from './audit-entry.js';
import { type ManagementContext, repositoryChanged } from './context.js';
import { anonymousMaySee, auditWhere, checkRepositoryName, checkWritable, hasRole, openRepository } from './repository-access.js';

/** Quay's page size for repository listings. */
export const REPOSITORIES_PER_PAGE = 100;
/** Active tags returned with one repository (Quay returns up to 500; the tag endpoint pages through the rest). */
export const TAGS_WITH_REPOSITORY = 100;

export interface NewRepository {
  /** Defaults to the caller's own namespace (a user's name), as in Quay. */
  readonly namespace?: string;
  /** The name inside the namespace (`web` or `team/web`). */
  readonly repository: string;
  readonly visibility: Visibility;
  readonly description: string;
}

export interface RepositoryListRequest {
  readonly namespace?: string;
  readonly public: boolean;
  readonly starred: boolean;
  /** The `next_page` of the previous answer. */
  readonly after?: string;
}

export interface RepositoryListing {
  readonly repositories: RepositoryDetail[];
  /** Pass back as `after` for the next page; undefined on the last page. */
  readonly next: string | undefined;
}

export interface RepositoryView {
  readonly repository: RepositoryDetail;
  readonly namespaceKind: NamespaceKind;
  readonly role: RepositoryRole;
  /** False while the repository is not in its normal state, whatever the role. */
  readonly canWrite: boolean;
  readonly canAdmin: boolean;
  /** Active tags, newest first; undefined when not asked for. */
  readonly tags: TagHistoryRow[] | undefined;
}

export class RepositoryService {
  readonly #ctx: ManagementContext;

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  /** Creates an empty repository; a creator who is not admin of the namespace becomes admin of it (Quay). */
  async create(actor: Actor, input: NewRepository): Promise<RepositoryDetail> {
    const { principal } = actor;
    const namespaceName = input.namespace ?? (principal.kind === 'user' ? principal.name : undefined);
    if (namespaceName === undefined) throw new WharfError(Errors.INVALID_REQUEST, 'namespace is required');
    if (namespaceName.includes('/')) throw new WharfError(Errors.INVALID_REQUEST, `invalid namespace ${JSON.stringify(namespaceName)}`);
    const name = checkRepositoryName(`${namespaceName}/${input.repository}`);
    const stores = this.#ctx.metadata.stores;
    const namespace = await stores.accounts.findNamespace(namespaceName);
    if (!namespace) throw new WharfError(Errors.INVALID_REQUEST, `namespace ${namespaceName} does not exist`);
    if (!(await this.#ctx.authorizer.canCreateIn(principal, namespace.id))) {
      throw new WharfError(Errors.INSUFFICIENT_SCOPE, `you may not create repositories in ${namespaceName}`);
    }
    const creator = principal.kind !== 'anonymous' && (await this.#ctx.authorizer.namespaceRole(principal, namespace.id)) !== 'admin' ? principal : undefined;
    try {
      return await this.#ctx.metadata.transaction(async (tx) => {
        const created = await tx.repositoryAdmin.create({ namespaceId: namespace.id, name, visibility: input.visibility, description: input.description });
        if (creator) await tx.permissions.set(created.id, { kind: creator.kind, id: creator.id }, 'admin');
        await tx.audit.record(auditEntry(actor, 'create_repo', { namespace: namespaceName, repository: name }, { repo: created.shortName, namespace: namespaceName }));
        return created;
      });
    } catch (err) {
      if (err instanceof NameTakenError) throw new WharfError(Errors.INVALID_REQUEST, 'Repository already exists');
      throw err;
    }
  }

  /**
   * The repositories the caller may see, by name, one page at a time. As in Quay the caller
   * narrows the listing to a namespace, to public repositories, or to starred ones (Wharf has
   * no stars: that list is empty).
   */
  async list(principal: Principal, request: RepositoryListRequest): Promise<RepositoryListing> {
    if (request.namespace === undefined && !request.starred && !request.public) {
      throw new WharfError(Errors.INVALID_REQUEST, 'namespace, starred or public are required for this API call');
    }
    if (request.starred) {
      if (principal.kind === 'anonymous') throw new WharfError(Errors.INVALID_REQUEST, 'starred repositories need a signed-in user');
      return { repositories: [], next: undefined };
    }
    const rows = await this.#ctx.metadata.stores.repositoryAdmin.list({
      viewer: this.#ctx.authorizer.viewer(principal),
      namespace: request.namespace,
      last: request.after,
      n: REPOSITORIES_PER_PAGE + 1,
    });
    if (!(await anonymousMaySee(this.#ctx, principal, rows))) return { repositories: [], next: undefined };
    const page = rows.slice(0, REPOSITORIES_PER_PAGE);
    return { repositories: page, next: rows.length > REPOSITORIES_PER_PAGE ? page[page.length - 1]?.name : undefined };
  }

  async get(principal: Principal, name: string, options: { includeTags: boolean }): Promise<RepositoryView> {
    const { repository, role } = await openRepository(this.#ctx, principal, name, 'read');
    const stores = this.#ctx.metadata.stores;
    const namespace = await stores.accounts.findNamespaceById(repository.namespaceId);
    const tags = options.includeTags ? await stores.tagHistory.history(repository.id, { onlyActive: true, offset: 0, limit: TAGS_WITH_REPOSITORY }) : undefined;
    return {
      repository,
      namespaceKind: namespace?.kind ?? 'organization',
      role,
      canWrite: hasRole(role, 'write') && repository.state === 'normal',
      canAdmin: hasRole(role, 'admin'),
      tags,
    };
  }

  /** Quay lets writers change the description. */
  async setDescription(actor: Actor, name: string, description: string): Promise<void> {
    const { repository } = await openRepository(this.#ctx, actor.principal, name, 'write');
    checkWritable(repository);
    await this.#change(actor, repository, { description }, 'set_repo_description', { description });
  }

  async changeVisibility(actor: Actor, name: string, visibility: Visibility): Promise<void> {
    const { repository } = await openRepository(this.#ctx, actor.principal, name, 'admin');
    await this.#change(actor, repository, { visibility }, 'change_repo_visibility', { visibility });
    await repositoryChanged(this.#ctx, repository.name);
  }

  /** Deletes the repository with its tags, manifests and permissions; blobs are left to garbage collection. */
  async delete(actor: Actor, name: string): Promise<void> {
    const { repository } = await openRepository(this.#ctx, actor.principal, name, 'admin');
    await this.#ctx.metadata.transaction(async (tx) => {
      if (!(await tx.repositoryAdmin.delete(repository.id))) throw new WharfError(Errors.NOT_FOUND, `repository ${repository.name} not found`);
      await tx.audit.record(auditEntry(actor, 'delete_repo', auditWhere(repository), { repo: repository.shortName, namespace: repository.namespace }));
    });
    await repositoryChanged(this.#ctx, repository.name);
  }

  async #change(actor: Actor, repository: RepositoryDetail, patch: { visibility?: Visibility; description?: string }, kind: string, metadata: Record<string, unknown>): Promise<void> {
    await this.#ctx.metadata.transaction(async (tx) => {
      // A concurrent delete between the check and here leaves nothing to update.
      if (!(await tx.repositoryAdmin.update(repository.id, patch))) throw new WharfError(Errors.NOT_FOUND, `repository ${repository.name} not found`);
      await tx.audit.record(auditEntry(actor, kind, auditWhere(repository), { repo: repository.shortName, namespace: repository.namespace, ...metadata }));
    });
  }
}

/** Namespace kinds by id, looked up once per request (listings and search show them). */
export async function namespaceKinds(ctx: ManagementContext, ids: readonly Id[]): Promise<Map<Id, NamespaceKind>> {
  const kinds = new Map<Id, NamespaceKind>();
  for (const id of new Set(ids)) {
    const row = await ctx.metadata.stores.accounts.findNamespaceById(id);
    if (row) kinds.set(id, row.kind);
  }
  return kinds;
}
