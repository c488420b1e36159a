/**
 * Superusers' management of every user (`/api/v1/superuser/users/`), with Quay's safety rules:
 * - another superuser's password, e-mail and enabled flag cannot be changed, and a superuser
 *   cannot be deleted (demote them first: that step is audited and visible);
 * - nobody disables or demotes themselves (no lock-out by mistake);
 * - SUPER_USERS from the config cannot be demoted here (the config would win again).
 * Deleting a user deletes their repositories first (in the same transaction), and is refused
 * when it would leave one of their organizations without an admin.
 */
import { hashPassword } from '../auth/password.js';
import type { Actor, Principal } from '../auth/principal.js';
import { generateToken } from '../auth/secrets.js';
import { Errors, WharfError } from '../errors/index.js';
import type { UserRow } from '../metadata/store.js';
import { requireSuperuser } from './access-checks.js';
import { checkPassword, normalizeEmail } from './account-rules.js';
import { auditEntry } from './audit-entry.js';
import { type ManagementContext, repositoriesChanged } from './context.js';
import { deleteNamespaceAndRepositories } from './namespace-contents.js';
import { ensureOrganizationKeepsAdmin } from './organization-admins.js';
import { createUser } from './users.js';

/** Quay's page limit for the user list. */
export const MAX_USER_PAGE = 100;
/** Generated passwords: 32 characters of the token alphabet, like Quay's temporary passwords. */
const GENERATED_PASSWORD_LENGTH = 32;

export interface UserListQuery {
  /** Include disabled users (Quay's default). */
  readonly includeDisabled: boolean;
  /** A page size up to 100; undefined lists everyone. */
  readonly limit?: number;
  /** The `next` of the previous page. */
  readonly after?: string;
}

export interface UserPage {
  readonly users: UserRow[];
  readonly next: string | undefined;
}

export interface UserAdminChanges {
  readonly password?: string;
  readonly email?: string | null;
  readonly enabled?: boolean;
  readonly superuser?: boolean;
}

export class UserAdministration {
  readonly #ctx: ManagementContext;

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  /** Whether the user is a superuser in the database or through SUPER_USERS. */
  isSuperuser(user: UserRow): boolean {
    return user.superuser || this.#ctx.superUsers.includes(user.name);
  }

  async list(principal: Principal, query: UserListQuery): Promise<UserPage> {
    requireSuperuser(this.#ctx, principal);
    if (query.limit !== undefined && (query.limit < 1 || query.limit > MAX_USER_PAGE)) {
      throw new WharfError(Errors.INVALID_REQUEST, `the page limit must be between 1 and ${MAX_USER_PAGE}`);
    }
    const wanted = query.limit ?? Number.POSITIVE_INFINITY;
    const users: UserRow[] = [];
    let last = query.after;
    // One more than wanted tells whether a next page exists.
    while (users.length <= wanted) {
      const page = await this.#ctx.metadata.stores.accounts.listUsers({ last, n: MAX_USER_PAGE });
      users.push(...page.filter((u) => query.includeDisabled || u.enabled));
      if (page.length < MAX_USER_PAGE) break;
      last = page[page.length - 1]?.name;
    }
    if (users.length <= wanted) return { users, next: undefined };
    const shown = users.slice(0, wanted);
    return { users: shown, next: shown[shown.length - 1]?.name };
  }

  async get(principal: Principal, username: string): Promise<UserRow> {
    requireSuperuser(this.#ctx, principal);
    return this.#find(username);
  }

  /** Creates a user with a generated password, returned once (Quay's createInstallUser). */
  async create(actor: Actor, input: { username: string; email?: string }): Promise<{ user: UserRow; password: string }> {
    const caller = requireSuperuser(this.#ctx, actor.principal);
    const password = generateToken(GENERATED_PASSWORD_LENGTH);
    const user = await createUser(this.#ctx.metadata, actor, { ...input, password }, { superuser: caller.name });
    return { user, password };
  }

  async update(actor: Actor, username: string, changes: UserAdminChanges): Promise<UserRow> {
    const caller = requireSuperuser(this.#ctx, actor.principal);
    const target = await this.#find(username);
    const self = target.id === caller.id;
    const touchesAccount = changes.password !== undefined || changes.email !== undefined || changes.enabled !== undefined;
    if (!self && this.isSuperuser(target) && touchesAccount) {
      throw new WharfError(Errors.INVALID_REQUEST, `${JSON.stringify(username)} is a superuser: their password, e-mail and enabled state cannot be changed by another superuser`);
    }
    if (self && (changes.enabled === false || changes.superuser === false)) {
      throw new WharfError(Errors.INVALID_REQUEST, 'superusers cannot disable or demote themselves');
    }
    if (changes.superuser === false && this.#ctx.superUsers.includes(target.name)) {
      throw new WharfError(Errors.INVALID_REQUEST, `${JSON.stringify(username)} is listed in SUPER_USERS; remove it from the config instead`);
    }
    const email = changes.email === undefined ? undefined : (normalizeEmail(changes.email) ?? null);
    if (changes.password !== undefined) checkPassword(changes.password);
    const passwordHash = changes.password === undefined ? undefined : await hashPassword(changes.password);
    const who = { namespace: target.name };
    const by = { username: target.name, superuser: caller.name };
    await this.#ctx.metadata.transaction(async (tx) => {
      if (passwordHash !== undefined) {
        await tx.accounts.updateUser(target.id, { passwordHash });
        await tx.audit.record(auditEntry(actor, 'user_change_password', who, by));
      }
      if (email !== undefined && (email ?? undefined) !== target.email) {
        await tx.accounts.updateUser(target.id, { email });
        await tx.audit.record(auditEntry(actor, 'user_change_email', who, { ...by, email, old_email: target.email ?? null }));
      }
      if (changes.enabled !== undefined && changes.enabled !== target.enabled) {
        await tx.accounts.updateUser(target.id, { enabled: changes.enabled });
        await tx.audit.record(auditEntry(actor, changes.enabled ? 'user_enable' : 'user_disable', who, by));
      }
      if (changes.superuser !== undefined && changes.superuser !== target.superuser) {
        await tx.accounts.updateUser(target.id, { superuser: changes.superuser });
        await tx.audit.record(auditEntry(actor, 'user_change_superuser', who, { ...by, is_superuser: changes.superuser }));
      }
    });
    return this.#find(username);
  }

  /** Deletes the user, their repositories, robots and tokens (Quay's deleteInstallUser). */
  async delete(actor: Actor, username: string): Promise<void> {
    const caller = requireSuperuser(this.#ctx, actor.principal);
    const target = await this.#find(username);
    if (this.isSuperuser(target)) throw new WharfError(Errors.INVALID_REQUEST, `${JSON.stringify(username)} is a superuser and cannot be deleted; demote them first`);
    await this.#ctx.metadata.transaction(async (tx) => {
      const organizations = await tx.accounts.organizationsOf(target.id);
      const repositories = await deleteNamespaceAndRepositories(tx, target);
      for (const organization of organizations) await ensureOrganizationKeepsAdmin(tx, organization, `deleting user ${JSON.stringify(username)}`);
      await tx.audit.record(auditEntry(actor, 'user_delete', { namespace: target.name }, { username: target.name, superuser: caller.name, repositories }));
    });
    await repositoriesChanged(this.#ctx);
  }

  async #find(username: string): Promise<UserRow> {
    const user = await this.#ctx.metadata.stores.accounts.findUser(username);
    if (!user) throw new WharfError(Errors.NOT_FOUND, `user ${JSON.stringify(username)} does not exist`);
    return user;
  }
}
