import type { Authorizer } from '../auth/authorizer.js';
import type { RepositoryVersions } from '../cache/repository-versions.js';
import type { MetadataStore } from '../metadata/store.js';
import type { Logger } from '../observability/logger.js';
import type { LocationSet } from '../storage/locations/location-set.js';

/** What the management use cases need; built once by main.ts. */
export interface ManagementContext {
  readonly metadata: MetadataStore;
  readonly authorizer: Authorizer;
  readonly logger: Logger;
  /** The configured storage locations (superuser views). */
  readonly locations: LocationSet;
  /** DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS as location ids (replication status). */
  readonly defaultLocationIds: readonly number[];
  /** SUPER_USERS from the config: these users are superusers whatever the database says. */
  readonly superUsers: readonly string[];
  /**
   * The registry's cache versions: changes to a repository's tags, manifests, visibility or
   * existence invalidate them after they commit (registry/context.ts). Absent where nothing
   * caches (tests of the use cases alone).
   */
  readonly versions?: RepositoryVersions;
}

/** After a committed change to the repository `name`: no instance may answer from an older cache. */
export async function repositoryChanged(ctx: ManagementContext, name: string): Promise<void> {
  await ctx.versions?.invalidate(name);
}

/** After a committed change to many repositories (a namespace and its repositories deleted). */
export async function repositoriesChanged(ctx: ManagementContext): Promise<void> {
  await ctx.versions?.invalidateAll();
}
