/** Every account-related /api/v1 route: users, superuser user management, organizations, teams, robots, app tokens. */
import type { ManagementContext } from '../../management/context.js';
import { organizationRoutes } from './account-organization-routes.js';
import { robotRoutes } from './account-robot-routes.js';
import { superuserUserRoutes } from './account-superuser-routes.js';
import { userRoutes } from './account-user-routes.js';
import type { AnyApiRoute } from './route.js';

export function accountRoutes(ctx: ManagementContext): AnyApiRoute[] {
  return [...userRoutes(ctx), ...superuserUserRoutes(ctx), ...organizationRoutes(ctx), ...robotRoutes(ctx)];
}
