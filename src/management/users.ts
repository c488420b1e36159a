/**
 * User accounts: creating one and setting its password (shared by the superuser API, the CLI and
 * the bootstrap), and the signed-in user's own view and settings (`/api/v1/user/`).
 *
 * Passwords are validated, then hashed with the KDF before any transaction opens (the hash is
 * slow on purpose); only the hash is stored, and neither logs nor audit entries carry either.
 */
import { hashPassword } from '../auth/password.js';
import type { Actor, Principal } from '../auth/principal.js';
import { Errors, WharfError } from '../errors/index.js';
import { type MetadataStore, NameTakenError, type NamespaceRow, type UserRow } from '../metadata/store.js';
import { isSuperuser, requireUser } from './access-checks.js';
import { checkNamespaceName, checkPassword, normalizeEmail } from './account-rules.js';
import { auditEntry } from './audit-entry.js';
import type { ManagementContext } from './context.js';

export interface NewUser {
  readonly username: string;
  readonly email?: string | undefined;
  readonly password: string;
  readonly superuser?: boolean;
}

/** NameTakenError as the API's 400, with Quay's wording. */
export function nameTaken(name: string): (err: unknown) => never {
  return (err) => {
    if (err instanceof NameTakenError) throw new WharfError(Errors.INVALID_REQUEST, `a user or organization named ${JSON.stringify(name)} already exists`);
    throw err;
  };
}

/**
 * Creates a user who can log in with `password`, audited as `user_create` in the same
 * transaction. `auditMetadata` says who asked (e.g. `{superuser: 'alice'}`, `{source: 'cli'}`).
 */
export async function createUser(metadata: MetadataStore, actor: Actor, input: NewUser, auditMetadata: Record<string, unknown> = {}): Promise<UserRow> {
  checkNamespaceName(input.username);
  const email = normalizeEmail(input.email);
  checkPassword(input.password);
  const passwordHash = await hashPassword(input.password);
  return metadata.transaction(async (tx) => {
    const user = await tx.accounts.createUser({ name: input.username, email, passwordHash, superuser: input.superuser ?? false }).catch(nameTaken(input.username));
    await tx.audit.record(
      auditEntry(actor, 'user_create', { namespace: user.name }, { username: user.name, email: email ?? null, is_superuser: user.superuser, ...auditMetadata }),
    );
    return user;
  });
}

/** Replaces a user's password, audited as `user_change_password`; NOT_FOUND when there is no such user. */
export async function setPassword(metadata: MetadataStore, actor: Actor, username: string, password: string, auditMetadata: Record<string, unknown> = {}): Promise<void> {
  checkPassword(password);
  const user = await metadata.stores.accounts.findUser(username);
  if (!user) throw new WharfError(Errors.NOT_FOUND, `user ${JSON.stringify(username)} does not exist`);
  const passwordHash = await hashPassword(password);
  await metadata.transaction(async (tx) => {
    if (!(await tx.accounts.updateUser(user.id, { passwordHash }))) throw new WharfError(Errors.NOT_FOUND, `user ${JSON.stringify(username)} does not exist`);
    await tx.audit.record(auditEntry(actor, 'user_change_password', { namespace: user.name }, { username: user.name, ...auditMetadata }));
  });
}

export interface UserOrganization {
  readonly organization: NamespaceRow;
  readonly isAdmin: boolean;
  readonly canCreateRepository: boolean;
}

export interface UserProfile {
  readonly user: UserRow;
  /** In the database or in SUPER_USERS. */
  readonly superuser: boolean;
  readonly organizations: readonly UserOrganization[];
}

export interface UserChanges {
  readonly password?: string;
  /** Empty or null clears it. */
  readonly email?: string | null;
}

/** The signed-in user's own account. */
export class CurrentUser {
  readonly #ctx: ManagementContext;

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  /** The caller's account and organizations; INVALID_TOKEN for anonymous callers, INSUFFICIENT_SCOPE for robots. */
  async profile(principal: Principal): Promise<UserProfile> {
    const caller = requireUser(principal);
    const user = await this.#ctx.metadata.stores.accounts.findUserById(caller.id);
    // The credentials were checked a moment ago; the account was deleted since.
    if (!user) throw new WharfError(Errors.INVALID_TOKEN, 'the account no longer exists');
    const organizations: UserOrganization[] = [];
    for (const organization of await this.#ctx.metadata.stores.accounts.organizationsOf(user.id)) {
      const role = await this.#ctx.authorizer.namespaceRole(caller, organization.id);
      const canCreateRepository = await this.#ctx.authorizer.canCreateIn(caller, organization.id);
      organizations.push({ organization, isAdmin: role === 'admin', canCreateRepository });
    }
    return { user, superuser: user.superuser || isSuperuser(this.#ctx, caller), organizations };
  }

  /** Another user's public record (robots are not users here). */
  async find(principal: Principal, username: string): Promise<UserRow> {
    requireUser(principal);
    const user = await this.#ctx.metadata.stores.accounts.findUser(username);
    if (!user) throw new WharfError(Errors.NOT_FOUND, `user ${JSON.stringify(username)} does not exist`);
    return user;
  }

  /** Changes the caller's password and/or e-mail (Quay's account_change_password, user_change_email). */
  async update(actor: Actor, changes: UserChanges): Promise<UserProfile> {
    const caller = requireUser(actor.principal);
    const email = changes.email === undefined ? undefined : (normalizeEmail(changes.email) ?? null);
    if (changes.password !== undefined) checkPassword(changes.password);
    const passwordHash = changes.password === undefined ? undefined : await hashPassword(changes.password);
    await this.#ctx.metadata.transaction(async (tx) => {
      const user = await tx.accounts.findUserById(caller.id);
      if (!user) throw new WharfError(Errors.INVALID_TOKEN, 'the account no longer exists');
      if (passwordHash !== undefined) {
        await tx.accounts.updateUser(user.id, { passwordHash });
        await tx.audit.record(auditEntry(actor, 'account_change_password', { namespace: user.name }));
      }
      if (email !== undefined && (email ?? undefined) !== user.email) {
        await tx.accounts.updateUser(user.id, { email });
        await tx.audit.record(auditEntry(actor, 'user_change_email', { namespace: user.name }, { email, old_email: user.email ?? null }));
      }
    });
    return this.profile(actor.principal);
  }
}
