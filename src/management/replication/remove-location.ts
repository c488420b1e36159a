/**
 * remove-location (Quay's util.removelocation): the guards that come before the transaction.
 * The removal itself is one ReplicationStore.removeLocation call (one transaction, last-copy safe).
 */
import type { Config } from '../../config/index.js';

/** Quay's guard message, shared with backfill-replication. */
export const REPLICATION_DISABLED = 'Storage replication is not enabled. Exiting.';

export interface Refusal {
  readonly message: string;
}

/**
 * Why the removal must not start, or undefined. Like Quay: only with FEATURE_STORAGE_REPLICATION.
 * Unlike Quay: a location still in DISTRIBUTED_STORAGE_CONFIG is refused unless `force`, since
 * every instance would re-create its row at the next start (and may still write to it now).
 */
export function removalRefusal(config: Config, name: string, force: boolean): Refusal | undefined {
  if (!config.storage.replication) return { message: REPLICATION_DISABLED };
  if (!force && stillConfigured(config, name)) {
    const roles = [config.storage.preference.includes(name) && 'DISTRIBUTED_STORAGE_PREFERENCE', config.storage.defaultLocations.includes(name) && 'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS'].filter(Boolean);
    return {
      message:
        `${name} is still listed in DISTRIBUTED_STORAGE_CONFIG of ${config.source}${roles.length > 0 ? ` (and in ${roles.join(', ')})` : ''}: ` +
        'remove it from the config of every instance and restart them first, or the next start re-creates it; --force removes it anyway',
    };
  }
  return undefined;
}

export function stillConfigured(config: Config, name: string): boolean {
  return config.storage.locations.some((l) => l.name === name);
}

/** The operator's next step after a refusal for last copies. */
export function lastCopyAdvice(name: string, blobs: number): string {
  return (
    `${blobs} blob(s) have their only verified copy at ${name}; replicate them elsewhere first ` +
    `(add a default location or namespace region, run \`wharf backfill-replication\`, then \`wharf replication status --wait\`), ` +
    'or pass --force to remove the location anyway (those blobs are then lost)'
  );
}
