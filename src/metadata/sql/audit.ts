/** The audit log: append-only, newest first, filtered by the names it recorded. */
import type { Selectable } from 'kysely';
import type { AuditEntry, AuditQuery, AuditStore, NewAuditEntry } from '../store.js';
import type { AuditLogTable } from './schema.js';
import { fromJson, named, now, toJson, type Db } from './support.js';

function toAuditEntry(row: Selectable<AuditLogTable>): AuditEntry {
  return {
    id: row.id,
    at: row.created_at,
    kind: row.kind,
    performer: { kind: row.performer_kind, name: row.performer_name ?? undefined },
    namespace: row.namespace_name ?? undefined,
    repository: row.repository_name ?? undefined,
    ip: row.ip ?? undefined,
    metadata: fromJson(row.metadata) as Record<string, unknown>,
  };
}

export function sqlAuditStore(db: Db): AuditStore {
  return named('audit', {
    async record(entry: NewAuditEntry): Promise<void> {
      await db
        .insertInto('audit_log')
        .values({
          kind: entry.kind,
          performer_kind: entry.performer.kind,
          performer_name: entry.performer.name ?? null,
          namespace_name: entry.namespace ?? null,
          repository_name: entry.repository ?? null,
          ip: entry.ip ?? null,
          metadata: toJson(entry.metadata),
          created_at: now(),
        })
        .execute();
    },

    async list(query: AuditQuery): Promise<AuditEntry[]> {
      // Ids grow with time, so id order is newest first and `before` pages without gaps.
      const rows = await db
        .selectFrom('audit_log')
        .selectAll()
        .$if(query.namespace !== undefined, (q) => q.where('namespace_name', '=', query.namespace!))
        .$if(query.repository !== undefined, (q) => q.where('repository_name', '=', query.repository!))
        .$if(query.performer !== undefined, (q) => q.where('performer_name', '=', query.performer!))
        .$if(query.before !== undefined, (q) => q.where('id', '<', query.before!))
        .orderBy('id', 'desc')
        .limit(query.n)
        .execute();
      return rows.map(toAuditEntry);
    },
  });
}
