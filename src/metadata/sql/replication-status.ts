/**
 * Per-location replication status in a handful of aggregate statements (never one per blob):
 * required / missing / queued / dead / oldest pending per location in one grouped query over
 * the (blob, required location) relation, then placements per location, jobs by state, blobs
 * with no copy, and (only when some are dead) the dead jobs themselves.
 */
import { sql } from 'kysely';
import type { DeadReplication, Id, JobState, LocationStatus, ReplicationStatus } from '../store.js';
import { flag, hasCopy, hasLiveJob, LIVE_STATES, missesRequired, REPLICATION_JOB_KIND } from './replication-sql.js';
import { now, type Db } from './support.js';

const KIND = sql.lit(REPLICATION_JOB_KIND);

interface Counts {
  location_id: number;
  required: number;
  missing: number | null;
  queued: number | null;
  dead: number | null;
  unqueued: number | null;
  oldest: number | null;
}

export async function replicationStatus(db: Db, defaults: readonly Id[]): Promise<ReplicationStatus> {
  const fromDefaults =
    defaults.length === 0
      ? sql``
      : sql`select b.id as blob_id, b.digest, l.id as location_id
            from blob b cross join storage_location l where l.id in (${sql.join([...defaults])})
            union `;
  // UNION (not UNION ALL): a blob required at L both by default and by a region counts once.
  const { rows } = await sql<Counts>`
    with req as (
      ${fromDefaults}select b.id as blob_id, b.digest, nr.location_id
      from repo_blob rb
      join repository r on r.id = rb.repository_id
      join namespace_region nr on nr.namespace_id = r.namespace_id
      join blob b on b.id = rb.blob_id
    ),
    live_jobs as (
      select key, min(created_at) as oldest from job where kind = ${KIND} and state in (${LIVE_STATES}) group by key
    ),
    dead_jobs as (
      select distinct key from job where kind = ${KIND} and state = 'dead'
    )
    select req.location_id,
      count(*) as required,
      sum(case when p.blob_id is null then 1 else 0 end) as missing,
      sum(case when p.blob_id is null and lj.key is not null then 1 else 0 end) as queued,
      sum(case when p.blob_id is null and lj.key is null and dj.key is not null then 1 else 0 end) as dead,
      sum(case when p.blob_id is null and lj.key is null and dj.key is null and src.blob_id is not null then 1 else 0 end) as unqueued,
      min(case when p.blob_id is null then lj.oldest end) as oldest
    from req
    left join blob_placement p on p.blob_id = req.blob_id and p.location_id = req.location_id
    left join live_jobs lj on lj.key = req.digest
    left join dead_jobs dj on dj.key = req.digest
    left join (select distinct blob_id from blob_placement) src on src.blob_id = req.blob_id
    group by req.location_id`.execute(db);
  const counts = new Map(rows.map((r) => [Number(r.location_id), r]));

  const present = await db
    .selectFrom('blob_placement')
    .select(['location_id', sql<number>`count(*)`.as('n')])
    .groupBy('location_id')
    .execute();
  const presentAt = new Map(present.map((r) => [r.location_id, Number(r.n)]));
  const at = now();
  const locations = (await db.selectFrom('storage_location').select(['id', 'name']).orderBy('id').execute()).map((l): LocationStatus => {
    const c = counts.get(l.id);
    return {
      id: l.id,
      name: l.name,
      required: Number(c?.required ?? 0),
      present: presentAt.get(l.id) ?? 0,
      missing: Number(c?.missing ?? 0),
      queued: Number(c?.queued ?? 0),
      dead: Number(c?.dead ?? 0),
      unqueued: Number(c?.unqueued ?? 0),
      oldestPendingAgeMs: c?.oldest == null ? undefined : Math.max(0, at - Number(c.oldest)),
    };
  });

  const jobs: Record<JobState, number> = { pending: 0, running: 0, done: 0, dead: 0 };
  const byState = await db
    .selectFrom('job')
    .select(['state', sql<number>`count(*)`.as('n')])
    .where('kind', '=', REPLICATION_JOB_KIND)
    .groupBy('state')
    .execute();
  for (const r of byState) jobs[r.state] = Number(r.n);

  const lost = await db
    .selectFrom('blob')
    .select([sql<number>`count(*)`.as('n'), sql<number>`sum(${flag(missesRequired(defaults))})`.as('required')])
    .where(sql<boolean>`not ${hasCopy()}`)
    .executeTakeFirstOrThrow();
  const deadJobs = locations.some((l) => l.dead > 0) ? await stuck(db, defaults) : [];
  return { locations, jobs, lost: Number(lost.n), unreplicable: Number(lost.required ?? 0), deadJobs };
}

/** Dead jobs of blobs that still miss a location and have no live job (they will not converge). */
async function stuck(db: Db, defaults: readonly Id[]): Promise<DeadReplication[]> {
  const rows = await db
    .selectFrom('job')
    .innerJoin('blob', 'blob.digest', 'job.key')
    .select(['blob.id', 'blob.uuid', 'blob.digest', 'job.attempts', 'job.last_error'])
    .where('job.kind', '=', REPLICATION_JOB_KIND)
    .where('job.state', '=', 'dead')
    .where(sql<boolean>`not ${hasLiveJob()}`)
    .where(missesRequired(defaults))
    .orderBy('job.id')
    .limit(20)
    .execute();
  return rows.map((r) => ({ blob: { id: r.id, uuid: r.uuid, digest: r.digest }, attempts: r.attempts, lastError: r.last_error ?? undefined }));
}
