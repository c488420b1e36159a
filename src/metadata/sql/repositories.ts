/** Namespaces and repositories. */
import type { RepositoryName } from '../../domain/index.js';
import type { Page, RepositoryRow, RepositoryStore } from '../store.js';
import { named, now, type Db } from './support.js';

/** Namespaces created implicitly by a push (not by the management API) are organizations. */
const IMPLICIT_NAMESPACE_KIND = 'organization';

export function sqlRepositoryStore(db: Db): RepositoryStore {
  const find = async (name: string): Promise<RepositoryRow | undefined> => {
    const row = await db
      .selectFrom('repository')
      .select(['id', 'name', 'namespace_id'])
      .where('name', '=', name)
      .executeTakeFirst();
    return row && { id: row.id, name: row.name, namespaceId: row.namespace_id };
  };

  return named('repositories', {
    find,

    async ensure(name: RepositoryName): Promise<RepositoryRow> {
      const existing = await find(name.value);
      if (existing) return existing;
      // Insert-or-ignore, then read back: concurrent ensures all return the same rows.
      await db
        .insertInto('namespace')
        .values({ name: name.namespace, kind: IMPLICIT_NAMESPACE_KIND, created_at: now() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const namespace = await db
        .selectFrom('namespace')
        .select('id')
        .where('name', '=', name.namespace)
        .executeTakeFirstOrThrow();
      await db
        .insertInto('repository')
        .values({ namespace_id: namespace.id, name: name.value, created_at: now() })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const created = await find(name.value);
      if (!created) throw new Error(`repository ${name.value} vanished after insert`);
      return created;
    },

    async list(page: Page): Promise<string[]> {
      // `name` sorts byte-wise on both dialects (collation "C" on PostgreSQL; see migrations).
      let query = db.selectFrom('repository').select('name').orderBy('name').limit(page.n);
      if (page.last !== undefined) query = query.where('name', '>', page.last);
      const rows = await query.execute();
      return rows.map((r) => r.name);
    },
  });
}
