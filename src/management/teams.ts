/**
 * An organization's teams and their members (`/api/v1/organization/{org}/team/...`). Admins
 * create, change and delete teams and their membership; a team's members may list it. Users and
 * the organization's own robots can be members. No change may leave the organization without
 * an admin user (organization-admins.ts).
 */
import type { Actor, Principal } from '../auth/principal.js';
import { Errors, WharfError } from '../errors/index.js';
import type { AccountRef, NamespaceRow, TeamMemberRow, TeamRole, TeamRow } from '../metadata/store.js';
import { isAdmin, organizationStanding, requireOrganizationAdmin, requireUser, isSuperuser } from './access-checks.js';
import { checkTeamName } from './account-rules.js';
import { auditEntry } from './audit-entry.js';
import type { ManagementContext } from './context.js';
import { ensureOrganizationKeepsAdmin } from './organization-admins.js';

export interface TeamChanges {
  readonly role: TeamRole;
  /** Undefined keeps the current description (empty for a new team). */
  readonly description?: string;
}

export interface TeamMembers {
  readonly team: TeamRow;
  readonly members: readonly TeamMemberRow[];
  /** Whether the caller administers the organization. */
  readonly canEdit: boolean;
}

export class Teams {
  readonly #ctx: ManagementContext;

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  /** Creates the team, or changes its role and description (Quay's updateOrganizationTeam). */
  async put(actor: Actor, organizationName: string, teamName: string, changes: TeamChanges): Promise<{ team: TeamRow; created: boolean }> {
    const { organization } = await requireOrganizationAdmin(this.#ctx, actor.principal, organizationName);
    checkTeamName(teamName);
    const where = { namespace: organization.name };
    return this.#ctx.metadata.transaction(async (tx) => {
      const existing = await tx.teams.find(organization.id, teamName);
      const description = changes.description ?? existing?.description ?? '';
      const team = await tx.teams.upsert(organization.id, teamName, { role: changes.role, description });
      if (!existing) {
        await tx.audit.record(auditEntry(actor, 'org_create_team', where, { team: teamName, role: changes.role }));
        return { team, created: true };
      }
      if (existing.description !== description) await tx.audit.record(auditEntry(actor, 'org_set_team_description', where, { team: teamName, description }));
      if (existing.role !== changes.role) {
        if (existing.role === 'admin') await ensureOrganizationKeepsAdmin(tx, organization, `changing the role of team ${JSON.stringify(teamName)}`);
        await tx.audit.record(auditEntry(actor, 'org_set_team_role', where, { team: teamName, role: changes.role }));
      }
      return { team, created: false };
    });
  }

  /** Deletes the team with its memberships and repository permissions. */
  async delete(actor: Actor, organizationName: string, teamName: string): Promise<void> {
    const { organization } = await requireOrganizationAdmin(this.#ctx, actor.principal, organizationName);
    await this.#ctx.metadata.transaction(async (tx) => {
      const team = await existingTeam(tx.teams.find(organization.id, teamName), organization, teamName);
      await tx.teams.delete(team.id);
      if (team.role === 'admin') await ensureOrganizationKeepsAdmin(tx, organization, `deleting team ${JSON.stringify(teamName)}`);
      await tx.audit.record(auditEntry(actor, 'org_delete_team', { namespace: organization.name }, { team: teamName }));
    });
  }

  /** The team's members, for organization admins and the team's own members (Quay's ViewTeamPermission). */
  async members(principal: Principal, organizationName: string, teamName: string): Promise<TeamMembers> {
    const caller = requireUser(principal);
    const forbidden = new WharfError(Errors.INSUFFICIENT_SCOPE, `viewing team ${JSON.stringify(teamName)} requires membership of it or the organization's admin role`);
    const standing = await organizationStanding(this.#ctx, caller, organizationName).catch((err: unknown) => {
      if (err instanceof WharfError && err.entry === Errors.NOT_FOUND && !isSuperuser(this.#ctx, caller)) throw forbidden;
      throw err;
    });
    const stores = this.#ctx.metadata.stores;
    const team = await stores.teams.find(standing.organization.id, teamName);
    const admin = isAdmin(standing);
    if (!admin) {
      const own = team && (await stores.teams.teamsOf(standing.organization.id, { kind: 'user', id: caller.id })).some((t) => t.id === team.id);
      if (!own) throw forbidden;
    }
    const found = await existingTeam(Promise.resolve(team), standing.organization, teamName);
    return { team: found, members: await stores.teams.members(found.id), canEdit: admin };
  }

  /** Adds a user, or one of the organization's robots (`org+name`); idempotent, audited when it adds. */
  async addMember(actor: Actor, organizationName: string, teamName: string, memberName: string): Promise<{ member: TeamMemberRow; added: boolean }> {
    const { organization } = await requireOrganizationAdmin(this.#ctx, actor.principal, organizationName);
    const member = await this.#account(organization, memberName, 'add');
    return this.#ctx.metadata.transaction(async (tx) => {
      const team = await existingTeam(tx.teams.find(organization.id, teamName), organization, teamName);
      const added = await tx.teams.addMember(team.id, member);
      if (added) await tx.audit.record(auditEntry(actor, 'org_add_team_member', { namespace: organization.name }, { member: member.name, team: teamName }));
      return { member, added };
    });
  }

  async removeMember(actor: Actor, organizationName: string, teamName: string, memberName: string): Promise<void> {
    const { organization } = await requireOrganizationAdmin(this.#ctx, actor.principal, organizationName);
    const member = await this.#account(organization, memberName, 'remove');
    await this.#ctx.metadata.transaction(async (tx) => {
      const team = await existingTeam(tx.teams.find(organization.id, teamName), organization, teamName);
      if (!(await tx.teams.removeMember(team.id, member))) {
        throw new WharfError(Errors.INVALID_REQUEST, `${JSON.stringify(memberName)} does not belong to team ${JSON.stringify(teamName)}`);
      }
      if (team.role === 'admin') await ensureOrganizationKeepsAdmin(tx, organization, `removing ${JSON.stringify(memberName)} from team ${JSON.stringify(teamName)}`);
      await tx.audit.record(auditEntry(actor, 'org_remove_team_member', { namespace: organization.name }, { member: memberName, team: teamName }));
    });
  }

  /**
   * The account a member name refers to. Adding an unknown account is a bad request (Quay:
   * "Unknown user"); removing one is NOT_FOUND. Robots must belong to the organization.
   */
  async #account(organization: NamespaceRow, name: string, action: 'add' | 'remove'): Promise<TeamMemberRow> {
    const unknown = action === 'add' ? new WharfError(Errors.INVALID_REQUEST, `unknown user or robot ${JSON.stringify(name)}`) : new WharfError(Errors.NOT_FOUND, `unknown user or robot ${JSON.stringify(name)}`);
    const stores = this.#ctx.metadata.stores;
    let account: AccountRef;
    if (name.includes('+')) {
      const robot = await stores.robots.find(name);
      if (!robot) throw unknown;
      if (robot.namespaceId !== organization.id) {
        throw new WharfError(Errors.INVALID_REQUEST, `robot ${JSON.stringify(name)} does not belong to organization ${JSON.stringify(organization.name)}`);
      }
      account = { kind: 'robot', id: robot.id };
    } else {
      const user = await stores.accounts.findUser(name);
      if (!user) throw unknown;
      account = { kind: 'user', id: user.id };
    }
    return { ...account, name };
  }
}

async function existingTeam(found: Promise<TeamRow | undefined>, organization: NamespaceRow, name: string): Promise<TeamRow> {
  const team = await found;
  if (!team) throw new WharfError(Errors.NOT_FOUND, `team ${JSON.stringify(name)} does not exist in organization ${JSON.stringify(organization.name)}`);
  return team;
}
