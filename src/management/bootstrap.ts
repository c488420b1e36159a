/**
 * The first superuser, from the config (WHARF_INITIAL_SUPERUSER) at start: without one, a fresh
 * Database-mode registry would have nobody able to log in. Safe to run at every start and from
 * several instances at once.
 */
import { ANONYMOUS, type Actor } from '../auth/principal.js';
import { Errors, WharfError } from '../errors/index.js';
import type { MetadataStore, UserRow } from '../metadata/store.js';
import type { Logger } from '../observability/logger.js';
import { checkNamespaceName, checkPassword, normalizeEmail } from './account-rules.js';
import { auditEntry } from './audit-entry.js';
import { createUser } from './users.js';

export interface InitialSuperuser {
  readonly username: string;
  readonly email?: string | undefined;
  readonly password: string;
}

/** Not a person: the process itself, at start. */
const BOOTSTRAP: Actor = { principal: ANONYMOUS, ip: undefined };

/**
 * Creates the user as a superuser when missing ('created'). An existing user keeps their
 * password and e-mail (they may have changed them since): they are only made a superuser
 * ('updated'), or left alone when they are one ('exists').
 */
export async function ensureSuperuser(metadata: MetadataStore, account: InitialSuperuser, logger: Logger): Promise<'created' | 'updated' | 'exists'> {
  // Every input problem is reported before anything is written.
  checkNamespaceName(account.username);
  normalizeEmail(account.email);
  checkPassword(account.password);
  const existing = await metadata.stores.accounts.findUser(account.username);
  if (existing) return promote(metadata, existing, logger);
  try {
    await createUser(metadata, BOOTSTRAP, { ...account, superuser: true }, { source: 'bootstrap' });
  } catch (err) {
    // The input is valid, so a refusal means the name is taken: by another instance starting
    // at the same moment (then promote), or by an organization.
    if (!(err instanceof WharfError && err.entry === Errors.INVALID_REQUEST)) throw err;
    const raced = await metadata.stores.accounts.findUser(account.username);
    if (raced) return promote(metadata, raced, logger);
    throw new Error(`cannot create the initial superuser ${JSON.stringify(account.username)}: an organization has that name`, { cause: err });
  }
  logger.info({ username: account.username }, 'initial superuser created');
  return 'created';
}

async function promote(metadata: MetadataStore, user: UserRow, logger: Logger): Promise<'updated' | 'exists'> {
  if (user.superuser) return 'exists';
  await metadata.transaction(async (tx) => {
    await tx.accounts.updateUser(user.id, { superuser: true });
    await tx.audit.record(auditEntry(BOOTSTRAP, 'user_change_superuser', { namespace: user.name }, { username: user.name, is_superuser: true, source: 'bootstrap' }));
  });
  logger.info({ username: user.name }, 'existing user made superuser (initial superuser setting)');
  return 'updated';
}
