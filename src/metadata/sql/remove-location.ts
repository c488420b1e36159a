/**
 * Removing a storage location (Quay's util.removelocation), in one transaction and last-copy
 * safe: nothing changes unless every step succeeds, and blobs whose only verified copy is at
 * the location stop the removal unless `force`.
 */
import { sql } from 'kysely';
import { LastCopyError, UnknownLocationError, type BlobRef, type Dialect, type RemoveLocationResult } from '../store.js';
import { REPLICATION_JOB_KIND } from './replication-sql.js';
import { atomic, count, type Db } from './support.js';

export function removeLocation(db: Db, dialect: Dialect, name: string, options: { force: boolean }): Promise<RemoveLocationResult> {
  return atomic(db, async (tx) => {
    // PostgreSQL: the row lock makes concurrent placement/upload inserts at this location wait
    // for us (their foreign key check needs a share lock), then fail once the row is gone.
    const location = await tx
      .selectFrom('storage_location')
      .select('id')
      .where('name', '=', name)
      .$if(dialect === 'postgres', (qb) => qb.forUpdate())
      .executeTakeFirst();
    if (!location) throw new UnknownLocationError(name);
    const id = location.id;

    /** Placements at this location of blobs placed nowhere else. */
    const onlyHere = sql<boolean>`p.location_id = ${id} and not exists (
      select 1 from blob_placement q where q.blob_id = p.blob_id and q.location_id <> ${id})`;
    const orphaned: BlobRef[] = await tx
      .selectFrom('blob_placement as p')
      .innerJoin('blob as b', 'b.id', 'p.blob_id')
      .select(['b.id', 'b.uuid', 'b.digest'])
      .where(onlyHere)
      .orderBy('b.id')
      .execute();
    if (orphaned.length > 0 && !options.force) throw new LastCopyError(name, orphaned.length);

    const uploads = await tx.deleteFrom('blob_upload').where('location_id', '=', id).executeTakeFirst();
    const regions = await tx.deleteFrom('namespace_region').where('location_id', '=', id).executeTakeFirst();
    // Pending jobs of blobs left with no copy can only fail; running ones may still rescue a copy.
    const jobs = await tx
      .deleteFrom('job')
      .where('kind', '=', REPLICATION_JOB_KIND)
      .where('state', '=', 'pending')
      .where('key', 'in', (eb) => eb.selectFrom('blob_placement as p').innerJoin('blob as b', 'b.id', 'p.blob_id').select('b.digest').where(onlyHere))
      .executeTakeFirst();
    const placements = await tx.selectFrom('blob_placement').select('blob_id').where('location_id', '=', id).orderBy('blob_id').execute();
    await tx.deleteFrom('blob_placement').where('location_id', '=', id).execute();
    await tx.deleteFrom('storage_location').where('id', '=', id).execute();
    return {
      placementIds: placements.map((p) => p.blob_id),
      uploadsRemoved: count(uploads.numDeletedRows),
      regionsRemoved: count(regions.numDeletedRows),
      jobsDropped: count(jobs.numDeletedRows),
      orphanedBlobs: orphaned,
    };
  });
}
