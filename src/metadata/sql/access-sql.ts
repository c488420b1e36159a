/**
 * The SQL fragments permission questions share: which teams an account is in, which
 * repositories it was granted, where it is an organization admin, and what a viewer may see.
 * Each is a subquery or a predicate on the unaliased `repository` table, so `effectiveRole` and
 * a search answer in one statement (a listing in two), all by the same rules.
 */
import { sql, type Expression, type ExpressionBuilder, type RawBuilder, type SqlBool } from 'kysely';
import type { AccountRef, Id, Viewer } from '../store.js';
import type { Database } from './schema.js';
import type { Db } from './support.js';

/** Ids of the teams the account belongs to (index team_member_member). */
export const teamIdsOf = (db: Db, account: AccountRef) =>
  db.selectFrom('team_member').select('team_member.team_id').where('member_kind', '=', account.kind).where('member_id', '=', account.id);

/** Organizations in which the account belongs to an `admin` team. */
export const adminOrganizationsOf = (db: Db, account: AccountRef) =>
  db
    .selectFrom('team')
    .select('team.organization_id')
    .where('team.role', '=', 'admin')
    .where('team.id', 'in', teamIdsOf(db, account));

/** Permission rows held by the account directly or through its teams (index repository_permission_subject). */
export function heldBy(db: Db, account: AccountRef) {
  return (eb: ExpressionBuilder<Database, 'repository_permission'>): Expression<SqlBool> =>
    eb.or([
      eb.and([eb('repository_permission.subject_kind', '=', account.kind), eb('repository_permission.subject_id', '=', account.id)]),
      eb.and([eb('repository_permission.subject_kind', '=', 'team'), eb('repository_permission.subject_id', 'in', teamIdsOf(db, account))]),
    ]);
}

export type RepositoryPredicate = (eb: ExpressionBuilder<Database, 'repository'>) => Expression<SqlBool>;

const isPublic: RepositoryPredicate = (eb) => eb('repository.visibility', '=', 'public');

/** Repositories granted to the account or to one of its teams. */
const grantedTo =
  (db: Db, account: AccountRef): RepositoryPredicate =>
  (eb) =>
    eb('repository.id', 'in', db.selectFrom('repository_permission').select('repository_permission.repository_id').where(heldBy(db, account)));

const inNamespace =
  (namespaceId: Id): RepositoryPredicate =>
  (eb) =>
    eb('repository.namespace_id', '=', namespaceId);

/**
 * Who sees what, as one predicate (search, where the text already narrows the rows): public
 * repositories, the account's grants (direct or through teams), every repository of an
 * organization where it is in an admin team and, for a user, their own namespace. A robot acts
 * only through its grants and teams.
 */
export function visibleTo(db: Db, viewer: Viewer): RepositoryPredicate {
  if (viewer.kind === 'everything') return (eb) => eb.and([]); // `1 = 1`
  if (viewer.kind === 'public') return isPublic;
  const { account } = viewer;
  const ways = [isPublic, grantedTo(db, account)];
  ways.push((eb) => eb('repository.namespace_id', 'in', adminOrganizationsOf(db, account)));
  if (account.kind === 'user') ways.push(inNamespace(account.id));
  return (eb) => eb.or(ways.map((way) => way(eb)));
}

/**
 * The same rule as {@link visibleTo}, split into its ways (undefined: no restriction), with the
 * admin organizations resolved to ids first. A listing takes the first `n` names of each way
 * and merges them, so each way is one short index walk (`(visibility, name)`, `(namespace_id,
 * name)`, or the account's few grants) however many repositories the viewer cannot see.
 */
export async function visibilityWays(db: Db, viewer: Viewer): Promise<RepositoryPredicate[] | undefined> {
  if (viewer.kind === 'everything') return undefined;
  if (viewer.kind === 'public') return [isPublic];
  const { account } = viewer;
  const admin = await adminOrganizationsOf(db, account).execute();
  const namespaces = new Set(admin.map((row) => row.organization_id));
  if (account.kind === 'user') namespaces.add(account.id);
  return [isPublic, grantedTo(db, account), ...[...namespaces].map(inNamespace)];
}

/** `case <column> when 'first' then 1 ... end`: roles ranked by their order in `roles`. */
export function rankOf(column: RawBuilder<unknown>, roles: readonly string[]): RawBuilder<number> {
  const arms = roles.map((role, i) => sql`when ${sql.lit(role)} then ${sql.lit(i + 1)}`);
  return sql<number>`case ${column} ${sql.join(arms, sql` `)} end`;
}

/** The role of a rank computed by {@link rankOf}. */
export function roleOfRank<R extends string>(rank: number | null | undefined, roles: readonly R[]): R | undefined {
  return rank ? roles[rank - 1] : undefined;
}
