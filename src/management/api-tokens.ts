/**
 * A user's API tokens (Quay's app-specific tokens, `/api/v1/user/apptoken`): bearer tokens for
 * `/api/v1` and passwords for `docker login`, each with a title so the user can tell them apart
 * and revoke one. Like robot tokens, the token itself is returned once, by `create`, and stored
 * only as its SHA-256 digest.
 */
import type { Actor, Principal } from '../auth/principal.js';
import { generateToken, tokenHash } from '../auth/secrets.js';
import { Errors, WharfError } from '../errors/index.js';
import type { ApiTokenRow } from '../metadata/store.js';
import { requireUser } from './access-checks.js';
import { auditEntry } from './audit-entry.js';
import type { ManagementContext } from './context.js';

const MAX_TITLE = 255;
/** Quay's "expiring soon" window: a tenth of its default four-week token lifetime. */
const EXPIRING_WINDOW_MS = (28 * 24 * 3600 * 1000) / 10;

export class ApiTokens {
  readonly #ctx: ManagementContext;

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  /** The caller's tokens, newest first; `expiring` keeps those that expire within the window. */
  async list(principal: Principal, options: { expiring: boolean; now?: number }): Promise<ApiTokenRow[]> {
    const caller = requireUser(principal);
    const tokens = await this.#ctx.metadata.stores.apiTokens.list(caller.id);
    if (!options.expiring) return tokens;
    const horizon = (options.now ?? Date.now()) + EXPIRING_WINDOW_MS;
    return tokens.filter((t) => t.expiresAt !== undefined && t.expiresAt <= horizon);
  }

  async create(actor: Actor, title: string): Promise<{ row: ApiTokenRow; token: string }> {
    const caller = requireUser(actor.principal);
    const trimmed = title.trim();
    if (trimmed === '' || trimmed.length > MAX_TITLE) throw new WharfError(Errors.INVALID_REQUEST, `the title must be 1 to ${MAX_TITLE} characters long`);
    const token = generateToken();
    const row = await this.#ctx.metadata.transaction(async (tx) => {
      const created = await tx.apiTokens.create({ userId: caller.id, title: trimmed, tokenHash: tokenHash(token) });
      await tx.audit.record(
        auditEntry(actor, 'create_app_specific_token', { namespace: caller.name }, { app_specific_token_title: created.title, app_specific_token: created.uuid }),
      );
      return created;
    });
    return { row, token };
  }

  /** One of the caller's tokens; another user's token is NOT_FOUND, as if it did not exist. */
  async get(principal: Principal, uuid: string): Promise<ApiTokenRow> {
    const caller = requireUser(principal);
    const row = await this.#ctx.metadata.stores.apiTokens.find(caller.id, uuid);
    if (!row) throw notFound(uuid);
    return row;
  }

  /** Revokes the token: it stops working at once. */
  async revoke(actor: Actor, uuid: string): Promise<void> {
    const caller = requireUser(actor.principal);
    await this.#ctx.metadata.transaction(async (tx) => {
      const row = await tx.apiTokens.find(caller.id, uuid);
      if (!row || !(await tx.apiTokens.delete(caller.id, uuid))) throw notFound(uuid);
      await tx.audit.record(
        auditEntry(actor, 'revoke_app_specific_token', { namespace: caller.name }, { app_specific_token_title: row.title, app_specific_token: row.uuid }),
      );
    });
  }
}

function notFound(uuid: string): WharfError {
  return new WharfError(Errors.NOT_FOUND, `app token ${JSON.stringify(uuid.slice(0, 100))} does not exist`);
}
