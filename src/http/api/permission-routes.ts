/**
 * Quay's repository permission resource: grants to users and robots (a robot is named
 * `namespace+short` in the user endpoints) and to teams. Admin permission on the repository.
 */
import { z } from 'zod';
import type { ManagementContext } from '../../management/context.js';
import { type AccountPermission, PermissionService, type TeamPermission } from '../../management/permissions.js';
import { REPOSITORY_ROLES, type RepositoryRole } from '../../metadata/store.js';
import { repositoryParam } from './quay-format.js';
import { type AnyApiRoute, apiRoute } from './route.js';

const role = z.enum(REPOSITORY_ROLES as [RepositoryRole, ...RepositoryRole[]]).describe('read: pull; write: pull, push, delete; admin: everything, permissions included');
const repoPath = z.object({ repository: repositoryParam });
const userPath = z.object({ repository: repositoryParam, username: z.string().max(255).describe('A user name, or a robot as namespace+short') });
const teamPath = z.object({ repository: repositoryParam, teamname: z.string().max(255).describe("A team of the repository's organization") });

export function permissionRoutes(ctx: ManagementContext): AnyApiRoute[] {
  const permissions = new PermissionService(ctx);
  const common = { tag: 'permission', access: 'authenticated' } as const;
  return [
    apiRoute({
      ...common,
      method: 'GET',
      path: '/api/v1/repository/{repository}/permissions/user/',
      operationId: 'listRepoUserPermissions',
      summary: 'Direct permissions of users and robots on the repository.',
      params: repoPath,
      async handler({ principal, params }) {
        const list = await permissions.listAccounts(principal, params.repository);
        return { status: 200, body: { permissions: Object.fromEntries(list.map((p) => [p.name, accountJson(p)])) } };
      },
    }),
    apiRoute({
      ...common,
      method: 'GET',
      path: '/api/v1/repository/{repository}/permissions/user/{username}',
      operationId: 'getUserPermissions',
      summary: 'The direct permission of one user or robot.',
      params: userPath,
      async handler({ principal, params }) {
        return { status: 200, body: accountJson(await permissions.getAccount(principal, params.repository, params.username)) };
      },
    }),
    apiRoute({
      ...common,
      method: 'PUT',
      path: '/api/v1/repository/{repository}/permissions/user/{username}',
      operationId: 'changeUserPermissions',
      summary: 'Grant or change the permission of a user, or of a robot of the same namespace.',
      params: userPath,
      body: z.object({ role }),
      async handler({ actor, params, body }) {
        return { status: 200, body: accountJson(await permissions.setAccount(actor, params.repository, params.username, body.role)) };
      },
    }),
    apiRoute({
      ...common,
      method: 'DELETE',
      path: '/api/v1/repository/{repository}/permissions/user/{username}',
      operationId: 'deleteUserPermissions',
      summary: 'Remove the direct permission of a user or robot.',
      params: userPath,
      successStatus: 204,
      async handler({ actor, params }) {
        await permissions.removeAccount(actor, params.repository, params.username);
        return { status: 204 };
      },
    }),
    apiRoute({
      ...common,
      method: 'GET',
      path: '/api/v1/repository/{repository}/permissions/team/',
      operationId: 'listRepoTeamPermissions',
      summary: 'Permissions of teams on the repository.',
      params: repoPath,
      async handler({ principal, params }) {
        const list = await permissions.listTeams(principal, params.repository);
        return { status: 200, body: { permissions: Object.fromEntries(list.map((p) => [p.name, teamJson(p)])) } };
      },
    }),
    apiRoute({
      ...common,
      method: 'GET',
      path: '/api/v1/repository/{repository}/permissions/team/{teamname}',
      operationId: 'getTeamPermissions',
      summary: 'The permission of one team.',
      params: teamPath,
      async handler({ principal, params }) {
        return { status: 200, body: teamJson(await permissions.getTeam(principal, params.repository, params.teamname)) };
      },
    }),
    apiRoute({
      ...common,
      method: 'PUT',
      path: '/api/v1/repository/{repository}/permissions/team/{teamname}',
      operationId: 'changeTeamPermissions',
      summary: "Grant or change the permission of a team of the repository's organization.",
      params: teamPath,
      body: z.object({ role }),
      async handler({ actor, params, body }) {
        return { status: 200, body: teamJson(await permissions.setTeam(actor, params.repository, params.teamname, body.role)) };
      },
    }),
    apiRoute({
      ...common,
      method: 'DELETE',
      path: '/api/v1/repository/{repository}/permissions/team/{teamname}',
      operationId: 'deleteTeamPermissions',
      summary: 'Remove the permission of a team.',
      params: teamPath,
      successStatus: 204,
      async handler({ actor, params }) {
        await permissions.removeTeam(actor, params.repository, params.teamname);
        return { status: 204 };
      },
    }),
  ];
}

function accountJson(p: AccountPermission): Record<string, unknown> {
  const json: Record<string, unknown> = { role: p.role, name: p.name, is_robot: p.isRobot };
  if (p.isOrgMember !== undefined) json.is_org_member = p.isOrgMember;
  return json;
}

function teamJson(p: TeamPermission): Record<string, unknown> {
  return { role: p.role, name: p.name };
}
