/** Quay's superuser user management (`/api/v1/superuser/users/`). */
import { z } from 'zod';
import type { ManagementContext } from '../../management/context.js';
import { MAX_USER_PAGE, UserAdministration } from '../../management/user-administration.js';
import { managedUserJson } from './account-views.js';
import { flag, positiveInt } from './quay-format.js';
import { type AnyApiRoute, apiRoute } from './route.js';

const userPath = z.object({ username: z.string().describe('The user name') });

export function superuserUserRoutes(ctx: ManagementContext): AnyApiRoute[] {
  const admin = new UserAdministration(ctx);
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/superuser/users/',
      operationId: 'listAllUsers',
      summary: 'Every user, by name; with limit, one page at a time (next_page leads on).',
      tag: 'superuser',
      access: 'superuser',
      query: z.object({
        disabled: flag('Include disabled users', true),
        limit: positiveInt(`Users per page (at most ${MAX_USER_PAGE}); without it, every user`),
        next_page: z.string().max(1024).optional().describe('The next_page of the previous answer'),
      }),
      async handler({ principal, query }) {
        const page = await admin.list(principal, { includeDisabled: query.disabled, limit: query.limit, after: query.next_page });
        const body: Record<string, unknown> = { users: page.users.map((u) => managedUserJson(u, admin.isSuperuser(u))) };
        if (page.next !== undefined) body.next_page = page.next;
        return { status: 200, body };
      },
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/superuser/users/',
      operationId: 'createInstallUser',
      summary: 'Create a user with a generated password, returned only in this answer (the user should change it).',
      tag: 'superuser',
      access: 'superuser',
      body: z.object({
        username: z.string().max(255).describe('The user name'),
        email: z.string().max(254).nullable().optional().describe('The e-mail address'),
      }),
      async handler({ actor, body }) {
        const { user, password } = await admin.create(actor, { username: body.username, email: body.email ?? undefined });
        return { status: 200, body: { username: user.name, email: user.email ?? null, password } };
      },
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/superuser/users/{username}',
      operationId: 'getInstallUser',
      summary: 'One user, as superusers see it.',
      tag: 'superuser',
      access: 'superuser',
      params: userPath,
      async handler({ principal, params }) {
        const user = await admin.get(principal, params.username);
        return { status: 200, body: managedUserJson(user, admin.isSuperuser(user)) };
      },
    }),
    apiRoute({
      method: 'PUT',
      path: '/api/v1/superuser/users/{username}',
      operationId: 'changeInstallUser',
      summary:
        "Change a user's password, e-mail, enabled state or superuser flag. Another superuser's account cannot be changed (demote them first); nobody disables or demotes themselves.",
      tag: 'superuser',
      access: 'superuser',
      params: userPath,
      body: z.object({
        password: z.string().max(1024).optional().describe('The new password'),
        email: z.string().max(254).nullable().optional().describe('The new e-mail address; empty or null removes it'),
        enabled: z.boolean().optional().describe('Whether the user may log in'),
        superuser: z.boolean().optional().describe('Whether the user is a superuser (users listed in SUPER_USERS stay superusers)'),
      }),
      async handler({ actor, params, body }) {
        const user = await admin.update(actor, params.username, body);
        return { status: 200, body: managedUserJson(user, admin.isSuperuser(user)) };
      },
    }),
    apiRoute({
      method: 'DELETE',
      path: '/api/v1/superuser/users/{username}',
      operationId: 'deleteInstallUser',
      summary:
        "Delete a user with their repositories, robots and tokens. Refused for superusers and when it would leave one of the user's organizations without an admin.",
      tag: 'superuser',
      access: 'superuser',
      params: userPath,
      successStatus: 204,
      async handler({ actor, params }) {
        await admin.delete(actor, params.username);
        return { status: 204 };
      },
    }),
  ];
}
