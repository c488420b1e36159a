/**
 * Namespace regions (Quay's UserRegion), which Quay has no tool for ("contact support"): extra
 * locations every blob of a namespace must be replicated to, on top of the default locations.
 */
import type { Config } from '../../config/index.js';
import { parseRepositoryName } from '../../domain/index.js';
import type { Stores } from '../../metadata/store.js';

/** A namespace is one component of the repository-name grammar (e.g. `acme`). */
export function checkNamespace(namespace: string): void {
  let valid = !namespace.includes('/');
  try {
    parseRepositoryName(namespace);
  } catch {
    valid = false;
  }
  if (!valid) throw new Error(`${JSON.stringify(namespace)} is not a valid namespace name (lowercase letters, digits and . _ - separators)`);
}

/** Adds the region; the location must be configured. False when the namespace had it already. */
export async function addNamespaceRegion(config: Config, stores: Stores, namespace: string, location: string): Promise<boolean> {
  checkNamespace(namespace);
  if (!config.storage.locations.some((l) => l.name === location)) {
    const known = config.storage.locations.map((l) => l.name).join(', ');
    throw new Error(`${JSON.stringify(location)} is not defined in DISTRIBUTED_STORAGE_CONFIG of ${config.source} (configured: ${known})`);
  }
  await stores.locations.sync([location]);
  return stores.regions.add(namespace, location);
}
