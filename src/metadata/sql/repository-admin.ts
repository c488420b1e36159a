/** Management-side repository queries: details, create/update/delete, listings and search by viewer. */
import { sql, type SqlBool } from 'kysely';
import {
  NameTakenError,
  type Dialect,
  type Id,
  type RepositoryAdminStore,
  type RepositoryDetail,
  type RepositoryListQuery,
  type Viewer,
  type Visibility,
} from '../store.js';
import { visibilityWays, visibleTo, type RepositoryPredicate } from './access-sql.js';
import { atomic, count, named, now, type Db } from './support.js';

/** A LIKE pattern (escape `\`) for names containing `text`: its `%`, `_` and `\` match themselves. */
function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/** The namespace, `publicOnly` and `last` conditions of a listing. */
function listFilter(q: RepositoryListQuery): RepositoryPredicate {
  return (eb) => {
    const conditions = [];
    if (q.namespace !== undefined) {
      const namespace = eb.selectFrom('namespace').select('namespace.id').where('namespace.name', '=', q.namespace);
      conditions.push(eb('repository.namespace_id', '=', namespace));
    }
    if (q.publicOnly) conditions.push(eb('repository.visibility', '=', 'public'));
    if (q.last !== undefined) conditions.push(eb('repository.name', '>', q.last));
    return eb.and(conditions);
  };
}

export function sqlRepositoryAdminStore(db: Db, dialect: Dialect): RepositoryAdminStore {
  const details = (on: Db = db) =>
    on
      .selectFrom('repository')
      .innerJoin('namespace', 'namespace.id', 'repository.namespace_id')
      .select([
        'repository.id',
        'repository.name',
        'repository.namespace_id',
        'namespace.name as namespace',
        'repository.visibility',
        'repository.description',
        'repository.state',
        'repository.created_at',
      ])
      // A tag row's end is never before its start, so the latest of either is max(end ?? start).
      .select(
        sql<number>`coalesce((select max(coalesce(t.lifetime_end, t.lifetime_start)) from tag t where t.repository_id = repository.id), repository.created_at)`.as(
          'last_modified',
        ),
      );
  type Selected = Awaited<ReturnType<ReturnType<typeof details>['executeTakeFirstOrThrow']>>;
  const toDetail = (row: Selected): RepositoryDetail => ({
    id: row.id,
    name: row.name,
    namespaceId: row.namespace_id,
    namespace: row.namespace,
    shortName: row.name.startsWith(`${row.namespace}/`) ? row.name.slice(row.namespace.length + 1) : row.name,
    visibility: row.visibility,
    description: row.description,
    state: row.state,
    createdAt: row.created_at,
    lastModified: Number(row.last_modified),
  });
  const findDetail = async (name: string, on: Db = db): Promise<RepositoryDetail | undefined> => {
    const row = await details(on).where('repository.name', '=', name).executeTakeFirst();
    return row && toDetail(row);
  };
  /** Each way of being visible contributes its first `n` names; their union holds the page's `n`. */
  const candidates = (q: RepositoryListQuery, ways: RepositoryPredicate[]) => {
    const [first, ...rest] = ways.map((way, i) =>
      db
        .selectFrom(
          db
            .selectFrom('repository')
            .select('repository.id')
            .where(way)
            .where(listFilter(q))
            .orderBy('repository.name')
            .limit(q.n)
            .as(`way${i}`),
        )
        .select(sql.ref<number>(`way${i}.id`).as('id')),
    );
    return rest.reduce((all, part) => all.union(part), first!);
  };

  return named(
    'repositoryAdmin',
    {
      findDetail: (name: string) => findDetail(name),

      async create(repository: { namespaceId: Id; name: string; visibility: Visibility; description: string }): Promise<RepositoryDetail> {
        return atomic(db, async (tx) => {
          const inserted = await tx
            .insertInto('repository')
            .values({
              namespace_id: repository.namespaceId,
              name: repository.name,
              visibility: repository.visibility,
              description: repository.description,
              created_at: now(),
            })
            .onConflict((oc) => oc.column('name').doNothing())
            .returning('id')
            .executeTakeFirst();
          if (!inserted) throw new NameTakenError(repository.name);
          const row = await findDetail(repository.name, tx);
          if (!row) throw new Error(`repository ${repository.name} vanished after insert`);
          return row;
        });
      },

      async update(id: Id, patch: { visibility?: Visibility; description?: string }): Promise<boolean> {
        const set = {
          ...(patch.visibility !== undefined && { visibility: patch.visibility }),
          ...(patch.description !== undefined && { description: patch.description }),
        };
        if (Object.keys(set).length === 0) {
          return (await db.selectFrom('repository').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
        }
        const result = await db.updateTable('repository').set(set).where('id', '=', id).executeTakeFirst();
        return count(result.numUpdatedRows) > 0;
      },

      async delete(id: Id): Promise<boolean> {
        return atomic(db, async (tx) => {
          const manifests = tx.selectFrom('manifest').select('manifest.id').where('manifest.repository_id', '=', id);
          // Explicit rather than left to ON DELETE CASCADE, so the statement sequence says it all.
          await tx.deleteFrom('tag').where('repository_id', '=', id).execute();
          await tx.deleteFrom('manifest_child').where('manifest_id', 'in', manifests).execute();
          await tx.deleteFrom('manifest_blob').where('manifest_id', 'in', manifests).execute();
          await tx.deleteFrom('manifest').where('repository_id', '=', id).execute();
          await tx.deleteFrom('repo_blob').where('repository_id', '=', id).execute();
          await tx.deleteFrom('blob_upload').where('repository_id', '=', id).execute();
          await tx.deleteFrom('repository_permission').where('repository_id', '=', id).execute();
          const result = await tx.deleteFrom('repository').where('id', '=', id).executeTakeFirst();
          return count(result.numDeletedRows) > 0;
        });
      },

      async list(q: RepositoryListQuery): Promise<RepositoryDetail[]> {
        const ways = await visibilityWays(db, q.viewer);
        let query = details().orderBy('repository.name').limit(q.n);
        if (ways) {
          // Merging per-way pages rather than filtering one walk of the name index: a viewer who
          // sees 10 of 100,000 repositories costs a few short index walks, not a full scan.
          query = query.where('repository.id', 'in', candidates(q, ways));
        } else {
          query = query.where(listFilter(q));
        }
        return (await query.execute()).map(toDetail);
      },

      async search(text: string, viewer: Viewer, offset: number, limit: number): Promise<RepositoryDetail[]> {
        const pattern = containsPattern(text);
        let query = details().where(visibleTo(db, viewer));
        if (dialect === 'postgres') {
          // The trigram index (repository_name_trgm) finds the ILIKE matches; similarity() ranks them.
          query = query
            .where(sql<SqlBool>`repository.name ilike ${pattern} escape '\\'`)
            .orderBy(sql`similarity(repository.name, ${text})`, 'desc')
            .orderBy('repository.name');
        } else {
          // SQLite's LIKE ignores ASCII case, which covers the repository name grammar.
          query = query.where(sql<SqlBool>`repository.name like ${pattern} escape '\\'`).orderBy('repository.name');
        }
        return (await query.offset(offset).limit(limit).execute()).map(toDetail);
      },
    },
    (e) => e instanceof NameTakenError,
  );
}
