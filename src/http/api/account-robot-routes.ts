/**
 * Quay's robot resources, for an organization (`/api/v1/organization/{orgname}/robots/...`) and
 * for the caller's own namespace (`/api/v1/user/robots/...`): the same five operations each.
 */
import { z } from 'zod';
import type { ManagementContext } from '../../management/context.js';
import { type RobotOwner, Robots } from '../../management/robots.js';
import { robotJson, robotListJson } from './account-views.js';
import { flag } from './quay-format.js';
import { type AnyApiRoute, apiRoute } from './route.js';

const TOKEN_ONCE = 'The token appears only in this answer: Wharf stores a SHA-256 digest of it, so it cannot be shown again (regenerate to get a new one).';
const shortName = z.string().describe('The short name of the robot, without the namespace+ prefix');
const orgname = z.string().describe('The organization name');

interface RobotFamily {
  /** The path up to `/robots`. */
  readonly base: string;
  /** Quay's operationId infix: `Org` or `User`. */
  readonly infix: 'Org' | 'User';
  readonly who: string;
  /** Path parameters of the list, and of one robot. */
  readonly params: z.ZodType<{ orgname?: string }>;
  readonly robotParams: z.ZodType<{ orgname?: string; robot_shortname: string }>;
  owner(params: { orgname?: string }): RobotOwner;
}

const families: readonly RobotFamily[] = [
  {
    base: '/api/v1/organization/{orgname}/robots',
    infix: 'Org',
    who: 'organization admins; members may list',
    params: z.object({ orgname }),
    robotParams: z.object({ orgname, robot_shortname: shortName }),
    owner: (params) => ({ kind: 'organization', name: params.orgname ?? '' }),
  },
  {
    base: '/api/v1/user/robots',
    infix: 'User',
    who: "the caller's own robots",
    params: z.object({}),
    robotParams: z.object({ robot_shortname: shortName }),
    owner: () => ({ kind: 'user' }),
  },
];

export function robotRoutes(ctx: ManagementContext): AnyApiRoute[] {
  const robots = new Robots(ctx);
  return families.flatMap((family) => {
    const one = family.robotParams;
    return [
      apiRoute({
        method: 'GET',
        path: family.base,
        operationId: `get${family.infix}Robots`,
        summary: `List the robots (${family.who}). Tokens are never listed.`,
        tag: 'robot',
        access: 'user',
        params: family.params,
        query: z.object({
          permissions: flag('Include the teams and repositories each robot has permissions in (admins)'),
          token: flag('Ignored: robot tokens are shown only when created or regenerated', true),
          limit: z.coerce.number().int().min(1).optional().describe('At most this many robots'),
        }),
        async handler({ principal, params, query }) {
          const entries = await robots.list(principal, family.owner(params), { permissions: query.permissions });
          return { status: 200, body: { robots: entries.slice(0, query.limit).map(robotListJson) } };
        },
      }),
      apiRoute({
        method: 'GET',
        path: `${family.base}/{robot_shortname}`,
        operationId: `get${family.infix}Robot`,
        summary: `One robot (${family.who.replace(/; members may list$/, '')}), without its token.`,
        tag: 'robot',
        access: 'user',
        params: one,
        async handler({ principal, params }) {
          return { status: 200, body: robotJson(await robots.get(principal, family.owner(params), params.robot_shortname)) };
        },
      }),
      apiRoute({
        method: 'PUT',
        path: `${family.base}/{robot_shortname}`,
        operationId: `create${family.infix}Robot`,
        summary: `Create a robot. ${TOKEN_ONCE}`,
        tag: 'robot',
        access: 'user',
        params: one,
        body: z.object({ description: z.string().max(255).optional().describe('What the robot is for') }),
        successStatus: 201,
        async handler({ actor, params, body }) {
          const { robot, token } = await robots.create(actor, family.owner(params), params.robot_shortname, body);
          return { status: 201, body: robotJson(robot, token) };
        },
      }),
      apiRoute({
        method: 'DELETE',
        path: `${family.base}/{robot_shortname}`,
        operationId: `delete${family.infix}Robot`,
        summary: 'Delete a robot with its team memberships and repository permissions.',
        tag: 'robot',
        access: 'user',
        params: one,
        successStatus: 204,
        async handler({ actor, params }) {
          await robots.delete(actor, family.owner(params), params.robot_shortname);
          return { status: 204 };
        },
      }),
      apiRoute({
        method: 'POST',
        path: `${family.base}/{robot_shortname}/regenerate`,
        operationId: `regenerate${family.infix}RobotToken`,
        summary: `Replace a robot's token; the old one stops working at once. ${TOKEN_ONCE}`,
        tag: 'robot',
        access: 'user',
        params: one,
        async handler({ actor, params }) {
          const { robot, token } = await robots.regenerate(actor, family.owner(params), params.robot_shortname);
          return { status: 200, body: robotJson(robot, token) };
        },
      }),
    ];
  });
}
