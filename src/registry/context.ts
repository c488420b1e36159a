import { parseRepositoryName } from '../domain/index.js';
import { Errors, WharfError } from '../errors/index.js';
import type { MetadataStore, RepositoryRow, Stores } from '../metadata/store.js';
import type { Logger } from '../observability/logger.js';
import type { LocationSet } from '../storage/locations/location-set.js';

/** What the registry use cases need; built once by main.ts. */
export interface RegistryContext {
  readonly metadata: MetadataStore;
  readonly locations: LocationSet;
  readonly logger: Logger;
}

/** The repository named in a request, which must exist. */
export async function existingRepository(stores: Stores, name: string): Promise<RepositoryRow> {
  parseRepositoryName(name);
  const repository = await stores.repositories.find(name);
  if (!repository) throw new WharfError(Errors.NAME_UNKNOWN, { name });
  return repository;
}

/** The repository a push writes to, created on first push. */
export async function pushRepository(stores: Stores, name: string): Promise<RepositoryRow> {
  const parsed = parseRepositoryName(name);
  return (await stores.repositories.find(name)) ?? (await stores.repositories.ensure(parsed));
}
