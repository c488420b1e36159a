/** Repository permissions (direct grants) and the roles they add up to. */
import { sql } from 'kysely';
import {
  REPOSITORY_ROLES,
  TEAM_ROLES,
  type AccountRef,
  type Id,
  type PermissionRow,
  type PermissionStore,
  type PermissionSubject,
  type RepositoryRole,
  type TeamRole,
} from '../store.js';
import { adminOrganizationsOf, heldBy, rankOf, roleOfRank, teamIdsOf } from './access-sql.js';
import { robotFullName } from './robots.js';
import { count, named, type Db } from './support.js';

export function sqlPermissionStore(db: Db): PermissionStore {
  return named('permissions', {
    async set(repositoryId: Id, subject: PermissionSubject, role: RepositoryRole): Promise<void> {
      await db
        .insertInto('repository_permission')
        .values({ repository_id: repositoryId, subject_kind: subject.kind, subject_id: subject.id, role })
        .onConflict((oc) => oc.columns(['repository_id', 'subject_kind', 'subject_id']).doUpdateSet({ role }))
        .execute();
    },

    async remove(repositoryId: Id, subject: PermissionSubject): Promise<boolean> {
      const result = await db
        .deleteFrom('repository_permission')
        .where('repository_id', '=', repositoryId)
        .where('subject_kind', '=', subject.kind)
        .where('subject_id', '=', subject.id)
        .executeTakeFirst();
      return count(result.numDeletedRows) > 0;
    },

    async list(repositoryId: Id, kind?: PermissionSubject['kind']): Promise<PermissionRow[]> {
      const grants = (of: PermissionSubject['kind']) =>
        db
          .selectFrom('repository_permission')
          .select(['repository_permission.subject_kind as kind', 'repository_permission.subject_id as id', 'repository_permission.role'])
          .where('repository_permission.repository_id', '=', repositoryId)
          .where('repository_permission.subject_kind', '=', of);
      const users = grants('user').innerJoin('namespace', 'namespace.id', 'repository_permission.subject_id').select('namespace.name');
      const robots = grants('robot')
        .innerJoin('robot', 'robot.id', 'repository_permission.subject_id')
        .innerJoin('namespace', 'namespace.id', 'robot.namespace_id')
        .select(robotFullName.as('name'));
      const teams = grants('team').innerJoin('team', 'team.id', 'repository_permission.subject_id').select('team.name');
      // Every name column sorts byte-wise (collation "C" on PostgreSQL), so their union does too.
      const rows = await db
        .selectFrom(users.unionAll(robots).unionAll(teams).as('p'))
        .selectAll()
        .$if(kind !== undefined, (q) => q.where('p.kind', '=', kind!))
        .orderBy('p.name')
        .execute();
      return rows.map((r) => ({ subject: { kind: r.kind, id: r.id }, name: r.name, role: r.role }));
    },

    async effectiveRole(account: AccountRef, repositoryId: Id): Promise<RepositoryRole | undefined> {
      const granted = db
        .selectFrom('repository_permission')
        .select(rankOf(sql.ref('repository_permission.role'), REPOSITORY_ROLES).as('rank'))
        .where('repository_permission.repository_id', '=', repositoryId)
        .where(heldBy(db, account));
      // Implicit admin: a user's own namespace, or an admin team of the repository's organization.
      const admin = sql.lit(REPOSITORY_ROLES.indexOf('admin') + 1);
      const implicit = db
        .selectFrom('repository')
        .select(sql<number>`${admin}`.as('rank'))
        .where('repository.id', '=', repositoryId)
        .where((eb) =>
          eb.or([
            eb('repository.namespace_id', 'in', adminOrganizationsOf(db, account)),
            ...(account.kind === 'user' ? [eb('repository.namespace_id', '=', account.id)] : []),
          ]),
        );
      const row = await db
        .selectFrom(granted.unionAll(implicit).as('ranks'))
        .select((eb) => eb.fn.max('ranks.rank').as('rank'))
        .executeTakeFirst();
      return roleOfRank(row?.rank, REPOSITORY_ROLES);
    },

    async namespaceRole(account: AccountRef, namespaceId: Id): Promise<TeamRole | undefined> {
      if (account.kind === 'user' && account.id === namespaceId) return 'admin';
      const row = await db
        .selectFrom('team')
        .select((eb) => eb.fn.max(rankOf(sql.ref('team.role'), TEAM_ROLES)).as('rank'))
        .where('team.organization_id', '=', namespaceId)
        .where('team.id', 'in', teamIdsOf(db, account))
        .executeTakeFirst();
      return roleOfRank(row?.rank, TEAM_ROLES);
    },
  });
}
