/**
 * Reading the audit log (Quay's logs resource): a repository's entries for its admins, an
 * organization's for its admins, the caller's own actions, everything for superusers. Newest
 * first, paged by entry id; an optional window of days (Quay's `starttime`/`endtime`,
 * `MM/DD/YYYY` in UTC, end day included) is applied while paging.
 */
import type { Principal } from '../auth/principal.js';
import { Errors, WharfError } from '../errors/index.js';
import type { AuditEntry, AuditQuery, Id, NamespaceKind } from '../metadata/store.js';
import type { ManagementContext } from './context.js';
import { requireSuperuser } from './access-checks.js';
import { openRepository } from './repository-access.js';

export const LOGS_PER_PAGE = 50;
/** Entries one request reads at most while looking for ones inside the window; the next page continues from there. */
const MAX_SCANNED = 2_000;
const DAY_MS = 86_400_000;

export interface LogWindow {
  /** Quay's `starttime`, `MM/DD/YYYY` (UTC). */
  readonly startTime?: string;
  /** Quay's `endtime`, `MM/DD/YYYY` (UTC); the whole day is included. */
  readonly endTime?: string;
  /** The `next_page` of the previous answer. */
  readonly before?: Id;
}

export interface LogPage {
  readonly entries: AuditEntry[];
  /** The window served, epoch ms (start inclusive, end exclusive). */
  readonly start: number;
  readonly end: number;
  /** Pass back as `before`; undefined when the log holds no older entries in the window. */
  readonly next: Id | undefined;
  /** Namespace kinds by name, for entries of listings that are not about one namespace. */
  readonly namespaces: ReadonlyMap<string, NamespaceKind> | undefined;
}

export class AuditLogService {
  readonly #ctx: ManagementContext;

  constructor(ctx: ManagementContext) {
    this.#ctx = ctx;
  }

  async repository(principal: Principal, name: string, window: LogWindow): Promise<LogPage> {
    const { repository } = await openRepository(this.#ctx, principal, name, 'admin');
    return this.#read({ repository: repository.name }, window, false);
  }

  async organization(principal: Principal, orgName: string, window: LogWindow): Promise<LogPage> {
    const namespace = await this.#ctx.metadata.stores.accounts.findNamespace(orgName);
    if (!namespace || namespace.kind !== 'organization') throw new WharfError(Errors.NOT_FOUND, `organization ${orgName} not found`);
    if ((await this.#ctx.authorizer.namespaceRole(principal, namespace.id)) !== 'admin') {
      throw new WharfError(Errors.INSUFFICIENT_SCOPE, `only admins of ${orgName} may read its logs`);
    }
    return this.#read({ namespace: namespace.name }, window, false);
  }

  /** What the caller did, wherever. */
  async performer(principal: Principal, window: LogWindow): Promise<LogPage> {
    if (principal.kind === 'anonymous') throw new WharfError(Errors.INVALID_TOKEN, 'this endpoint requires credentials');
    return this.#read({ performer: principal.name }, window, true);
  }

  async everything(principal: Principal, window: LogWindow): Promise<LogPage> {
    requireSuperuser(this.#ctx, principal);
    return this.#read({}, window, true);
  }

  async #read(filter: Omit<AuditQuery, 'n' | 'before'>, window: LogWindow, withNamespaces: boolean): Promise<LogPage> {
    const start = window.startTime === undefined ? undefined : parseDay(window.startTime, 'starttime');
    const endDay = window.endTime === undefined ? undefined : parseDay(window.endTime, 'endtime');
    const end = endDay === undefined ? undefined : endDay + DAY_MS;
    if (start !== undefined && end !== undefined && end <= start) throw new WharfError(Errors.INVALID_REQUEST, 'endtime is before starttime');
    const entries: AuditEntry[] = [];
    let before = window.before;
    let scanned = 0;
    let next: Id | undefined;
    // Newest first: skip entries after the window, stop at the first one before it.
    scan: for (;;) {
      const batch = await this.#ctx.metadata.stores.audit.list({ ...filter, before, n: LOGS_PER_PAGE + 1 });
      for (const entry of batch) {
        if (start !== undefined && entry.at < start) break scan;
        scanned++;
        before = entry.id;
        if (end !== undefined && entry.at >= end) continue;
        if (entries.length === LOGS_PER_PAGE) {
          next = entries[entries.length - 1]?.id;
          break scan;
        }
        entries.push(entry);
      }
      if (batch.length <= LOGS_PER_PAGE) break;
      if (scanned >= MAX_SCANNED) {
        next = before;
        break;
      }
    }
    const now = Date.now();
    return {
      entries,
      start: start ?? entries[entries.length - 1]?.at ?? now,
      end: end ?? now,
      next,
      namespaces: withNamespaces ? await this.#namespaceKinds(entries) : undefined,
    };
  }

  async #namespaceKinds(entries: readonly AuditEntry[]): Promise<Map<string, NamespaceKind>> {
    const kinds = new Map<string, NamespaceKind>();
    for (const name of new Set(entries.map((e) => e.namespace))) {
      if (name === undefined) continue;
      const row = await this.#ctx.metadata.stores.accounts.findNamespace(name);
      if (row) kinds.set(name, row.kind);
    }
    return kinds;
  }
}

/** `MM/DD/YYYY` as the epoch ms of that day's start in UTC. */
export function parseDay(text: string, field: string): number {
  const match = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  const [month, day, year] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [0, 0, 0];
  const ms = Date.UTC(year, month - 1, day);
  const date = new Date(ms);
  if (!match || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    throw new WharfError(Errors.INVALID_REQUEST, `${field} must be a date as MM/DD/YYYY`);
  }
  return ms;
}
