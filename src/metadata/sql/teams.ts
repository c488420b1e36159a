/** Teams of an organization, their role in it and their members (users and robots). */
import type { AccountRef, Id, TeamMemberRow, TeamRole, TeamRow, TeamStore } from '../store.js';
import { teamIdsOf } from './access-sql.js';
import { robotFullName } from './robots.js';
import { atomic, count, named, type Db } from './support.js';

export function sqlTeamStore(db: Db): TeamStore {
  const teams = (on: Db = db) =>
    on
      .selectFrom('team')
      .select(['team.id', 'team.organization_id', 'team.name', 'team.role', 'team.description'])
      .select((eb) =>
        eb
          .selectFrom('team_member')
          .select((inner) => inner.fn.countAll<number>().as('n'))
          .whereRef('team_member.team_id', '=', 'team.id')
          .as('member_count'),
      );
  type Selected = Awaited<ReturnType<ReturnType<typeof teams>['executeTakeFirstOrThrow']>>;
  const toTeamRow = (row: Selected): TeamRow => ({
    id: row.id,
    organizationId: row.organization_id,
    name: row.name,
    role: row.role,
    description: row.description,
    memberCount: Number(row.member_count ?? 0),
  });

  return named('teams', {
    async upsert(organizationId: Id, name: string, team: { role: TeamRole; description: string }): Promise<TeamRow> {
      return atomic(db, async (tx) => {
        const { id } = await tx
          .insertInto('team')
          .values({ organization_id: organizationId, name, role: team.role, description: team.description })
          .onConflict((oc) =>
            oc.columns(['organization_id', 'name']).doUpdateSet((eb) => ({
              role: eb.ref('excluded.role'),
              description: eb.ref('excluded.description'),
            })),
          )
          .returning('id')
          .executeTakeFirstOrThrow();
        return toTeamRow(await teams(tx).where('team.id', '=', id).executeTakeFirstOrThrow());
      });
    },

    async find(organizationId: Id, name: string): Promise<TeamRow | undefined> {
      const row = await teams().where('team.organization_id', '=', organizationId).where('team.name', '=', name).executeTakeFirst();
      return row && toTeamRow(row);
    },

    async list(organizationId: Id): Promise<TeamRow[]> {
      const rows = await teams().where('team.organization_id', '=', organizationId).orderBy('team.name').execute();
      return rows.map(toTeamRow);
    },

    async delete(id: Id): Promise<boolean> {
      return atomic(db, async (tx) => {
        await tx.deleteFrom('team_member').where('team_id', '=', id).execute();
        await tx.deleteFrom('repository_permission').where('subject_kind', '=', 'team').where('subject_id', '=', id).execute();
        const result = await tx.deleteFrom('team').where('id', '=', id).executeTakeFirst();
        return count(result.numDeletedRows) > 0;
      });
    },

    async addMember(teamId: Id, member: AccountRef): Promise<boolean> {
      const inserted = await db
        .insertInto('team_member')
        .values({ team_id: teamId, member_kind: member.kind, member_id: member.id })
        .onConflict((oc) => oc.columns(['team_id', 'member_kind', 'member_id']).doNothing())
        .returning('team_id')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    async removeMember(teamId: Id, member: AccountRef): Promise<boolean> {
      const result = await db
        .deleteFrom('team_member')
        .where('team_id', '=', teamId)
        .where('member_kind', '=', member.kind)
        .where('member_id', '=', member.id)
        .executeTakeFirst();
      return count(result.numDeletedRows) > 0;
    },

    async members(teamId: Id): Promise<TeamMemberRow[]> {
      const users = await db
        .selectFrom('team_member')
        .innerJoin('namespace', 'namespace.id', 'team_member.member_id')
        .select(['namespace.id', 'namespace.name'])
        .where('team_member.team_id', '=', teamId)
        .where('team_member.member_kind', '=', 'user')
        .orderBy('namespace.name')
        .execute();
      const robots = await db
        .selectFrom('team_member')
        .innerJoin('robot', 'robot.id', 'team_member.member_id')
        .innerJoin('namespace', 'namespace.id', 'robot.namespace_id')
        .select(['robot.id', robotFullName.as('name')])
        .where('team_member.team_id', '=', teamId)
        .where('team_member.member_kind', '=', 'robot')
        .orderBy(robotFullName)
        .execute();
      return [...users.map((u) => ({ kind: 'user' as const, ...u })), ...robots.map((r) => ({ kind: 'robot' as const, ...r }))];
    },

    async teamsOf(organizationId: Id, member: AccountRef): Promise<TeamRow[]> {
      const rows = await teams()
        .where('team.organization_id', '=', organizationId)
        .where('team.id', 'in', teamIdsOf(db, member))
        .orderBy('team.name')
        .execute();
      return rows.map(toTeamRow);
    },
  });
}
