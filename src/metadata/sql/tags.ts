/** Tags: at most one current row per (repository, name); ended rows are the tag's history. */
import type { Id, ManifestRow, Page, TagStore } from '../store.js';
import { MANIFEST_COLUMNS, toManifestRow } from './manifests.js';
import { atomic, count, named, now, type Db } from './support.js';

/** Retries of `put` when a concurrent put of the same tag commits between our two statements. */
const PUT_ATTEMPTS = 5;

export function sqlTagStore(db: Db): TagStore {
  const endCurrent = (on: Db, repositoryId: Id, tag: string, at: number) =>
    on
      .updateTable('tag')
      .set({ lifetime_end: at })
      .where('repository_id', '=', repositoryId)
      .where('name', '=', tag)
      .where('lifetime_end', 'is', null)
      .executeTakeFirst();

  return named('tags', {
    async resolve(repositoryId: Id, tag: string): Promise<ManifestRow | undefined> {
      const row = await db
        .selectFrom('tag')
        .innerJoin('manifest', 'manifest.id', 'tag.manifest_id')
        .select(MANIFEST_COLUMNS)
        .where('tag.repository_id', '=', repositoryId)
        .where('tag.name', '=', tag)
        .where('tag.lifetime_end', 'is', null)
        .executeTakeFirst();
      return row && toManifestRow(row);
    },

    async list(repositoryId: Id, page: Page): Promise<string[]> {
      // `name` sorts byte-wise on both dialects (collation "C" on PostgreSQL; see migrations).
      let query = db
        .selectFrom('tag')
        .select('name')
        .where('repository_id', '=', repositoryId)
        .where('lifetime_end', 'is', null)
        .orderBy('name')
        .limit(page.n);
      if (page.last !== undefined) query = query.where('name', '>', page.last);
      const rows = await query.execute();
      return rows.map((r) => r.name);
    },

    async put(repositoryId: Id, tag: string, manifestId: Id): Promise<void> {
      await atomic(db, async (tx) => {
        // On PostgreSQL (read committed) a concurrent put may insert its row after our UPDATE
        // looked; our INSERT then meets the unique index on current tags and does nothing, and
        // the next round ends that row too. The last put to commit wins, history keeps both.
        for (let attempt = 1; attempt <= PUT_ATTEMPTS; attempt++) {
          const at = now();
          await endCurrent(tx, repositoryId, tag, at);
          const inserted = await tx
            .insertInto('tag')
            .values({ repository_id: repositoryId, name: tag, manifest_id: manifestId, lifetime_start: at })
            .onConflict((oc) => oc.doNothing())
            .returning('id')
            .executeTakeFirst();
          if (inserted) return;
        }
        throw new Error(`tag ${tag} kept changing under concurrent updates`);
      });
    },

    async delete(repositoryId: Id, tag: string): Promise<boolean> {
      const result = await endCurrent(db, repositoryId, tag, now());
      return count(result.numUpdatedRows) > 0;
    },
  });
}
