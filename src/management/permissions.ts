/**
 * Repository permissions (Quay's permission resource): direct grants of read, write or admin
 * to users, robots (named `namespace+short`, in the user endpoints as in Quay) and teams of
 * the repository's organization. Only admins of the repository see or change them.
 */
import type { Actor, Principal } from '../auth/principal.js';
import { Errors, WharfError } from '../errors/index.js';
import { type AccountRef, type PermissionSubject, REPOSITORY_ROLES, type RepositoryDetail, type RepositoryRole, type Stores } from '../metadata/store.js';
import { auditEntry } from './audit-entry.js';
import type { ManagementContext } from './context.js';
import { auditWhere, openRepository } from './repository-access.js';

export interface AccountPermission {
  /** User name, or the robot's full name. */
  readonly name: string;
  readonly role: RepositoryRole;
  readonly isRobot: boolean;
  /** Whether the account belongs to the repository's organization; undefined for a user's repository. */
  readonly isOrgMember: boolean | undefined;
}

export interface TeamPermission {
  readonly name: string;
  readonly role: RepositoryRole;
}

interface Account extends AccountRef {
  readonly name: string;
}

export function checkRole(role: string): RepositoryRole {
  if (!(REPOSITORY_ROLES as readonly string[]).includes(role)) throw new WharfError(Errors.INVALID_REQUEST, `role must be one of ${REPOSITORY_ROLES.join(', ')}`);
  return role as RepositoryRole;
}

export class PermissionService {
  readonly #ctx: ManagementContext;

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  /** Direct grants to users and robots, by name. */
  async listAccounts(principal: Principal, name: string): Promise<AccountPermission[]> {
    const { repository } = await this.#admin(principal, name);
    const stores = this.#ctx.metadata.stores;
    const rows = [...(await stores.permissions.list(repository.id, 'user')), ...(await stores.permissions.list(repository.id, 'robot'))];
    const organization = await this.#organizationId(repository);
    const views: AccountPermission[] = [];
    for (const row of rows) {
      const account = { kind: row.subject.kind as Account['kind'], id: row.subject.id, name: row.name };
      views.push(await this.#accountView(account, row.role, organization));
    }
    return views.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async getAccount(principal: Principal, name: string, accountName: string): Promise<AccountPermission> {
    const { repository } = await this.#admin(principal, name);
    const account = await this.#account(repository, accountName);
    const role = account && (await this.#directRole(repository, account));
    if (!account || !role) throw new WharfError(Errors.NOT_FOUND, `${accountName} has no permission on ${repository.name}`);
    return this.#accountView(account, role, await this.#organizationId(repository));
  }

  async setAccount(actor: Actor, name: string, accountName: string, roleText: string): Promise<AccountPermission> {
    const role = checkRole(roleText);
    const { repository } = await this.#admin(actor.principal, name);
    const account = await this.#account(repository, accountName);
    if (!account) throw new WharfError(Errors.INVALID_REQUEST, `Invalid username: ${accountName}`);
    await this.#ctx.metadata.transaction(async (tx) => {
      await tx.permissions.set(repository.id, account, role);
      await tx.audit.record(auditEntry(actor, 'change_repo_permission', auditWhere(repository), { username: account.name, repo: repository.shortName, namespace: repository.namespace, role }));
    });
    return this.#accountView(account, role, await this.#organizationId(repository));
  }

  async removeAccount(actor: Actor, name: string, accountName: string): Promise<void> {
    const { repository } = await this.#admin(actor.principal, name);
    const account = await this.#account(repository, accountName);
    await this.#remove(actor, repository, account, accountName, { username: accountName, repo: repository.shortName, namespace: repository.namespace });
  }

  async listTeams(principal: Principal, name: string): Promise<TeamPermission[]> {
    const { repository } = await this.#admin(principal, name);
    const rows = await this.#ctx.metadata.stores.permissions.list(repository.id, 'team');
    return rows.map((row) => ({ name: row.name, role: row.role }));
  }

  async getTeam(principal: Principal, name: string, teamName: string): Promise<TeamPermission> {
    const { repository } = await this.#admin(principal, name);
    const team = await this.#team(repository, teamName);
    const role = team && (await this.#directRole(repository, team));
    if (!team || !role) throw new WharfError(Errors.NOT_FOUND, `team ${teamName} has no permission on ${repository.name}`);
    return { name: team.name, role };
  }

  async setTeam(actor: Actor, name: string, teamName: string, roleText: string): Promise<TeamPermission> {
    const role = checkRole(roleText);
    const { repository } = await this.#admin(actor.principal, name);
    const team = await this.#team(repository, teamName);
    if (!team) throw new WharfError(Errors.INVALID_REQUEST, `${repository.namespace} has no team ${teamName}`);
    await this.#ctx.metadata.transaction(async (tx) => {
      await tx.permissions.set(repository.id, team, role);
      await tx.audit.record(auditEntry(actor, 'change_repo_permission', auditWhere(repository), { team: team.name, repo: repository.shortName, namespace: repository.namespace, role }));
    });
    return { name: team.name, role };
  }

  async removeTeam(actor: Actor, name: string, teamName: string): Promise<void> {
    const { repository } = await this.#admin(actor.principal, name);
    const team = await this.#team(repository, teamName);
    await this.#remove(actor, repository, team, `team ${teamName}`, { team: teamName, repo: repository.shortName, namespace: repository.namespace });
  }

  #admin(principal: Principal, name: string) {
    return openRepository(this.#ctx, principal, name, 'admin');
  }

  async #remove(actor: Actor, repository: RepositoryDetail, subject: PermissionSubject | undefined, label: string, metadata: Record<string, unknown>): Promise<void> {
    await this.#ctx.metadata.transaction(async (tx) => {
      if (!subject || !(await tx.permissions.remove(repository.id, subject))) throw new WharfError(Errors.NOT_FOUND, `${label} has no permission on ${repository.name}`);
      await tx.audit.record(auditEntry(actor, 'delete_repo_permission', auditWhere(repository), metadata));
    });
  }

  /** A user, or a robot of the repository's namespace (robots of other namespaces cannot be granted anything, as in Quay). */
  async #account(repository: RepositoryDetail, name: string): Promise<Account | undefined> {
    const stores = this.#ctx.metadata.stores;
    if (name.includes('+')) {
      const robot = await stores.robots.find(name);
      return robot && robot.namespaceId === repository.namespaceId ? { kind: 'robot', id: robot.id, name: robot.name } : undefined;
    }
    const user = await stores.accounts.findUser(name);
    return user && { kind: 'user', id: user.id, name: user.name };
  }

  /** A team of the repository's organization (a user's repository has none). */
  async #team(repository: RepositoryDetail, name: string): Promise<{ kind: 'team'; id: number; name: string } | undefined> {
    const team = await this.#ctx.metadata.stores.teams.find(repository.namespaceId, name);
    return team && { kind: 'team', id: team.id, name: team.name };
  }

  async #directRole(repository: RepositoryDetail, subject: PermissionSubject): Promise<RepositoryRole | undefined> {
    const rows = await this.#ctx.metadata.stores.permissions.list(repository.id, subject.kind);
    return rows.find((row) => row.subject.id === subject.id)?.role;
  }

  /** The organization's id when the repository belongs to one. */
  async #organizationId(repository: RepositoryDetail): Promise<number | undefined> {
    const namespace = await this.#ctx.metadata.stores.accounts.findNamespaceById(repository.namespaceId);
    return namespace?.kind === 'organization' ? namespace.id : undefined;
  }

  async #accountView(account: Account, role: RepositoryRole, organizationId: number | undefined): Promise<AccountPermission> {
    const isRobot = account.kind === 'robot';
    return { name: account.name, role, isRobot, isOrgMember: organizationId === undefined ? undefined : isRobot || (await isMember(this.#ctx.metadata.stores, organizationId, account)) };
  }
}

async function isMember(stores: Stores, organizationId: number, account: AccountRef): Promise<boolean> {
  return (await stores.teams.teamsOf(organizationId, { kind: account.kind, id: account.id })).length > 0;
}
