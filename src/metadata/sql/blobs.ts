/** Blob records and their links into repositories. */
import { randomUUID } from 'node:crypto';
import type { BlobRow, BlobStore, Id } from '../store.js';
import { chunks, count, named, now, type Db } from './support.js';

export function sqlBlobStore(db: Db): BlobStore {
  const find = async (digest: string): Promise<BlobRow | undefined> =>
    db.selectFrom('blob').select(['id', 'digest', 'size', 'uuid']).where('digest', '=', digest).executeTakeFirst();

  const inRepository = (repositoryId: Id) =>
    db
      .selectFrom('blob')
      .innerJoin('repo_blob', 'repo_blob.blob_id', 'blob.id')
      .select(['blob.id', 'blob.digest', 'blob.size', 'blob.uuid'])
      .where('repo_blob.repository_id', '=', repositoryId);

  return named('blobs', {
    find,

    async findInRepository(repositoryId: Id, digest: string): Promise<BlobRow | undefined> {
      return inRepository(repositoryId).where('blob.digest', '=', digest).executeTakeFirst();
    },

    async record(digest: string, size: number): Promise<BlobRow> {
      const existing = await find(digest);
      if (existing) return existing;
      await db
        .insertInto('blob')
        .values({ digest, size, uuid: randomUUID(), created_at: now() })
        .onConflict((oc) => oc.column('digest').doNothing())
        .execute();
      const row = await find(digest);
      if (!row) throw new Error(`blob ${digest} vanished after insert`);
      return row;
    },

    async link(repositoryId: Id, blobId: Id): Promise<void> {
      await db
        .insertInto('repo_blob')
        .values({ repository_id: repositoryId, blob_id: blobId, created_at: now() })
        .onConflict((oc) => oc.columns(['repository_id', 'blob_id']).doNothing())
        .execute();
    },

    async unlink(repositoryId: Id, blobId: Id): Promise<boolean> {
      const result = await db
        .deleteFrom('repo_blob')
        .where('repository_id', '=', repositoryId)
        .where('blob_id', '=', blobId)
        .executeTakeFirst();
      return count(result.numDeletedRows) > 0;
    },

    async findManyInRepository(repositoryId: Id, digests: readonly string[]): Promise<Map<string, BlobRow>> {
      const found = new Map<string, BlobRow>();
      for (const part of chunks([...new Set(digests)])) {
        const rows = await inRepository(repositoryId).where('blob.digest', 'in', part).execute();
        for (const row of rows) found.set(row.digest, row);
      }
      return found;
    },
  });
}
