/** Upload sessions: pinned location, bytes received so far, the driver's session state. */
import type { Selectable } from 'kysely';
import type { Id, UploadRow, UploadStore } from '../store.js';
import type { BlobUploadTable } from './schema.js';
import { count, fromJson, named, now, toJson, type Db } from './support.js';

function toRow(row: Selectable<BlobUploadTable>): UploadRow {
  return {
    id: row.id,
    repositoryId: row.repository_id,
    locationId: row.location_id,
    offset: row.offset,
    driverState: fromJson(row.driver_state),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function sqlUploadStore(db: Db): UploadStore {
  return named('uploads', {
    async create(upload: { id: string; repositoryId: Id; locationId: Id; driverState: unknown }): Promise<UploadRow> {
      const at = now();
      const row = await db
        .insertInto('blob_upload')
        .values({
          id: upload.id,
          repository_id: upload.repositoryId,
          location_id: upload.locationId,
          offset: 0,
          driver_state: toJson(upload.driverState),
          created_at: at,
          updated_at: at,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRow(row);
    },

    async find(id: string): Promise<UploadRow | undefined> {
      const row = await db.selectFrom('blob_upload').selectAll().where('id', '=', id).executeTakeFirst();
      return row && toRow(row);
    },

    async advance(id: string, fromOffset: number, toOffset: number, driverState: unknown): Promise<boolean> {
      // Compare-and-set on the offset: of two requests racing from the same offset, one wins.
      const result = await db
        .updateTable('blob_upload')
        .set({ offset: toOffset, driver_state: toJson(driverState), updated_at: now() })
        .where('id', '=', id)
        .where('offset', '=', fromOffset)
        .executeTakeFirst();
      return count(result.numUpdatedRows) === 1;
    },

    async delete(id: string): Promise<boolean> {
      const result = await db.deleteFrom('blob_upload').where('id', '=', id).executeTakeFirst();
      return count(result.numDeletedRows) > 0;
    },

    async listStale(before: number, limit: number): Promise<UploadRow[]> {
      const rows = await db
        .selectFrom('blob_upload')
        .selectAll()
        .where('updated_at', '<', before)
        .orderBy('updated_at')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(toRow);
    },
  });
}
