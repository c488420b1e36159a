/** Tag lifetimes as history (Quay's tag history view), and restoring a tag to an earlier manifest. */
import { sql } from 'kysely';
import type { Id, TagHistoryRow, TagHistoryStore } from '../store.js';
import { atomic, named, type Db } from './support.js';
import { sqlTagStore } from './tags.js';

export function sqlTagHistoryStore(db: Db): TagHistoryStore {
  return named('tagHistory', {
    async history(repositoryId: Id, query: { tag?: string; onlyActive?: boolean; offset: number; limit: number }): Promise<TagHistoryRow[]> {
      // The cast keeps the sum an int8 on PostgreSQL (sum(bigint) is numeric, which pg returns as a string).
      const size = sql<number>`cast(manifest.size + coalesce((
        select sum(blob.size) from manifest_blob join blob on blob.id = manifest_blob.blob_id
        where manifest_blob.manifest_id = manifest.id), 0) as bigint)`;
      const rows = await db
        .selectFrom('tag')
        .innerJoin('manifest', 'manifest.id', 'tag.manifest_id')
        .select(['tag.name', 'manifest.digest', 'manifest.media_type', size.as('size'), 'tag.lifetime_start', 'tag.lifetime_end'])
        .where('tag.repository_id', '=', repositoryId)
        .$if(query.tag !== undefined, (q) => q.where('tag.name', '=', query.tag!))
        .$if(query.onlyActive === true, (q) => q.where('tag.lifetime_end', 'is', null))
        .orderBy('tag.lifetime_start', 'desc')
        .orderBy('tag.id', 'desc')
        .offset(query.offset)
        .limit(query.limit)
        .execute();
      return rows.map((r) => ({
        name: r.name,
        manifestDigest: r.digest,
        mediaType: r.media_type,
        size: Number(r.size),
        start: r.lifetime_start,
        end: r.lifetime_end ?? undefined,
      }));
    },

    async restore(repositoryId: Id, tag: string, manifestDigest: string): Promise<boolean> {
      return atomic(db, async (tx) => {
        const manifest = await tx
          .selectFrom('manifest')
          .select('id')
          .where('repository_id', '=', repositoryId)
          .where('digest', '=', manifestDigest)
          .executeTakeFirst();
        if (!manifest) return false;
        // The same history-keeping move as a push (ends the current lifetime, starts a new one).
        await sqlTagStore(tx).put(repositoryId, tag, manifest.id);
        return true;
      });
    },
  });
}
