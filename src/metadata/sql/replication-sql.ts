/**
 * The SQL fragments replication questions share. Each is a predicate on the `blob` table (the
 * outer query must select from `blob` unaliased), so one statement answers for a whole batch.
 *
 * A blob's required locations: DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS (`defaults`) plus the
 * `namespace_region` rows of every namespace with a repository linking it (`repo_blob`). It
 * misses L when L is required and there is no `blob_placement` (blob, L).
 */
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { LastCopyError, UnknownLocationError, type Id } from '../store.js';
import { chunks, now, type Db } from './support.js';

/** The replication job kind; equal to REPLICATE_BLOB in jobs/notifier.ts (the suite checks). */
export const REPLICATION_JOB_KIND = 'replicate-blob';

/** Live means pending or running: the states the (kind, key) unique index dedupes. */
export const LIVE_STATES = sql.join([sql.lit('pending'), sql.lit('running')]);

/** The blob misses at least one required location. */
export function missesRequired(defaults: readonly Id[]): RawBuilder<SqlBool> {
  const regionMiss = sql<SqlBool>`exists (
    select 1 from repo_blob rb
    join repository r on r.id = rb.repository_id
    join namespace_region nr on nr.namespace_id = r.namespace_id
    where rb.blob_id = blob.id
      and not exists (select 1 from blob_placement p where p.blob_id = blob.id and p.location_id = nr.location_id))`;
  if (defaults.length === 0) return regionMiss;
  return sql<SqlBool>`(exists (
    select 1 from storage_location l
    where l.id in (${sql.join([...defaults])})
      and not exists (select 1 from blob_placement p where p.blob_id = blob.id and p.location_id = l.id))
    or ${regionMiss})`;
}

/** Some location holds a verified copy (something to replicate from). */
export const hasCopy = (): RawBuilder<SqlBool> => sql<SqlBool>`exists (select 1 from blob_placement p where p.blob_id = blob.id)`;

/** A pending or running replication job exists for the blob. */
// A scalar subquery rather than EXISTS: PostgreSQL turns a correlated EXISTS into a semi-join
// that scans every live job once per batch (43 ms per 1,000 blobs with a 50k-job backlog,
// `npm run bench -- scale`); this form stays one index probe per blob (~10 ms per batch).
export const hasLiveJob = (): RawBuilder<SqlBool> =>
  sql<SqlBool>`(select 1 from job j where j.kind = ${sql.lit(REPLICATION_JOB_KIND)} and j.key = blob.digest and j.state in (${LIVE_STATES}) limit 1) is not null`;

/** `case when <predicate> then 1 else 0 end`: a 0/1 column on both dialects. */
export const flag = (predicate: RawBuilder<SqlBool>): RawBuilder<number> => sql<number>`case when ${predicate} then 1 else 0 end`;

/**
 * One INSERT ... SELECT per chunk of ids: a pending job for each blob that misses a required
 * location and has a copy; ON CONFLICT DO NOTHING skips blobs with a live job (the partial
 * unique index), also under concurrent callers. Returns the number of jobs added.
 */
export async function insertReplicationJobs(db: Db, blobIds: readonly Id[], defaults: readonly Id[]): Promise<number> {
  let added = 0;
  for (const part of chunks([...new Set(blobIds)])) {
    const at = sql.lit(now());
    const select = db
      .selectFrom('blob')
      .select([
        sql.lit(REPLICATION_JOB_KIND).as('kind'),
        'blob.digest as key',
        // JSON built in SQL, the same text on both dialects: {"blobId":<id>}
        sql<string>`${sql.lit('{"blobId":')} || cast(blob.id as text) || ${sql.lit('}')}`.as('payload'),
        sql.lit('pending').as('state'),
        at.as('run_after'),
        at.as('created_at'),
        at.as('updated_at'),
      ])
      .where('blob.id', 'in', part)
      .where(missesRequired(defaults))
      .where(hasCopy());
    const rows = await db
      .insertInto('job')
      .columns(['kind', 'key', 'payload', 'state', 'run_after', 'created_at', 'updated_at'])
      .expression(select)
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .execute();
    added += rows.length;
  }
  return added;
}

/** The contract's own errors, which stores pass to callers unwrapped (see support.ts `named`). */
export function isContractError(e: unknown): boolean {
  return e instanceof UnknownLocationError || e instanceof LastCopyError;
}
