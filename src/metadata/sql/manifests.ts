/** Manifests (their bytes live in the database) and what they reference. */
import type { Selectable } from 'kysely';
import type { Id, ManifestRow, ManifestStore, NewManifest } from '../store.js';
import type { ManifestTable } from './schema.js';
import { atomic, chunks, count, named, now, type Db } from './support.js';

export const MANIFEST_COLUMNS = [
  'manifest.id',
  'manifest.repository_id',
  'manifest.digest',
  'manifest.media_type',
  'manifest.size',
  'manifest.payload',
  'manifest.subject_digest',
  'manifest.artifact_type',
  'manifest.created_at',
] as const;

export function toManifestRow(row: Selectable<ManifestTable>): ManifestRow {
  return {
    id: row.id,
    repositoryId: row.repository_id,
    digest: row.digest,
    mediaType: row.media_type,
    size: row.size,
    payload: row.payload,
    subject: row.subject_digest ?? undefined,
    artifactType: row.artifact_type ?? undefined,
    createdAt: row.created_at,
  };
}

export function sqlManifestStore(db: Db): ManifestStore {
  const find = async (repositoryId: Id, digest: string, on: Db = db): Promise<ManifestRow | undefined> => {
    const row = await on
      .selectFrom('manifest')
      .select(MANIFEST_COLUMNS)
      .where('repository_id', '=', repositoryId)
      .where('digest', '=', digest)
      .executeTakeFirst();
    return row && toManifestRow(row);
  };

  return named('manifests', {
    find: (repositoryId: Id, digest: string) => find(repositoryId, digest),

    async findMany(repositoryId: Id, digests: readonly string[]): Promise<Map<string, ManifestRow>> {
      const found = new Map<string, ManifestRow>();
      for (const part of chunks([...new Set(digests)])) {
        const rows = await db
          .selectFrom('manifest')
          .select(MANIFEST_COLUMNS)
          .where('repository_id', '=', repositoryId)
          .where('digest', 'in', part)
          .execute();
        for (const row of rows) found.set(row.digest, toManifestRow(row));
      }
      return found;
    },

    async put(m: NewManifest): Promise<ManifestRow> {
      const existing = await find(m.repositoryId, m.digest);
      if (existing) return existing;
      return atomic(db, async (tx) => {
        const inserted = await tx
          .insertInto('manifest')
          .values({
            repository_id: m.repositoryId,
            digest: m.digest,
            media_type: m.mediaType,
            size: m.payload.length,
            payload: m.payload,
            subject_digest: m.subject ?? null,
            artifact_type: m.artifactType ?? null,
            created_at: now(),
          })
          .onConflict((oc) => oc.columns(['repository_id', 'digest']).doNothing())
          .returningAll()
          .executeTakeFirst();
        if (!inserted) {
          // Another request stored the same digest first: its row (and references) stand.
          const winner = await find(m.repositoryId, m.digest, tx);
          if (!winner) throw new Error(`manifest ${m.digest} vanished after insert`);
          return winner;
        }
        const manifestId = inserted.id;
        for (const part of chunks([...new Set(m.blobIds)])) {
          await tx
            .insertInto('manifest_blob')
            .values(part.map((blobId) => ({ manifest_id: manifestId, blob_id: blobId })))
            .execute();
        }
        for (const part of chunks([...new Set(m.childIds)])) {
          await tx
            .insertInto('manifest_child')
            .values(part.map((childId) => ({ manifest_id: manifestId, child_manifest_id: childId })))
            .execute();
        }
        return toManifestRow(inserted);
      });
    },

    async delete(repositoryId: Id, digest: string): Promise<boolean> {
      return atomic(db, async (tx) => {
        const row = await find(repositoryId, digest, tx);
        if (!row) return false;
        // Explicit rather than left to ON DELETE CASCADE, so the statement sequence says it all.
        await tx.deleteFrom('tag').where('manifest_id', '=', row.id).execute();
        await tx.deleteFrom('manifest_blob').where('manifest_id', '=', row.id).execute();
        await tx.deleteFrom('manifest_child').where('manifest_id', '=', row.id).execute();
        const result = await tx.deleteFrom('manifest').where('id', '=', row.id).executeTakeFirst();
        return count(result.numDeletedRows) > 0;
      });
    },

    async referrers(repositoryId: Id, digest: string, artifactType?: string): Promise<ManifestRow[]> {
      let query = db
        .selectFrom('manifest')
        .select(MANIFEST_COLUMNS)
        .where('repository_id', '=', repositoryId)
        .where('subject_digest', '=', digest);
      if (artifactType !== undefined) query = query.where('artifact_type', '=', artifactType);
      const rows = await query.orderBy('digest').execute();
      return rows.map(toManifestRow);
    },
  });
}
