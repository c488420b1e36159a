/**
 * How the management use cases find a repository named in a request and check the caller's
 * role on it. A repository the caller cannot read answers exactly like a missing one, so
 * strangers learn nothing about private repositories; a caller who can read it but lacks the
 * role an action needs is told so (Quay's `insufficient_scope`).
 */
import type { Principal } from '../auth/principal.js';
import { LIBRARY_NAMESPACE, parseRepositoryName, parseTag } from '../domain/index.js';
import { Errors, WharfError } from '../errors/index.js';
import type { RepositoryDetail, RepositoryRole, Stores } from '../metadata/store.js';
import type { ManagementContext } from './context.js';

const RANK: Readonly<Record<RepositoryRole, number>> = { read: 1, write: 2, admin: 3 };

/** Whether `role` includes `needed` (read < write < admin). */
export function hasRole(role: RepositoryRole | undefined, needed: RepositoryRole): boolean {
  return role !== undefined && RANK[role] >= RANK[needed];
}

/** A repository name from a request: the distribution grammar, or INVALID_REQUEST. */
export function checkRepositoryName(name: string): string {
  return asInvalidRequest(() => parseRepositoryName(name).value);
}

/** A tag from a request: the tag grammar, or INVALID_REQUEST. */
export function checkTag(tag: string): string {
  return asInvalidRequest(() => parseTag(tag));
}

/** Runs a domain parser, turning its registry-flavoured error (NAME_INVALID, ...) into the API's INVALID_REQUEST. */
export function asInvalidRequest<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof WharfError) throw new WharfError(Errors.INVALID_REQUEST, err.message);
    throw err;
  }
}

/**
 * The repository by its full name. A single-component name pushed through /v2 (`ubuntu`) lives
 * in the `library` namespace, so `library/ubuntu` finds it too, as the API always names a
 * repository `namespace/name`.
 */
export async function findRepository(stores: Stores, name: string): Promise<RepositoryDetail | undefined> {
  const found = await stores.repositoryAdmin.findDetail(name);
  if (found) return found;
  const prefix = `${LIBRARY_NAMESPACE}/`;
  const rest = name.slice(prefix.length);
  return name.startsWith(prefix) && !rest.includes('/') ? stores.repositoryAdmin.findDetail(rest) : undefined;
}

export interface OpenedRepository {
  readonly repository: RepositoryDetail;
  /** The caller's role, at least the one asked for. */
  readonly role: RepositoryRole;
}

export function notFound(name: string): WharfError {
  return new WharfError(Errors.NOT_FOUND, `repository ${name} not found`);
}

/** The repository and the caller's role on it, which must include `needed`. */
export async function openRepository(ctx: ManagementContext, principal: Principal, name: string, needed: RepositoryRole): Promise<OpenedRepository> {
  checkRepositoryName(name);
  const repository = await findRepository(ctx.metadata.stores, name);
  if (!repository) throw notFound(name);
  const role = await ctx.authorizer.repositoryRole(principal, repository);
  if (role === undefined) throw notFound(name);
  if (!hasRole(role, needed)) throw new WharfError(Errors.INSUFFICIENT_SCOPE, `${needed} permission on ${repository.name} is required`);
  return { repository, role };
}

/** Tags, permissions and descriptions change only while the repository is in its normal state (not read-only or a mirror). */
export function checkWritable(repository: RepositoryDetail): void {
  if (repository.state !== 'normal') {
    throw new WharfError(Errors.INVALID_REQUEST, `repository ${repository.name} is in state ${repository.state} and cannot be changed`);
  }
}

/**
 * Whether an anonymous caller may be shown these (public) repositories in a listing: only when
 * it may pull them (FEATURE_ANONYMOUS_ACCESS). The authorizer answers for one of them; the rule
 * is the same for every public repository. Signed-in callers see what their viewer allows.
 */
export async function anonymousMaySee(ctx: ManagementContext, principal: Principal, rows: readonly RepositoryDetail[]): Promise<boolean> {
  const sample = rows[0];
  if (principal.kind !== 'anonymous' || sample === undefined) return true;
  return (await ctx.authorizer.repositoryRole(principal, sample)) !== undefined;
}

/** Where an audit row about a repository belongs (the log is filtered by both). */
export function auditWhere(repository: RepositoryDetail): { namespace: string; repository: string } {
  return { namespace: repository.namespace, repository: repository.name };
}
