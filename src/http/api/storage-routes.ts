/** Wharf's superuser views of the distributed storage (no Quay equivalent): locations and replication status. */
import type { ManagementContext } from '../../management/context.js';
import { replicationStatus, storageLocations } from '../../management/storage-views.js';
import { type AnyApiRoute, apiRoute } from './route.js';

export function storageRoutes(ctx: ManagementContext): AnyApiRoute[] {
  return [
    apiRoute({
      method: 'GET',
      path: '/api/v1/superuser/storage/locations',
      operationId: 'listStorageLocations',
      summary: "The configured storage locations in this instance's preference order, with their driver, default flag and health.",
      tag: 'superuser',
      access: 'superuser',
      async handler({ principal }) {
        const locations = storageLocations(ctx, principal).map((l) => ({
          id: l.id,
          name: l.name,
          driver: l.driver,
          preference: l.preference,
          is_default: l.isDefault,
          healthy: l.healthy,
        }));
        return { status: 200, body: { locations } };
      },
    }),
    apiRoute({
      method: 'GET',
      path: '/api/v1/superuser/replication',
      operationId: 'getReplicationStatus',
      summary: 'Replication status per location (required, present, missing, queued, dead, oldest pending job), as `wharf replication status --json`.',
      tag: 'superuser',
      access: 'superuser',
      async handler({ principal }) {
        return { status: 200, body: await replicationStatus(ctx, principal) };
      },
    }),
  ];
}
