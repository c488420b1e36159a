/** Which locations hold verified copies of which blobs. */
import type { Id, PlacementStore } from '../store.js';
import { count, named, now, type Db } from './support.js';

export function sqlPlacementStore(db: Db): PlacementStore {
  return named('placements', {
    async add(blobId: Id, locationId: Id): Promise<void> {
      await db
        .insertInto('blob_placement')
        .values({ blob_id: blobId, location_id: locationId, created_at: now() })
        .onConflict((oc) => oc.columns(['blob_id', 'location_id']).doNothing())
        .execute();
    },

    async locationsOf(blobId: Id): Promise<Id[]> {
      const rows = await db
        .selectFrom('blob_placement')
        .select('location_id')
        .where('blob_id', '=', blobId)
        .orderBy('location_id')
        .execute();
      return rows.map((r) => r.location_id);
    },

    async remove(blobId: Id, locationId: Id): Promise<boolean> {
      const result = await db
        .deleteFrom('blob_placement')
        .where('blob_id', '=', blobId)
        .where('location_id', '=', locationId)
        .executeTakeFirst();
      return count(result.numDeletedRows) > 0;
    },
  });
}
