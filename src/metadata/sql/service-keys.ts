/** Public keys of the instances' token-signing keys, shared through the database. */
import type { ServiceKeyRow, ServiceKeyStore } from '../store.js';
import { fromJson, named, now, toJson, type Db } from './support.js';

export function sqlServiceKeyStore(db: Db): ServiceKeyStore {
  return named('serviceKeys', {
    async publish(kid: string, jwk: Readonly<Record<string, unknown>>): Promise<void> {
      // A kid names one key pair: publishing it again (every start) keeps the first row.
      await db
        .insertInto('service_key')
        .values({ kid, jwk: toJson(jwk), created_at: now() })
        .onConflict((oc) => oc.column('kid').doNothing())
        .execute();
    },

    async find(kid: string): Promise<ServiceKeyRow | undefined> {
      const row = await db.selectFrom('service_key').selectAll().where('kid', '=', kid).executeTakeFirst();
      return row && { kid: row.kid, jwk: fromJson(row.jwk) as Record<string, unknown>, createdAt: row.created_at };
    },
  });
}
