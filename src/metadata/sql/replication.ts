/** Replication bookkeeping: what misses where, backfill, placements listing (all set-based). */
import { sql } from 'kysely';
import type { BackfillBatch, BlobPlacements, BlobRef, Dialect, Id, PlacementRef, ReplicationStore } from '../store.js';
import { removeLocation } from './remove-location.js';
import { flag, hasCopy, hasLiveJob, insertReplicationJobs, missesRequired, isContractError } from './replication-sql.js';
import { replicationStatus } from './replication-status.js';
import { atomic, chunks, count, named, type Db } from './support.js';

export function sqlReplicationStore(db: Db, dialect: Dialect): ReplicationStore {
  return named('replication', {
    async requiredLocations(blobId: Id, defaults: readonly Id[]): Promise<Id[]> {
      const regions = await db
        .selectFrom('repo_blob as rb')
        .innerJoin('repository as r', 'r.id', 'rb.repository_id')
        .innerJoin('namespace_region as nr', 'nr.namespace_id', 'r.namespace_id')
        .select('nr.location_id')
        .where('rb.blob_id', '=', blobId)
        .execute();
      const known =
        defaults.length === 0 ? [] : await db.selectFrom('storage_location').select('id').where('id', 'in', [...defaults]).execute();
      return [...new Set([...known.map((r) => r.id), ...regions.map((r) => r.location_id)])].sort((a, b) => a - b);
    },

    enqueueMissing: (blobIds: readonly Id[], defaults: readonly Id[]) => insertReplicationJobs(db, blobIds, defaults),

    async backfill(afterId: Id, limit: number, defaults: readonly Id[], dryRun: boolean): Promise<BackfillBatch> {
      const scan = await db.selectFrom('blob').select('id').where('id', '>', afterId).orderBy('id').limit(limit).execute();
      const lastId = scan.at(-1)?.id;
      if (lastId === undefined) return { blobs: [], enqueued: 0, scanned: 0, alreadyQueued: 0, lost: [], lastId };
      // One statement for the whole batch: the blobs that miss something, and why.
      const missing = await db
        .selectFrom('blob')
        .select(['blob.id', 'blob.uuid', 'blob.digest', flag(hasLiveJob()).as('queued'), flag(hasCopy()).as('copied')])
        .where('blob.id', '>', afterId)
        .where('blob.id', '<=', lastId)
        .where(missesRequired(defaults))
        .orderBy('blob.id')
        .execute();
      const ref = (r: BlobRef): BlobRef => ({ id: r.id, uuid: r.uuid, digest: r.digest });
      const blobs = missing.filter((r) => Number(r.copied) === 1 && Number(r.queued) === 0).map(ref);
      const lost = missing.filter((r) => Number(r.copied) === 0).map(ref);
      const alreadyQueued = missing.filter((r) => Number(r.copied) === 1 && Number(r.queued) === 1).length;
      const enqueued = dryRun ? 0 : await insertReplicationJobs(db, blobs.map((b) => b.id), defaults);
      return { blobs, enqueued, scanned: scan.length, alreadyQueued, lost, lastId };
    },

    async blobCount(): Promise<number> {
      const row = await db.selectFrom('blob').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },

    status: (defaults: readonly Id[]) => replicationStatus(db, defaults),

    removeLocation: (name: string, options: { force: boolean }) => removeLocation(db, dialect, name, options),

    async placements(afterBlobId: Id, limit: number): Promise<BlobPlacements[]> {
      const blobs = await db
        .selectFrom('blob')
        .select(['id', 'uuid', 'digest', 'size'])
        .where('id', '>', afterBlobId)
        .orderBy('id')
        .limit(limit)
        .execute();
      const first = blobs[0];
      const last = blobs.at(-1);
      if (!first || !last) return [];
      const rows = await db
        .selectFrom('blob_placement')
        .select(['blob_id', 'location_id'])
        .where('blob_id', '>=', first.id)
        .where('blob_id', '<=', last.id)
        .orderBy('blob_id')
        .orderBy('location_id')
        .execute();
      const byBlob = new Map<Id, Id[]>();
      for (const r of rows) byBlob.set(r.blob_id, [...(byBlob.get(r.blob_id) ?? []), r.location_id]);
      return blobs.map((b) => ({ ...b, locationIds: byBlob.get(b.id) ?? [] }));
    },

    async dropPlacements(pairs: readonly PlacementRef[]): Promise<{ removed: number; withoutCopy: BlobRef[] }> {
      if (pairs.length === 0) return { removed: 0, withoutCopy: [] };
      return atomic(db, async (tx) => {
        let removed = 0;
        for (const part of chunks(pairs, 250)) {
          const result = await tx
            .deleteFrom('blob_placement')
            .where((eb) => eb.or(part.map((p) => eb.and([eb('blob_id', '=', p.blobId), eb('location_id', '=', p.locationId)]))))
            .executeTakeFirst();
          removed += count(result.numDeletedRows);
        }
        const withoutCopy: BlobRef[] = [];
        for (const part of chunks([...new Set(pairs.map((p) => p.blobId))])) {
          const rows = await tx
            .selectFrom('blob')
            .select(['blob.id', 'blob.uuid', 'blob.digest'])
            .where('blob.id', 'in', part)
            .where(sql<boolean>`not ${hasCopy()}`)
            .orderBy('blob.id')
            .execute();
          withoutCopy.push(...rows);
        }
        return { removed, withoutCopy };
      });
    },
  }, isContractError);
}
