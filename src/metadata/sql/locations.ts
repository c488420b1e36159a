/** The configured storage locations (Quay's ImageStorageLocation). */
import type { LocationRow, LocationStore } from '../store.js';
import { named, type Db } from './support.js';

export function sqlLocationStore(db: Db): LocationStore {
  const list = async (): Promise<LocationRow[]> =>
    db.selectFrom('storage_location').select(['id', 'name']).orderBy('id').execute();

  return named('locations', {
    list,

    async sync(names: readonly string[]): Promise<Map<string, LocationRow>> {
      const unique = [...new Set(names)];
      if (unique.length > 0) {
        await db
          .insertInto('storage_location')
          .values(unique.map((name) => ({ name })))
          .onConflict((oc) => oc.column('name').doNothing())
          .execute();
      }
      return new Map((await list()).map((row) => [row.name, row]));
    },
  });
}
