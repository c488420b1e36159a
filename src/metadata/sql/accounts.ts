/** Users and organizations: both are namespaces (one name space for the two); users add login data. */
import type { Selectable } from 'kysely';
import { NameTakenError, type AccountStore, type Id, type NamespaceRow, type Page, type UserRow } from '../store.js';
import type { AppUserTable, NamespaceTable } from './schema.js';
import { atomic, count, named, now, type Db } from './support.js';

const NAMESPACE_COLUMNS = ['namespace.id', 'namespace.name', 'namespace.kind', 'namespace.email', 'namespace.created_at'] as const;
const USER_COLUMNS = [...NAMESPACE_COLUMNS, 'app_user.password_hash', 'app_user.superuser', 'app_user.enabled'] as const;

type NamespaceSelection = Pick<Selectable<NamespaceTable>, 'id' | 'name' | 'kind' | 'email' | 'created_at'>;

export function toNamespaceRow(row: NamespaceSelection): NamespaceRow {
  return { id: row.id, name: row.name, kind: row.kind, email: row.email ?? undefined, createdAt: row.created_at };
}

function toUserRow(row: NamespaceSelection & Pick<Selectable<AppUserTable>, 'password_hash' | 'superuser' | 'enabled'>): UserRow {
  return {
    id: row.id,
    name: row.name,
    email: row.email ?? undefined,
    passwordHash: row.password_hash ?? undefined,
    superuser: row.superuser === 1,
    enabled: row.enabled === 1,
    createdAt: row.created_at,
  };
}

const flag = (value: boolean): number => (value ? 1 : 0);

export function sqlAccountStore(db: Db): AccountStore {
  const namespaces = (on: Db = db) => on.selectFrom('namespace').select(NAMESPACE_COLUMNS);
  const users = (on: Db = db) =>
    on.selectFrom('namespace').innerJoin('app_user', 'app_user.namespace_id', 'namespace.id').select(USER_COLUMNS);

  /** Inserts the namespace unless the name is taken (no pre-check: the unique index decides, also under races). */
  const insertNamespace = async (on: Db, name: string, kind: NamespaceRow['kind'], email: string | undefined) => {
    const inserted = await on
      .insertInto('namespace')
      .values({ name, kind, email: email ?? null, created_at: now() })
      .onConflict((oc) => oc.column('name').doNothing())
      .returning(['id', 'name', 'kind', 'email', 'created_at'])
      .executeTakeFirst();
    if (!inserted) throw new NameTakenError(name);
    return inserted;
  };

  return named(
    'accounts',
    {
      async findNamespace(name: string): Promise<NamespaceRow | undefined> {
        const row = await namespaces().where('namespace.name', '=', name).executeTakeFirst();
        return row && toNamespaceRow(row);
      },

      async findNamespaceById(id: Id): Promise<NamespaceRow | undefined> {
        const row = await namespaces().where('namespace.id', '=', id).executeTakeFirst();
        return row && toNamespaceRow(row);
      },

      async findUser(name: string): Promise<UserRow | undefined> {
        const row = await users().where('namespace.name', '=', name).executeTakeFirst();
        return row && toUserRow(row);
      },

      async findUserById(id: Id): Promise<UserRow | undefined> {
        const row = await users().where('namespace.id', '=', id).executeTakeFirst();
        return row && toUserRow(row);
      },

      async createUser(user: { name: string; email?: string; passwordHash?: string; superuser?: boolean }): Promise<UserRow> {
        return atomic(db, async (tx) => {
          const ns = await insertNamespace(tx, user.name, 'user', user.email);
          const login = await tx
            .insertInto('app_user')
            .values({ namespace_id: ns.id, password_hash: user.passwordHash ?? null, superuser: flag(user.superuser ?? false) })
            .returning(['password_hash', 'superuser', 'enabled'])
            .executeTakeFirstOrThrow();
          return toUserRow({ ...ns, ...login });
        });
      },

      async updateUser(id: Id, patch: { email?: string | null; passwordHash?: string; superuser?: boolean; enabled?: boolean }): Promise<boolean> {
        return atomic(db, async (tx) => {
          const exists = await tx.selectFrom('app_user').select('namespace_id').where('namespace_id', '=', id).executeTakeFirst();
          if (!exists) return false;
          const login = {
            ...(patch.passwordHash !== undefined && { password_hash: patch.passwordHash }),
            ...(patch.superuser !== undefined && { superuser: flag(patch.superuser) }),
            ...(patch.enabled !== undefined && { enabled: flag(patch.enabled) }),
          };
          if (Object.keys(login).length > 0) await tx.updateTable('app_user').set(login).where('namespace_id', '=', id).execute();
          if (patch.email !== undefined) await tx.updateTable('namespace').set({ email: patch.email }).where('id', '=', id).execute();
          return true;
        });
      },

      async listUsers(page: Page): Promise<UserRow[]> {
        // `name` sorts byte-wise on both dialects (collation "C" on PostgreSQL; see migrations).
        let query = users().orderBy('namespace.name').limit(page.n);
        if (page.last !== undefined) query = query.where('namespace.name', '>', page.last);
        return (await query.execute()).map(toUserRow);
      },

      async countUsers(): Promise<number> {
        const row = await db.selectFrom('app_user').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        return Number(row.n);
      },

      async createOrganization(org: { name: string; email?: string }): Promise<NamespaceRow> {
        return toNamespaceRow(await insertNamespace(db, org.name, 'organization', org.email));
      },

      async updateNamespace(id: Id, patch: { email?: string | null }): Promise<boolean> {
        if (patch.email === undefined) return (await namespaces().where('namespace.id', '=', id).executeTakeFirst()) !== undefined;
        const result = await db.updateTable('namespace').set({ email: patch.email }).where('id', '=', id).executeTakeFirst();
        return count(result.numUpdatedRows) > 0;
      },

      async listOrganizations(page: Page): Promise<NamespaceRow[]> {
        let query = namespaces().where('namespace.kind', '=', 'organization').orderBy('namespace.name').limit(page.n);
        if (page.last !== undefined) query = query.where('namespace.name', '>', page.last);
        return (await query.execute()).map(toNamespaceRow);
      },

      async organizationsOf(userId: Id): Promise<NamespaceRow[]> {
        const rows = await namespaces()
          .where('namespace.kind', '=', 'organization')
          .where('namespace.id', 'in', (eb) =>
            eb
              .selectFrom('team')
              .innerJoin('team_member', 'team_member.team_id', 'team.id')
              .select('team.organization_id')
              .where('team_member.member_kind', '=', 'user')
              .where('team_member.member_id', '=', userId),
          )
          .orderBy('namespace.name')
          .execute();
        return rows.map(toNamespaceRow);
      },

      async deleteNamespace(id: Id): Promise<boolean> {
        return atomic(db, async (tx) => {
          const ns = await tx.selectFrom('namespace').select('name').where('id', '=', id).executeTakeFirst();
          if (!ns) return false;
          const repositories = await tx
            .selectFrom('repository')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('namespace_id', '=', id)
            .executeTakeFirstOrThrow();
          if (Number(repositories.n) > 0) {
            throw new Error(`namespace ${JSON.stringify(ns.name)} still has ${repositories.n} repositories; delete them first`);
          }
          const robots = tx.selectFrom('robot').select('id').where('namespace_id', '=', id);
          const teams = tx.selectFrom('team').select('id').where('organization_id', '=', id);
          // What the namespace's robots and teams hold elsewhere, then what the user holds.
          await tx.deleteFrom('team_member').where('member_kind', '=', 'robot').where('member_id', 'in', robots).execute();
          await tx.deleteFrom('repository_permission').where('subject_kind', '=', 'robot').where('subject_id', 'in', robots).execute();
          await tx.deleteFrom('robot').where('namespace_id', '=', id).execute();
          await tx.deleteFrom('team_member').where('team_id', 'in', teams).execute();
          await tx.deleteFrom('repository_permission').where('subject_kind', '=', 'team').where('subject_id', 'in', teams).execute();
          await tx.deleteFrom('team').where('organization_id', '=', id).execute();
          await tx.deleteFrom('team_member').where('member_kind', '=', 'user').where('member_id', '=', id).execute();
          await tx.deleteFrom('repository_permission').where('subject_kind', '=', 'user').where('subject_id', '=', id).execute();
          await tx.deleteFrom('api_token').where('user_id', '=', id).execute();
          await tx.deleteFrom('app_user').where('namespace_id', '=', id).execute();
          await tx.deleteFrom('namespace_region').where('namespace_id', '=', id).execute();
          const result = await tx.deleteFrom('namespace').where('id', '=', id).executeTakeFirst();
          return count(result.numDeletedRows) > 0;
        });
      },
    },
    (e) => e instanceof NameTakenError,
  );
}
