import type { Authorizer } from '../auth/authorizer.js';
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
}
