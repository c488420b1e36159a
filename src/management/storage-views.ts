/**
 * Superuser views of the distributed storage (DESIGN §5.6): the configured locations as this
 * instance sees them, and the replication status, with the same fields as
 * `wharf replication status --json` so scripts can read either.
 */
import type { Principal } from '../auth/principal.js';
import type { LocationStatus, ReplicationStatus } from '../metadata/store.js';
import type { ManagementContext } from './context.js';
import { requireSuperuser } from './access-checks.js';

export interface LocationView {
  readonly id: number;
  readonly name: string;
  /** The driver's registration name, e.g. `LocalStorage`, `S3Storage`. */
  readonly driver: string;
  /** 1 for the location this instance uses first (QUAY_DISTRIBUTED_STORAGE_PREFERENCE), then 2, ... */
  readonly preference: number;
  /** In DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: every blob is replicated there. */
  readonly isDefault: boolean;
  /** False while the location is in its cool-down after a failed operation on this instance. */
  readonly healthy: boolean;
}

export function storageLocations(ctx: ManagementContext, principal: Principal): LocationView[] {
  requireSuperuser(ctx, principal);
  return ctx.locations.all().map((location, index) => ({
    id: location.id,
    name: location.name,
    driver: location.driver.driverName,
    preference: index + 1,
    isDefault: ctx.defaultLocationIds.includes(location.id),
    healthy: ctx.locations.health.isHealthy(location.id),
  }));
}

/** {@link ReplicationStatus} plus the totals the CLI prints: JSON-ready (`null` for "no pending job"). */
export interface ReplicationStatusView extends Omit<ReplicationStatus, 'locations'> {
  readonly locations: (Omit<LocationStatus, 'oldestPendingAgeMs'> & { readonly oldestPendingAgeMs: number | null })[];
  /** Required placements not present, over every location. */
  readonly missing: number;
  readonly converged: boolean;
}

export async function replicationStatus(ctx: ManagementContext, principal: Principal): Promise<ReplicationStatusView> {
  requireSuperuser(ctx, principal);
  return replicationStatusView(await ctx.metadata.stores.replication.status(ctx.defaultLocationIds));
}

export function replicationStatusView(status: ReplicationStatus): ReplicationStatusView {
  const missing = status.locations.reduce((n, l) => n + l.missing, 0);
  const locations = status.locations.map((l) => ({ ...l, oldestPendingAgeMs: l.oldestPendingAgeMs ?? null }));
  return { ...status, locations, missing, converged: missing === 0 };
}
