/**
 * Robot accounts (`org+name` or `user+name`) for CI: an organization's robots are managed by its
 * admins (members may list them), a user's robots by that user.
 *
 * A robot's token is generated here and stored only as its SHA-256 digest: it is returned by
 * `create` and `regenerate` and can never be shown again (regenerate to get a new one). Neither
 * the token nor its digest is logged or audited.
 */
import type { Actor, Principal } from '../auth/principal.js';
import { generateToken, tokenHash } from '../auth/secrets.js';
import { Errors, WharfError } from '../errors/index.js';
import { type Id, NameTakenError, type NamespaceRow, type RobotRow, type TeamRow } from '../metadata/store.js';
import { isAdmin, requireOrganizationAdmin, requireOrganizationMember, requireUser } from './access-checks.js';
import { checkRobotShortName } from './account-rules.js';
import { auditEntry } from './audit-entry.js';
import type { ManagementContext } from './context.js';
import { directGrants } from './namespace-contents.js';

/** Whose robots: an organization's, or the caller's own. */
export type RobotOwner = { readonly kind: 'organization'; readonly name: string } | { readonly kind: 'user' };

const MAX_DESCRIPTION = 255;

export interface RobotWithToken {
  readonly robot: RobotRow;
  /** The only time the token is available. */
  readonly token: string;
}

export interface RobotListEntry {
  readonly robot: RobotRow;
  /** Filled only when permissions were asked for (and the caller is an admin). */
  readonly teams: readonly TeamRow[];
  readonly repositories: readonly string[];
}

export class Robots {
  readonly #ctx: ManagementContext;

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  /** The robots by short name; with `permissions`, their teams and direct repository grants (admins only, as in Quay). */
  async list(principal: Principal, owner: RobotOwner, options: { permissions: boolean }): Promise<RobotListEntry[]> {
    const { namespace, admin } = await this.#namespace(principal, owner, 'member');
    const stores = this.#ctx.metadata.stores;
    const robots = await stores.robots.list(namespace.id);
    if (!(options.permissions && admin)) return robots.map((robot) => ({ robot, teams: [], repositories: [] }));
    const grants = await directGrants(stores, namespace.name, 'robot');
    const entries: RobotListEntry[] = [];
    for (const robot of robots) {
      const teams = namespace.kind === 'organization' ? await stores.teams.teamsOf(namespace.id, { kind: 'robot', id: robot.id }) : [];
      entries.push({ robot, teams, repositories: grants.get(robot.id) ?? [] });
    }
    return entries;
  }

  async get(principal: Principal, owner: RobotOwner, shortName: string): Promise<RobotRow> {
    const { namespace } = await this.#namespace(principal, owner, 'admin');
    return this.#find(namespace, shortName);
  }

  async create(actor: Actor, owner: RobotOwner, shortName: string, input: { description?: string }): Promise<RobotWithToken> {
    const { namespace } = await this.#namespace(actor.principal, owner, 'admin');
    checkRobotShortName(shortName);
    const description = input.description ?? '';
    if (description.length > MAX_DESCRIPTION) throw new WharfError(Errors.INVALID_REQUEST, `the description must be at most ${MAX_DESCRIPTION} characters long`);
    const token = generateToken();
    const robot = await this.#ctx.metadata.transaction(async (tx) => {
      const created = await tx.robots.create({ namespaceId: namespace.id, shortName, description, tokenHash: tokenHash(token) }).catch((err: unknown) => {
        if (err instanceof NameTakenError) throw new WharfError(Errors.INVALID_REQUEST, `existing robot with name: ${namespace.name}+${shortName}`);
        throw err;
      });
      await tx.audit.record(auditEntry(actor, 'create_robot', { namespace: namespace.name }, { robot: shortName, description }));
      return created;
    });
    return { robot, token };
  }

  /** Deletes the robot with its team memberships and repository permissions. */
  async delete(actor: Actor, owner: RobotOwner, shortName: string): Promise<void> {
    const { namespace } = await this.#namespace(actor.principal, owner, 'admin');
    const robot = await this.#find(namespace, shortName);
    await this.#ctx.metadata.transaction(async (tx) => {
      if (!(await tx.robots.delete(robot.id))) throw notFound(namespace, shortName);
      await tx.audit.record(auditEntry(actor, 'delete_robot', { namespace: namespace.name }, { robot: shortName }));
    });
  }

  /** Replaces the token: the old one stops working at once. */
  async regenerate(actor: Actor, owner: RobotOwner, shortName: string): Promise<RobotWithToken> {
    const { namespace } = await this.#namespace(actor.principal, owner, 'admin');
    const robot = await this.#find(namespace, shortName);
    const token = generateToken();
    await this.#ctx.metadata.transaction(async (tx) => {
      if (!(await tx.robots.setTokenHash(robot.id, tokenHash(token)))) throw notFound(namespace, shortName);
      await tx.audit.record(auditEntry(actor, 'regenerate_robot_token', { namespace: namespace.name }, { robot: shortName }));
    });
    return { robot: { ...robot, tokenHash: tokenHash(token) }, token };
  }

  async #namespace(principal: Principal, owner: RobotOwner, need: 'admin' | 'member'): Promise<{ namespace: NamespaceRow; admin: boolean }> {
    if (owner.kind === 'organization') {
      const standing = need === 'admin' ? await requireOrganizationAdmin(this.#ctx, principal, owner.name) : await requireOrganizationMember(this.#ctx, principal, owner.name);
      return { namespace: standing.organization, admin: isAdmin(standing) };
    }
    const caller = requireUser(principal);
    return { namespace: await this.#userNamespace(caller.id), admin: true };
  }

  async #userNamespace(id: Id): Promise<NamespaceRow> {
    const namespace = await this.#ctx.metadata.stores.accounts.findNamespaceById(id);
    if (!namespace) throw new WharfError(Errors.INVALID_TOKEN, 'the account no longer exists');
    return namespace;
  }

  async #find(namespace: NamespaceRow, shortName: string): Promise<RobotRow> {
    const robot = await this.#ctx.metadata.stores.robots.find(`${namespace.name}+${shortName}`);
    if (!robot || robot.namespaceId !== namespace.id) throw notFound(namespace, shortName);
    return robot;
  }
}

function notFound(namespace: NamespaceRow, shortName: string): WharfError {
  return new WharfError(Errors.NOT_FOUND, `robot ${JSON.stringify(`${namespace.name}+${shortName}`)} does not exist`);
}
