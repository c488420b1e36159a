/**
 * Organizations (`/api/v1/organization/...`): create, read, change the e-mail, delete, list the
 * members. The creator becomes an admin through an `owners` team with the admin role, as in
 * Quay; from then on, admin teams decide who administers the organization.
 */
import type { Actor, Principal } from '../auth/principal.js';
import type { Id, NamespaceRow, TeamRow } from '../metadata/store.js';
import { isAdmin, isMember, organizationStanding, requireOrganizationAdmin, requireUser } from './access-checks.js';
import { checkNamespaceName, normalizeEmail } from './account-rules.js';
import { auditEntry } from './audit-entry.js';
import { type ManagementContext, repositoriesChanged } from './context.js';
import { deleteNamespaceAndRepositories, directGrants } from './namespace-contents.js';
import { nameTaken } from './users.js';

/** Quay's name for the admin team every organization starts with. */
export const OWNERS_TEAM = 'owners';

export interface OrganizationTeam {
  readonly team: TeamRow;
  /** Whether the caller may list its members (admins: every team; members: their own). */
  readonly canView: boolean;
}

export interface OrganizationDetail {
  readonly organization: NamespaceRow;
  readonly isAdmin: boolean;
  readonly isMember: boolean;
  /** For members and admins only, by name. */
  readonly teams: readonly OrganizationTeam[] | undefined;
}

export interface OrganizationMember {
  readonly id: Id;
  readonly name: string;
  /** The teams the user belongs to, by name. */
  readonly teams: string[];
  /** Repositories of the organization the user holds a direct grant on. */
  readonly repositories: string[];
}

export class Organizations {
  readonly #ctx: ManagementContext;

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  /** Creates the organization with the caller in its `owners` team (Quay's org_create). */
  async create(actor: Actor, input: { name: string; email?: string | null }): Promise<NamespaceRow> {
    const creator = requireUser(actor.principal);
    checkNamespaceName(input.name, 'organization name');
    const email = normalizeEmail(input.email);
    return this.#ctx.metadata.transaction(async (tx) => {
      const organization = await tx.accounts.createOrganization({ name: input.name, email }).catch(nameTaken(input.name));
      const owners = await tx.teams.upsert(organization.id, OWNERS_TEAM, { role: 'admin', description: '' });
      await tx.teams.addMember(owners.id, { kind: 'user', id: creator.id });
      await tx.audit.record(auditEntry(actor, 'org_create', { namespace: organization.name }, { email: email ?? null, namespace: organization.name }));
      return organization;
    });
  }

  /** Anyone signed in may see that the organization exists; members see its teams, admins its e-mail. */
  async get(principal: Principal, name: string): Promise<OrganizationDetail> {
    const caller = requireUser(principal);
    const standing = await organizationStanding(this.#ctx, caller, name);
    const { organization } = standing;
    if (!isMember(standing)) return { organization, isAdmin: false, isMember: false, teams: undefined };
    const teams = await this.#ctx.metadata.stores.teams.list(organization.id);
    const admin = isAdmin(standing);
    const own = admin ? undefined : new Set((await this.#ctx.metadata.stores.teams.teamsOf(organization.id, { kind: 'user', id: caller.id })).map((t) => t.id));
    return { organization, isAdmin: admin, isMember: true, teams: teams.map((team) => ({ team, canView: own === undefined || own.has(team.id) })) };
  }

  /** Changes the contact e-mail (empty clears it); audited as org_change_email when it changes. */
  async update(actor: Actor, name: string, changes: { email?: string | null }): Promise<OrganizationDetail> {
    const { organization } = await requireOrganizationAdmin(this.#ctx, actor.principal, name);
    if (changes.email !== undefined) {
      const email = normalizeEmail(changes.email);
      if (email !== organization.email) {
        await this.#ctx.metadata.transaction(async (tx) => {
          await tx.accounts.updateNamespace(organization.id, { email: email ?? null });
          await tx.audit.record(
            auditEntry(actor, 'org_change_email', { namespace: organization.name }, { email: email ?? null, old_email: organization.email ?? null, namespace: organization.name }),
          );
        });
      }
    }
    return this.get(actor.principal, name);
  }

  /** Deletes the organization with its repositories, robots and teams (Quay's org_delete). */
  async delete(actor: Actor, name: string): Promise<void> {
    const { organization } = await requireOrganizationAdmin(this.#ctx, actor.principal, name);
    await this.#ctx.metadata.transaction(async (tx) => {
      const repositories = await deleteNamespaceAndRepositories(tx, organization);
      await tx.audit.record(auditEntry(actor, 'org_delete', { namespace: organization.name }, { namespace: organization.name, repositories }));
    });
    await repositoriesChanged(this.#ctx);
  }

  /** The users in any of the organization's teams (robots are not members here), by name. */
  async members(principal: Principal, name: string): Promise<OrganizationMember[]> {
    const { organization } = await requireOrganizationAdmin(this.#ctx, principal, name);
    const stores = this.#ctx.metadata.stores;
    const members = new Map<Id, OrganizationMember>();
    for (const team of await stores.teams.list(organization.id)) {
      for (const member of await stores.teams.members(team.id)) {
        if (member.kind !== 'user') continue;
        const entry = members.get(member.id) ?? { id: member.id, name: member.name, teams: [], repositories: [] };
        entry.teams.push(team.name);
        members.set(member.id, entry);
      }
    }
    for (const [userId, repositories] of await directGrants(stores, organization.name, 'user')) members.get(userId)?.repositories.push(...repositories);
    return [...members.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}
