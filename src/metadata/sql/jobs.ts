/** The durable job table; claiming, leases and retries live in jobs/. */
import type { Selectable } from 'kysely';
import type { JobRow, JobState, JobStore } from '../store.js';
import type { JobTable } from './schema.js';
import { fromJson, named, now, toJson, type Db } from './support.js';

export function toJobRow(row: Selectable<JobTable>): JobRow {
  return {
    id: row.id,
    kind: row.kind,
    key: row.key,
    payload: fromJson(row.payload),
    state: row.state,
    attempts: row.attempts,
    runAfter: row.run_after,
    leaseUntil: row.lease_until ?? undefined,
    lastError: row.last_error ?? undefined,
  };
}

export function sqlJobStore(db: Db): JobStore {
  return named('jobs', {
    async enqueue(job: { kind: string; key: string; payload: unknown; runAfter?: number }): Promise<boolean> {
      const at = now();
      // The partial unique index on (kind, key) for live jobs turns a duplicate into a no-op.
      const inserted = await db
        .insertInto('job')
        .values({
          kind: job.kind,
          key: job.key,
          payload: toJson(job.payload),
          state: 'pending',
          run_after: job.runAfter ?? at,
          created_at: at,
          updated_at: at,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    async list(kind: string, state: JobState, limit: number): Promise<JobRow[]> {
      const rows = await db
        .selectFrom('job')
        .selectAll()
        .where('kind', '=', kind)
        .where('state', '=', state)
        .orderBy('created_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(toJobRow);
    },
  });
}
