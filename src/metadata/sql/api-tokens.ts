/** App-specific API tokens of users (stored as SHA-256 hashes, found by hash). */
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { ApiTokenRow, ApiTokenStore, Id } from '../store.js';
import type { ApiTokenTable } from './schema.js';
import { count, named, now, type Db } from './support.js';

function toApiTokenRow(row: Selectable<ApiTokenTable>): ApiTokenRow {
  return {
    id: row.id,
    uuid: row.uuid,
    userId: row.user_id,
    title: row.title,
    tokenHash: row.token_hash,
    createdAt: row.created_at,
    lastAccessedAt: row.last_accessed_at ?? undefined,
    expiresAt: row.expires_at ?? undefined,
  };
}

export function sqlApiTokenStore(db: Db): ApiTokenStore {
  const tokens = () => db.selectFrom('api_token').selectAll();

  return named('apiTokens', {
    async create(token: { userId: Id; title: string; tokenHash: string; expiresAt?: number }): Promise<ApiTokenRow> {
      const row = await db
        .insertInto('api_token')
        .values({
          uuid: randomUUID(),
          user_id: token.userId,
          title: token.title,
          token_hash: token.tokenHash,
          created_at: now(),
          last_accessed_at: null,
          expires_at: token.expiresAt ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toApiTokenRow(row);
    },

    async findByHash(tokenHash: string): Promise<ApiTokenRow | undefined> {
      const row = await tokens().where('token_hash', '=', tokenHash).executeTakeFirst();
      return row && toApiTokenRow(row);
    },

    async list(userId: Id): Promise<ApiTokenRow[]> {
      // Ids grow with creation time, and (user_id, id) is indexed.
      const rows = await tokens().where('user_id', '=', userId).orderBy('id', 'desc').execute();
      return rows.map(toApiTokenRow);
    },

    async find(userId: Id, uuid: string): Promise<ApiTokenRow | undefined> {
      const row = await tokens().where('user_id', '=', userId).where('uuid', '=', uuid).executeTakeFirst();
      return row && toApiTokenRow(row);
    },

    async delete(userId: Id, uuid: string): Promise<boolean> {
      const result = await db.deleteFrom('api_token').where('user_id', '=', userId).where('uuid', '=', uuid).executeTakeFirst();
      return count(result.numDeletedRows) > 0;
    },

    async touch(id: Id, at: number): Promise<void> {
      await db.updateTable('api_token').set({ last_accessed_at: at }).where('id', '=', id).execute();
    },
  });
}
