/** Per-namespace required locations (Quay's UserRegion), settable by operators. */
import { UnknownLocationError, type NamespaceRegionRow, type RegionStore } from '../store.js';
import { isContractError } from './replication-sql.js';
import { atomic, count, named, now, type Db } from './support.js';

/** Namespaces created here (not by the management API) are organizations, as for pushes. */
const IMPLICIT_NAMESPACE_KIND = 'organization';

export function sqlRegionStore(db: Db): RegionStore {
  const locationId = (on: Db, name: string) => on.selectFrom('storage_location').select('id').where('name', '=', name);
  const namespaceId = (on: Db, name: string) => on.selectFrom('namespace').select('id').where('name', '=', name);

  return named('regions', {
    async add(namespace: string, location: string): Promise<boolean> {
      return atomic(db, async (tx) => {
        const loc = await locationId(tx, location).executeTakeFirst();
        if (!loc) throw new UnknownLocationError(location);
        await tx
          .insertInto('namespace')
          .values({ name: namespace, kind: IMPLICIT_NAMESPACE_KIND, created_at: now() })
          .onConflict((oc) => oc.column('name').doNothing())
          .execute();
        const ns = await namespaceId(tx, namespace).executeTakeFirstOrThrow();
        const inserted = await tx
          .insertInto('namespace_region')
          .values({ namespace_id: ns.id, location_id: loc.id })
          .onConflict((oc) => oc.columns(['namespace_id', 'location_id']).doNothing())
          .returning('namespace_id')
          .executeTakeFirst();
        return inserted !== undefined;
      });
    },

    async remove(namespace: string, location: string): Promise<boolean> {
      const result = await db
        .deleteFrom('namespace_region')
        .where('namespace_id', 'in', namespaceId(db, namespace))
        .where('location_id', 'in', locationId(db, location))
        .executeTakeFirst();
      return count(result.numDeletedRows) > 0;
    },

    async list(namespace?: string): Promise<NamespaceRegionRow[]> {
      let query = db
        .selectFrom('namespace_region as nr')
        .innerJoin('namespace as n', 'n.id', 'nr.namespace_id')
        .innerJoin('storage_location as l', 'l.id', 'nr.location_id')
        .select(['n.name as namespace', 'l.name as location'])
        .orderBy('n.name')
        .orderBy('l.name');
      if (namespace !== undefined) query = query.where('n.name', '=', namespace);
      return query.execute();
    },
  }, isContractError);
}
