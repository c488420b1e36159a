/**
 * The access-control part of the metadata contract (same conventions as store.ts): accounts
 * (users and organizations are namespaces, Quay's model), robots, teams, repository
 * permissions, API tokens, the audit log and the public keys that verify registry tokens.
 *
 * Secrets never reach these stores in the clear: passwords arrive as KDF hashes, robot and API
 * tokens as SHA-256 hex digests (they are high-entropy random strings, so a fast hash suffices
 * and a lookup by hash is possible).
 */
import type { Id, Page } from './store.js';

export type NamespaceKind = 'user' | 'organization';

export interface NamespaceRow {
  readonly id: Id;
  readonly name: string;
  readonly kind: NamespaceKind;
  readonly email: string | undefined;
  readonly createdAt: number;
}

/** A user is a namespace of kind `user` plus its login data (same id). */
export interface UserRow {
  readonly id: Id;
  readonly name: string;
  readonly email: string | undefined;
  /** The KDF hash (auth/password.ts format); undefined when the user cannot log in with a password. */
  readonly passwordHash: string | undefined;
  readonly superuser: boolean;
  readonly enabled: boolean;
  readonly createdAt: number;
}

/** A name (user, organization, robot, team) is already taken; nothing was written. */
export class NameTakenError extends Error {
  constructor(readonly taken: string) {
    super(`${JSON.stringify(taken)} is already taken`);
    this.name = 'NameTakenError';
  }
}

export interface AccountStore {
  findNamespace(name: string): Promise<NamespaceRow | undefined>;
  findNamespaceById(id: Id): Promise<NamespaceRow | undefined>;
  findUser(name: string): Promise<UserRow | undefined>;
  findUserById(id: Id): Promise<UserRow | undefined>;
  /** Creates the namespace (kind user) and its login row; {@link NameTakenError} when the name exists. */
  createUser(user: { name: string; email?: string; passwordHash?: string; superuser?: boolean }): Promise<UserRow>;
  /** Changes only the given fields; false when there is no such user. `email: null` clears it. */
  updateUser(id: Id, patch: { email?: string | null; passwordHash?: string; superuser?: boolean; enabled?: boolean }): Promise<boolean>;
  /** Users by name, byte order, after `page.last`. */
  listUsers(page: Page): Promise<UserRow[]>;
  countUsers(): Promise<number>;
  /** {@link NameTakenError} when the name exists. */
  createOrganization(org: { name: string; email?: string }): Promise<NamespaceRow>;
  updateNamespace(id: Id, patch: { email?: string | null }): Promise<boolean>;
  /** Organizations by name, byte order, after `page.last`. */
  listOrganizations(page: Page): Promise<NamespaceRow[]>;
  /** Organizations in which the user belongs to at least one team, by name. */
  organizationsOf(userId: Id): Promise<NamespaceRow[]>;
  /**
   * Deletes a namespace that has no repositories left (the caller deletes those first), with its
   * login row, robots, teams, memberships, permissions held by its robots, API tokens and
   * regions. False when it did not exist; throws when repositories remain.
   */
  deleteNamespace(id: Id): Promise<boolean>;
}

export interface RobotRow {
  readonly id: Id;
  readonly namespaceId: Id;
  /** `org+shortname`, the name clients log in with. */
  readonly name: string;
  readonly shortName: string;
  readonly description: string;
  readonly tokenHash: string;
  readonly createdAt: number;
  readonly lastAccessedAt: number | undefined;
}

export interface RobotStore {
  /** {@link NameTakenError} when the namespace already has a robot of that short name. */
  create(robot: { namespaceId: Id; shortName: string; description: string; tokenHash: string }): Promise<RobotRow>;
  /** By full name `namespace+short`. */
  find(name: string): Promise<RobotRow | undefined>;
  findById(id: Id): Promise<RobotRow | undefined>;
  /** The namespace's robots by short name. */
  list(namespaceId: Id): Promise<RobotRow[]>;
  setTokenHash(id: Id, tokenHash: string): Promise<boolean>;
  /** Records a successful login (for `last_accessed`). */
  touch(id: Id, at: number): Promise<void>;
  /** Deletes the robot, its team memberships and its repository permissions. */
  delete(id: Id): Promise<boolean>;
}

/** Quay's team roles: member (no implicit rights), creator (may create repositories), admin (everything in the org). */
export type TeamRole = 'member' | 'creator' | 'admin';
export const TEAM_ROLES: readonly TeamRole[] = ['member', 'creator', 'admin'];

export interface TeamRow {
  readonly id: Id;
  readonly organizationId: Id;
  readonly name: string;
  readonly role: TeamRole;
  readonly description: string;
  readonly memberCount: number;
}

/** An account that can hold permissions and belong to teams. */
export interface AccountRef {
  readonly kind: 'user' | 'robot';
  readonly id: Id;
}

export interface TeamMemberRow extends AccountRef {
  /** The user name, or the robot's full name. */
  readonly name: string;
}

export interface TeamStore {
  /** Creates the team or changes its role and description. */
  upsert(organizationId: Id, name: string, team: { role: TeamRole; description: string }): Promise<TeamRow>;
  find(organizationId: Id, name: string): Promise<TeamRow | undefined>;
  /** The organization's teams by name. */
  list(organizationId: Id): Promise<TeamRow[]>;
  /** Deletes the team, its memberships and its repository permissions. */
  delete(id: Id): Promise<boolean>;
  /** Idempotent; false when the account was a member already. */
  addMember(teamId: Id, member: AccountRef): Promise<boolean>;
  removeMember(teamId: Id, member: AccountRef): Promise<boolean>;
  /** Users first, then robots, each by name. */
  members(teamId: Id): Promise<TeamMemberRow[]>;
  /** The teams of the organization the account belongs to. */
  teamsOf(organizationId: Id, member: AccountRef): Promise<TeamRow[]>;
}

/** Quay's repository roles, weakest first. */
export type RepositoryRole = 'read' | 'write' | 'admin';
export const REPOSITORY_ROLES: readonly RepositoryRole[] = ['read', 'write', 'admin'];

export interface PermissionSubject {
  readonly kind: 'user' | 'robot' | 'team';
  readonly id: Id;
}

export interface PermissionRow {
  readonly subject: PermissionSubject;
  /** User name, robot full name, or team name. */
  readonly name: string;
  readonly role: RepositoryRole;
}

export interface PermissionStore {
  /** Grants or changes the subject's role on the repository. */
  set(repositoryId: Id, subject: PermissionSubject, role: RepositoryRole): Promise<void>;
  remove(repositoryId: Id, subject: PermissionSubject): Promise<boolean>;
  /** Direct grants on the repository, optionally of one subject kind, by name. */
  list(repositoryId: Id, kind?: PermissionSubject['kind']): Promise<PermissionRow[]>;
  /**
   * The strongest role the account holds on the repository: its direct grant, grants to teams
   * it belongs to, `admin` when the repository is in the user's own namespace, and `admin` when
   * the account is in an `admin` team of the repository's organization.
   */
  effectiveRole(account: AccountRef, repositoryId: Id): Promise<RepositoryRole | undefined>;
  /**
   * The account's standing in a namespace: `admin` for a user in their own namespace, else the
   * strongest role among the organization's teams it belongs to; undefined when none.
   */
  namespaceRole(account: AccountRef, namespaceId: Id): Promise<TeamRole | undefined>;
}

/** Who may see a repository in listings: everything, public ones, or public ones plus the account's. */
export type Viewer = { readonly kind: 'everything' } | { readonly kind: 'public' } | { readonly kind: 'account'; readonly account: AccountRef };

export type Visibility = 'public' | 'private';

export interface RepositoryDetail {
  readonly id: Id;
  readonly name: string;
  readonly namespaceId: Id;
  readonly namespace: string;
  /** The name without the namespace (`web/api` of `acme/web/api`). */
  readonly shortName: string;
  readonly visibility: Visibility;
  readonly description: string;
  readonly state: string;
  readonly createdAt: number;
  /** When a tag last moved (or the creation time). */
  readonly lastModified: number;
}

export interface RepositoryListQuery {
  readonly viewer: Viewer;
  readonly namespace?: string;
  readonly publicOnly?: boolean;
  /** Names strictly after this one (byte order). */
  readonly last?: string;
  readonly n: number;
}

/** Management-side repository queries (the registry's find/ensure live in RepositoryStore). */
export interface RepositoryAdminStore {
  findDetail(name: string): Promise<RepositoryDetail | undefined>;
  /** {@link NameTakenError} when it exists. */
  create(repository: { namespaceId: Id; name: string; visibility: Visibility; description: string }): Promise<RepositoryDetail>;
  update(id: Id, patch: { visibility?: Visibility; description?: string }): Promise<boolean>;
  /**
   * Deletes the repository with its tags (history too), manifests and their reference rows,
   * blob links, upload sessions and permissions. Blobs stay (garbage collection's job).
   */
  delete(id: Id): Promise<boolean>;
  /** Repositories the viewer may see, by name. */
  list(query: RepositoryListQuery): Promise<RepositoryDetail[]>;
  /**
   * Repositories the viewer may see whose name contains `text` (case-insensitive), best match
   * first: PostgreSQL ranks by pg_trgm similarity (trigram index), SQLite by name.
   */
  search(text: string, viewer: Viewer, offset: number, limit: number): Promise<RepositoryDetail[]>;
}

export interface TagHistoryRow {
  readonly name: string;
  readonly manifestDigest: string;
  readonly mediaType: string;
  /** Manifest bytes plus the blobs it references (Quay's `size`). */
  readonly size: number;
  readonly start: number;
  /** Undefined while the tag points here. */
  readonly end: number | undefined;
}

export interface TagHistoryStore {
  /** Tag lifetimes, newest first; `onlyActive` keeps current ones; `tag` filters to one name. */
  history(repositoryId: Id, query: { tag?: string; onlyActive?: boolean; offset: number; limit: number }): Promise<TagHistoryRow[]>;
  /** Points the tag at a manifest of the repository (history kept); false when the manifest is gone. */
  restore(repositoryId: Id, tag: string, manifestDigest: string): Promise<boolean>;
}

export interface ApiTokenRow {
  readonly id: Id;
  readonly uuid: string;
  readonly userId: Id;
  readonly title: string;
  readonly tokenHash: string;
  readonly createdAt: number;
  readonly lastAccessedAt: number | undefined;
  readonly expiresAt: number | undefined;
}

/** Quay's app-specific tokens: used as a Bearer token on /api/v1 and as a password on /v2. */
export interface ApiTokenStore {
  create(token: { userId: Id; title: string; tokenHash: string; expiresAt?: number }): Promise<ApiTokenRow>;
  findByHash(tokenHash: string): Promise<ApiTokenRow | undefined>;
  /** The user's tokens, newest first. */
  list(userId: Id): Promise<ApiTokenRow[]>;
  find(userId: Id, uuid: string): Promise<ApiTokenRow | undefined>;
  delete(userId: Id, uuid: string): Promise<boolean>;
  touch(id: Id, at: number): Promise<void>;
}

export interface AuditPerformer {
  readonly kind: 'user' | 'robot' | 'anonymous';
  readonly name: string | undefined;
}

export interface NewAuditEntry {
  /** Quay's log kind names where they exist: push_repo, delete_tag, create_repo, ... */
  readonly kind: string;
  readonly performer: AuditPerformer;
  readonly namespace: string | undefined;
  readonly repository: string | undefined;
  readonly ip: string | undefined;
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface AuditEntry extends NewAuditEntry {
  readonly id: Id;
  readonly at: number;
}

export interface AuditQuery {
  readonly namespace?: string;
  /** The full repository name. */
  readonly repository?: string;
  /** Performer name (a user, or a robot's full name). */
  readonly performer?: string;
  /** Entries with id strictly below this one (newest first paging). */
  readonly before?: Id;
  readonly n: number;
}

export interface AuditStore {
  record(entry: NewAuditEntry): Promise<void>;
  /** Newest first. */
  list(query: AuditQuery): Promise<AuditEntry[]>;
}

export interface ServiceKeyRow {
  readonly kid: string;
  /** The public JWK. */
  readonly jwk: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
}

/** Public keys of every instance's token-signing key, so any instance verifies any other's tokens. */
export interface ServiceKeyStore {
  /** Idempotent on `kid`. */
  publish(kid: string, jwk: Readonly<Record<string, unknown>>): Promise<void>;
  find(kid: string): Promise<ServiceKeyRow | undefined>;
}
