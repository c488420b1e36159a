/** The management use cases' context over a real metadata store, for their tests. */
import { StoreAuthorizer } from '../../src/auth/store-authorizer.js';
import type { ManagementContext } from '../../src/management/context.js';
import type { MetadataStore } from '../../src/metadata/store.js';
import { silentLogger } from '../../src/observability/logger.js';
import { LocationSet } from '../../src/storage/locations/location-set.js';

/** No storage locations, no default locations, no SUPER_USERS, anonymous access on, unless overridden. */
export function managementContext(metadata: MetadataStore, overrides: Partial<Omit<ManagementContext, 'metadata'>> = {}): ManagementContext {
  return {
    metadata,
    authorizer: new StoreAuthorizer({ metadata, anonymousAccess: true }),
    logger: silentLogger(),
    locations: new LocationSet([], []),
    defaultLocationIds: [],
    superUsers: [],
    ...overrides,
  };
}
