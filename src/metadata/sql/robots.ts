/** Robot accounts: `namespace+short` names, a token (stored as its hash), no password. */
import { sql } from 'kysely';
import { NameTakenError, type Id, type RobotRow, type RobotStore } from '../store.js';
import { atomic, count, named, now, type Db } from './support.js';

/** Separates the namespace from the short name in a robot's full name (Quay's `org+name`). */
export const ROBOT_SEPARATOR = '+';

export function sqlRobotStore(db: Db): RobotStore {
  const robots = (on: Db = db) =>
    on
      .selectFrom('robot')
      .innerJoin('namespace', 'namespace.id', 'robot.namespace_id')
      .select([
        'robot.id',
        'robot.namespace_id',
        'namespace.name as namespace_name',
        'robot.short_name',
        'robot.description',
        'robot.token_hash',
        'robot.created_at',
        'robot.last_accessed_at',
      ]);
  const find = async (id: Id, on: Db = db): Promise<RobotRow | undefined> => {
    const row = await robots(on).where('robot.id', '=', id).executeTakeFirst();
    return row && toRobotRow(row);
  };

  return named(
    'robots',
    {
      async create(robot: { namespaceId: Id; shortName: string; description: string; tokenHash: string }): Promise<RobotRow> {
        return atomic(db, async (tx) => {
          const inserted = await tx
            .insertInto('robot')
            .values({
              namespace_id: robot.namespaceId,
              short_name: robot.shortName,
              description: robot.description,
              token_hash: robot.tokenHash,
              created_at: now(),
            })
            .onConflict((oc) => oc.columns(['namespace_id', 'short_name']).doNothing())
            .returning('id')
            .executeTakeFirst();
          if (!inserted) {
            const ns = await tx.selectFrom('namespace').select('name').where('id', '=', robot.namespaceId).executeTakeFirst();
            throw new NameTakenError(`${ns?.name ?? robot.namespaceId}${ROBOT_SEPARATOR}${robot.shortName}`);
          }
          const row = await find(inserted.id, tx);
          if (!row) throw new Error(`robot ${robot.shortName} vanished after insert`);
          return row;
        });
      },

      async find(name: string): Promise<RobotRow | undefined> {
        const at = name.indexOf(ROBOT_SEPARATOR);
        if (at <= 0) return undefined;
        const row = await robots()
          .where('namespace.name', '=', name.slice(0, at))
          .where('robot.short_name', '=', name.slice(at + 1))
          .executeTakeFirst();
        return row && toRobotRow(row);
      },

      findById: (id: Id) => find(id),

      async list(namespaceId: Id): Promise<RobotRow[]> {
        const rows = await robots().where('robot.namespace_id', '=', namespaceId).orderBy('robot.short_name').execute();
        return rows.map(toRobotRow);
      },

      async setTokenHash(id: Id, tokenHash: string): Promise<boolean> {
        const result = await db.updateTable('robot').set({ token_hash: tokenHash }).where('id', '=', id).executeTakeFirst();
        return count(result.numUpdatedRows) > 0;
      },

      async touch(id: Id, at: number): Promise<void> {
        await db.updateTable('robot').set({ last_accessed_at: at }).where('id', '=', id).execute();
      },

      async delete(id: Id): Promise<boolean> {
        return atomic(db, async (tx) => {
          await tx.deleteFrom('team_member').where('member_kind', '=', 'robot').where('member_id', '=', id).execute();
          await tx.deleteFrom('repository_permission').where('subject_kind', '=', 'robot').where('subject_id', '=', id).execute();
          const result = await tx.deleteFrom('robot').where('id', '=', id).executeTakeFirst();
          return count(result.numDeletedRows) > 0;
        });
      },
    },
    (e) => e instanceof NameTakenError,
  );
}

/** `namespace.name || '+' || robot.short_name`: a robot's full name in SQL (tables unaliased). */
export const robotFullName = sql<string>`namespace.name || ${sql.lit(ROBOT_SEPARATOR)} || robot.short_name`;

function toRobotRow(row: {
  id: number;
  namespace_id: number;
  namespace_name: string;
  short_name: string;
  description: string;
  token_hash: string;
  created_at: number;
  last_accessed_at: number | null;
}): RobotRow {
  return {
    id: row.id,
    namespaceId: row.namespace_id,
    name: `${row.namespace_name}${ROBOT_SEPARATOR}${row.short_name}`,
    shortName: row.short_name,
    description: row.description,
    tokenHash: row.token_hash,
    createdAt: row.created_at,
    lastAccessedAt: row.last_accessed_at ?? undefined,
  };
}
