/**
 * The durable job table: enqueue with dedupe, claim with a lease, and the owner-only moves that
 * end a run (complete, retry, bury). The queue policy (backoff, attempts, renew cadence) lives in
 * jobs/runner.ts; this file only makes each move atomic on both dialects.
 *
 * Lease times come from this process's clock (epoch ms, like every time in the schema); with a
 * lease of a minute renewed every 20 s, clock skew of a few seconds between instances is harmless.
 */
import { sql, type ExpressionBuilder, type Selectable } from 'kysely';
import type { Dialect, Id, JobRow, JobState, JobStore } from '../store.js';
import type { Database, JobTable } from './schema.js';
import { atomic, count, fromJson, named, now, toJson, type Db } from './support.js';

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

const STATES: readonly JobState[] = ['pending', 'running', 'done', 'dead'];

/** The error text kept on a row: enough to diagnose, bounded so a huge message cannot bloat the table. */
const MAX_ERROR_LENGTH = 4000;
const clip = (error: string) => (error.length > MAX_ERROR_LENGTH ? `${error.slice(0, MAX_ERROR_LENGTH)}…` : error);

export function sqlJobStore(db: Db, dialect: Dialect): JobStore {
  /** The row as long as `worker` holds its lease (expired or not: nobody else has taken it). */
  const owned = (id: Id, worker: string) => (eb: ExpressionBuilder<Database, 'job'>) =>
    eb.and([eb('id', '=', id), eb('lease_owner', '=', worker), eb('state', '=', 'running')]);

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

    async claim(kind: string, worker: string, leaseMs: number): Promise<JobRow | undefined> {
      const at = now();
      const next = (tx: Db) =>
        tx
          .selectFrom('job')
          .select('id')
          .where('kind', '=', kind)
          // Literal (not bound) states and the redundant `run_after <= now` (a running job was due
          // when it was claimed) let both planners walk the partial index job_due in order and stop
          // at the first match, instead of sorting every due job of a large backlog.
          .where(sql<boolean>`state in ('pending', 'running')`)
          .where('run_after', '<=', at)
          .where((eb) => eb.or([eb('state', '=', 'pending'), eb('lease_until', '<', at)]))
          .orderBy('run_after')
          .orderBy('id')
          .limit(1)
          // PostgreSQL: concurrent claimers skip each other's rows instead of queueing on them.
          .$if(dialect === 'postgres', (q) => q.forUpdate().skipLocked());
      // SQLite: `begin immediate` takes the single write lock first, so the pick and the update
      // cannot interleave with another process's claim (and busy_timeout applies).
      const row = await atomic(db, (tx) =>
        tx
          .updateTable('job')
          .set((eb) => ({
            state: 'running',
            lease_owner: worker,
            lease_until: at + leaseMs,
            attempts: eb('attempts', '+', 1),
            updated_at: at,
          }))
          .where('id', '=', next(tx))
          .returningAll()
          .executeTakeFirst(),
      );
      return row && toJobRow(row);
    },

    async renew(id: Id, worker: string, leaseMs: number): Promise<boolean> {
      const at = now();
      const result = await db
        .updateTable('job')
        .set({ lease_until: at + leaseMs, updated_at: at })
        .where(owned(id, worker))
        .executeTakeFirst();
      return count(result.numUpdatedRows) > 0;
    },

    async complete(id: Id, worker: string): Promise<boolean> {
      const result = await db.deleteFrom('job').where(owned(id, worker)).executeTakeFirst();
      return count(result.numDeletedRows) > 0;
    },

    async retry(id: Id, worker: string, error: string, runAfter: number): Promise<boolean> {
      const result = await db
        .updateTable('job')
        .set({ state: 'pending', run_after: runAfter, lease_until: null, lease_owner: null, last_error: clip(error), updated_at: now() })
        .where(owned(id, worker))
        .executeTakeFirst();
      return count(result.numUpdatedRows) > 0;
    },

    async bury(id: Id, worker: string, error: string): Promise<boolean> {
      // lease_owner stays: for an operator looking at a dead job, which worker gave up on it.
      const result = await db
        .updateTable('job')
        .set({ state: 'dead', lease_until: null, last_error: clip(error), updated_at: now() })
        .where(owned(id, worker))
        .executeTakeFirst();
      return count(result.numUpdatedRows) > 0;
    },

    async counts(kind: string): Promise<Record<JobState, number>> {
      const rows = await db
        .selectFrom('job')
        .select((eb) => ['state', eb.fn.countAll<number>().as('n')])
        .where('kind', '=', kind)
        .groupBy('state')
        .execute();
      const counts = Object.fromEntries(STATES.map((s) => [s, 0])) as Record<JobState, number>;
      for (const row of rows) counts[row.state] = Number(row.n);
      return counts;
    },
  });
}
