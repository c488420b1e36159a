/** Quay's organization and team resources. */
import { z } from 'zod';
import type { ManagementContext } from '../../management/context.js';
import { Organizations } from '../../management/organizations.js';
import { Teams } from '../../management/teams.js';
import { organizationJson, organizationMemberJson, teamJson, teamMemberJson } from './account-views.js';
import { type AnyApiRoute, apiRoute } from './route.js';

const orgPath = z.object({ orgname: z.string().describe('The organization name') });
const teamPath = orgPath.extend({ teamname: z.string().describe('The team name') });
const memberPath = teamPath.extend({ membername: z.string().describe('A user name, or a robot of the organization (org+name)') });
const email = z.string().max(254).nullable().optional().describe('The contact e-mail address');

export function organizationRoutes(ctx: ManagementContext): AnyApiRoute[] {
  const organizations = new Organizations(ctx);
  return [
    apiRoute({
      method: 'POST',
      path: '/api/v1/organization/',
      operationId: 'createOrganization',
      summary: 'Create an organization; the caller becomes its admin through the `owners` team.',
      tag: 'organization',
      access: 'user',
      body: z.object({ name: z.string().max(255).describe('The organization name'), email, contact_email: email }),
      successStatus: 201,
      async handler({ actor, body }) {
        await organizations.create(actor, { name: body.name, email: body.contact_email ?? body.email });
        return { status: 201, body: 'Created' };
      },
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/organization/{orgname}',
      operationId: 'getOrganization',
      summary: "An organization: the caller's standing in it, its teams (for members) and its e-mail (for admins).",
      tag: 'organization',
      access: 'user',
      params: orgPath,
      async handler({ principal, params }) {
        return { status: 200, body: organizationJson(await organizations.get(principal, params.orgname)) };
      },
    }),
    apiRoute({
      method: 'PUT',
      path: '/api/v1/organization/{orgname}',
      operationId: 'changeOrganizationDetails',
      summary: "Change an organization's contact e-mail (organization admins).",
      tag: 'organization',
      access: 'user',
      params: orgPath,
      body: z.object({ email, contact_email: email }),
      async handler({ actor, params, body }) {
        const changed = body.contact_email !== undefined ? body.contact_email : body.email;
        return { status: 200, body: organizationJson(await organizations.update(actor, params.orgname, { email: changed })) };
      },
    }),
    apiRoute({
      method: 'DELETE',
      path: '/api/v1/organization/{orgname}',
      operationId: 'deleteAdminedOrganization',
      summary: 'Delete an organization with its repositories, robots and teams (organization admins).',
      tag: 'organization',
      access: 'user',
      params: orgPath,
      successStatus: 204,
      async handler({ actor, params }) {
        await organizations.delete(actor, params.orgname);
        return { status: 204 };
      },
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/organization/{orgname}/members',
      operationId: 'getOrganizationMembers',
      summary: "The users in the organization's teams, with their teams and direct repository grants (organization admins).",
      tag: 'organization',
      access: 'user',
      params: orgPath,
      async handler({ principal, params }) {
        return { status: 200, body: { members: (await organizations.members(principal, params.orgname)).map(organizationMemberJson) } };
      },
    }),
    ...teamRoutes(ctx),
  ];
}

function teamRoutes(ctx: ManagementContext): AnyApiRoute[] {
  const teams = new Teams(ctx);
  return [
    apiRoute({
      method: 'PUT',
      path: '/api/v1/organization/{orgname}/team/{teamname}',
      operationId: 'updateOrganizationTeam',
      summary: "Create a team, or change its role and description (organization admins). Roles: member, creator (may create repositories), admin.",
      tag: 'team',
      access: 'user',
      params: teamPath,
      body: z.object({ role: z.enum(['member', 'creator', 'admin']).describe('Organization-wide role of the team'), description: z.string().max(10_000).optional().describe('Markdown description') }),
      async handler({ actor, params, body }) {
        const { team, created } = await teams.put(actor, params.orgname, params.teamname, body);
        return { status: 200, body: teamJson(team, created) };
      },
    }),
    apiRoute({
      method: 'DELETE',
      path: '/api/v1/organization/{orgname}/team/{teamname}',
      operationId: 'deleteOrganizationTeam',
      summary: 'Delete a team with its memberships and permissions (organization admins); refused if the organization would have no admin left.',
      tag: 'team',
      access: 'user',
      params: teamPath,
      successStatus: 204,
      async handler({ actor, params }) {
        await teams.delete(actor, params.orgname, params.teamname);
        return { status: 204 };
      },
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/organization/{orgname}/team/{teamname}/members',
      operationId: 'getOrganizationTeamMembers',
      summary: "A team's members, users then robots (organization admins and the team's members).",
      tag: 'team',
      access: 'user',
      params: teamPath,
      async handler({ principal, params }) {
        const view = await teams.members(principal, params.orgname, params.teamname);
        return { status: 200, body: { name: view.team.name, members: view.members.map(teamMemberJson), can_edit: view.canEdit } };
      },
    }),
    apiRoute({
      method: 'PUT',
      path: '/api/v1/organization/{orgname}/team/{teamname}/members/{membername}',
      operationId: 'updateOrganizationTeamMember',
      summary: "Add a user, or one of the organization's robots, to a team (organization admins); adding a member again changes nothing.",
      tag: 'team',
      access: 'user',
      params: memberPath,
      async handler({ actor, params }) {
        const { member } = await teams.addMember(actor, params.orgname, params.teamname, params.membername);
        return { status: 200, body: teamMemberJson(member) };
      },
    }),
    apiRoute({
      method: 'DELETE',
      path: '/api/v1/organization/{orgname}/team/{teamname}/members/{membername}',
      operationId: 'deleteOrganizationTeamMember',
      summary: 'Remove a member from a team (organization admins); refused if the organization would have no admin left.',
      tag: 'team',
      access: 'user',
      params: memberPath,
      successStatus: 204,
      async handler({ actor, params }) {
        await teams.removeMember(actor, params.orgname, params.teamname, params.membername);
        return { status: 204 };
      },
    }),
  ];
}
