/**
 * The access rules, as one contract used by the registry's HTTP layer (which actions a token
 * grants), the token endpoint and the management use cases. Implementation:
 * store-authorizer.ts (rules over PermissionStore and friends).
 *
 * The rules (Quay's):
 * - a superuser may do everything;
 * - a user is `admin` of the repositories in their own namespace;
 * - in an organization, `admin` teams are admin of every repository, `creator` teams may create
 *   repositories (and become admin of the ones they create), `member` teams get nothing implicit;
 * - repository permissions (read < write < admin) go to users, robots and teams;
 * - a public repository can be pulled by every authenticated principal, and anonymously when
 *   FEATURE_ANONYMOUS_ACCESS is on;
 * - actions: read → pull; write → pull, push, delete; admin → pull, push, delete, `*`;
 * - push to a repository that does not exist means "create it": granted (with pull) when the
 *   namespace exists and the principal may create repositories there.
 */
import type { Id, RepositoryRole, TeamRole, Viewer, Visibility } from '../metadata/store.js';
import type { Principal, RepositoryAction } from './principal.js';

export interface RepositoryFacts {
  readonly id: Id;
  readonly namespaceId: Id;
  readonly visibility: Visibility;
}

export interface Authorizer {
  /** Of `requested`, the actions the principal may perform on the repository named `name` (which may not exist). */
  repositoryActions(principal: Principal, name: string, requested: readonly RepositoryAction[]): Promise<RepositoryAction[]>;
  /** The principal's role on an existing repository (public repositories give `read`). */
  repositoryRole(principal: Principal, repository: RepositoryFacts): Promise<RepositoryRole | undefined>;
  /** The principal's standing in a namespace: superusers and a user in their own namespace are `admin`. */
  namespaceRole(principal: Principal, namespaceId: Id): Promise<TeamRole | undefined>;
  /** Whether the principal may create repositories in the namespace (`admin` or `creator`). */
  canCreateIn(principal: Principal, namespaceId: Id): Promise<boolean>;
  /** What the principal may see in listings (catalog, repository list, search). */
  viewer(principal: Principal): Viewer;
}
