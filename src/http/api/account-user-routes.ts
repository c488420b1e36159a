/** Quay's user resource (the signed-in user, other users' public records) and app-specific tokens. */
import { z } from 'zod';
import { ApiTokens } from '../../management/api-tokens.js';
import type { ManagementContext } from '../../management/context.js';
import { CurrentUser } from '../../management/users.js';
import { appTokenJson, currentUserJson, publicUserJson } from './account-views.js';
import { flag } from './quay-format.js';
import { type AnyApiRoute, apiRoute } from './route.js';

const password = z.string().max(1024).describe('The new password: at least 8 characters, no whitespace');
const email = z.string().max(254).nullable().describe('The e-mail address; empty or null removes it');

export function userRoutes(ctx: ManagementContext): AnyApiRoute[] {
  const users = new CurrentUser(ctx);
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/user/',
      operationId: 'getLoggedInUser',
      summary: 'The signed-in user: name, e-mail, superuser flag and organizations. Robots are refused.',
      tag: 'user',
      access: 'user',
      async handler({ principal }) {
        return { status: 200, body: currentUserJson(await users.profile(principal)) };
      },
    }),
    apiRoute({
      method: 'PUT',
      path: '/api/v1/user/',
      operationId: 'changeUserDetails',
      summary: "Change the signed-in user's password and/or e-mail address.",
      tag: 'user',
      access: 'user',
      body: z.object({ password: password.optional(), email: email.optional() }),
      async handler({ actor, body }) {
        return { status: 200, body: currentUserJson(await users.update(actor, body)) };
      },
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/users/{username}',
      operationId: 'getUserInformation',
      summary: "A user's public information (the full record when it is the caller).",
      tag: 'user',
      access: 'user',
      params: z.object({ username: z.string().describe('The user name') }),
      async handler({ principal, params }) {
        if (principal.kind === 'user' && principal.name === params.username) return { status: 200, body: currentUserJson(await users.profile(principal)) };
        return { status: 200, body: publicUserJson(await users.find(principal, params.username)) };
      },
    }),
    ...appTokenRoutes(ctx),
  ];
}

function appTokenRoutes(ctx: ManagementContext): AnyApiRoute[] {
  const tokens = new ApiTokens(ctx);
  const tokenPath = z.object({ token_uuid: z.string().describe('The uuid of the app token') });
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/user/apptoken',
      operationId: 'listAppTokens',
      summary: "The signed-in user's app tokens, newest first (without their secret).",
      tag: 'appspecifictokens',
      access: 'user',
      query: z.object({ expiring: flag('Only the tokens expiring soon') }),
      async handler({ principal, query }) {
        const rows = await tokens.list(principal, { expiring: query.expiring });
        return { status: 200, body: { tokens: rows.map((r) => appTokenJson(r)), only_expiring: query.expiring } };
      },
    }),
    apiRoute({
      method: 'POST',
      path: '/api/v1/user/apptoken',
      operationId: 'createAppToken',
      summary:
        'Create an app token: a bearer token for /api/v1 and a password for docker login. token_code is returned only in this answer: Wharf stores a SHA-256 digest of it.',
      tag: 'appspecifictokens',
      access: 'user',
      body: z.object({ title: z.string().max(255).describe('A title to tell the token apart') }),
      async handler({ actor, body }) {
        const created = await tokens.create(actor, body.title);
        return { status: 200, body: { token: appTokenJson(created.row, created.token) } };
      },
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/user/apptoken/{token_uuid}',
      operationId: 'getAppToken',
      summary: "One of the signed-in user's app tokens (its token_code cannot be shown again).",
      tag: 'appspecifictokens',
      access: 'user',
      params: tokenPath,
      async handler({ principal, params }) {
        return { status: 200, body: { token: appTokenJson(await tokens.get(principal, params.token_uuid)) } };
      },
    }),
    apiRoute({
      method: 'DELETE',
      path: '/api/v1/user/apptoken/{token_uuid}',
      operationId: 'revokeAppToken',
      summary: 'Revoke one of the signed-in user\'s app tokens; it stops working at once.',
      tag: 'appspecifictokens',
      access: 'user',
      params: tokenPath,
      successStatus: 204,
      async handler({ actor, params }) {
        await tokens.revoke(actor, params.token_uuid);
        return { status: 204 };
      },
    }),
  ];
}
