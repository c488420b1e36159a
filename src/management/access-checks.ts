/**
 * Who may manage which account, shared by the account use cases. The rules (Quay's):
 * - only users manage accounts: robots act through their repository grants alone;
 * - organization admins (and superusers) change an organization, its teams and its robots;
 *   members may read the organization and the teams they belong to;
 * - a caller who is not an admin learns nothing about what exists in an organization: a missing
 *   team or robot and a forbidden one both answer INSUFFICIENT_SCOPE (Quay's 403); only callers
 *   allowed to look get NOT_FOUND.
 */
import type { Principal } from '../auth/principal.js';
import { Errors, WharfError } from '../errors/index.js';
import type { NamespaceRow, TeamRole } from '../metadata/store.js';
import type { ManagementContext } from './context.js';

export type UserPrincipal = Extract<Principal, { kind: 'user' }>;

/** The account endpoints are for people; anonymous callers must log in, robots are refused. */
export function requireUser(principal: Principal): UserPrincipal {
  if (principal.kind === 'user') return principal;
  if (principal.kind === 'anonymous') throw new WharfError(Errors.INVALID_TOKEN, 'this endpoint requires credentials');
  throw new WharfError(Errors.INSUFFICIENT_SCOPE, 'robot accounts cannot manage accounts');
}

/** Marked in the database (the principal says so) or listed in SUPER_USERS. */
export function isSuperuser(ctx: ManagementContext, principal: Principal): boolean {
  return principal.kind === 'user' && (principal.superuser || ctx.superUsers.includes(principal.name));
}

export function requireSuperuser(ctx: ManagementContext, principal: Principal): UserPrincipal {
  const user = requireUser(principal);
  if (!isSuperuser(ctx, user)) throw new WharfError(Errors.INSUFFICIENT_SCOPE, 'this action is for superusers');
  return user;
}

export interface OrganizationStanding {
  readonly organization: NamespaceRow;
  /** The caller's strongest team role (admin for superusers); undefined for outsiders. */
  readonly role: TeamRole | undefined;
}

export function isAdmin(standing: OrganizationStanding): boolean {
  return standing.role === 'admin';
}

export function isMember(standing: OrganizationStanding): boolean {
  return standing.role !== undefined;
}

/** The organization (NOT_FOUND when there is none, or the name is a user) and the caller's role in it. */
export async function organizationStanding(ctx: ManagementContext, principal: Principal, name: string): Promise<OrganizationStanding> {
  const organization = await ctx.metadata.stores.accounts.findNamespace(name);
  if (!organization || organization.kind !== 'organization') throw new WharfError(Errors.NOT_FOUND, `organization ${JSON.stringify(name)} does not exist`);
  return { organization, role: await ctx.authorizer.namespaceRole(principal, organization.id) };
}

/**
 * For changes and admin views: the organization when the caller administers it. Everyone else
 * gets INSUFFICIENT_SCOPE, whether or not it exists (superusers, who may look, get NOT_FOUND).
 */
export async function requireOrganizationAdmin(ctx: ManagementContext, principal: Principal, name: string): Promise<OrganizationStanding> {
  requireUser(principal);
  const standing = await organizationStanding(ctx, principal, name).catch((err: unknown) => {
    if (err instanceof WharfError && err.entry === Errors.NOT_FOUND && !isSuperuser(ctx, principal)) throw notAdmin(name);
    throw err;
  });
  if (!isAdmin(standing)) throw notAdmin(name);
  return standing;
}

function notAdmin(name: string): WharfError {
  return new WharfError(Errors.INSUFFICIENT_SCOPE, `administering organization ${JSON.stringify(name)} requires its admin role`);
}

/** For reads open to members: the organization when the caller belongs to it (any team) or administers it. */
export async function requireOrganizationMember(ctx: ManagementContext, principal: Principal, name: string): Promise<OrganizationStanding> {
  requireUser(principal);
  const standing = await organizationStanding(ctx, principal, name).catch((err: unknown) => {
    if (err instanceof WharfError && err.entry === Errors.NOT_FOUND && !isSuperuser(ctx, principal)) throw notMember(name);
    throw err;
  });
  if (!isMember(standing)) throw notMember(name);
  return standing;
}

function notMember(name: string): WharfError {
  return new WharfError(Errors.INSUFFICIENT_SCOPE, `this requires membership of organization ${JSON.stringify(name)}`);
}
