/**
 * What the operator commands run on: the resolved config, the metadata store, the location ids
 * (after the same sync `wharf serve` does at start) and, on demand, the storage drivers.
 */
import type { Config } from '../config/index.js';
import type { Id, MetadataStore } from '../metadata/store.js';
import type { StorageDriver } from '../storage/driver.js';
import { REPLICATE_BLOB } from '../jobs/notifier.js';
import { silentLogger } from '../observability/logger.js';

export interface OperatorContext {
  readonly config: Config;
  readonly metadata: MetadataStore;
  /** Location ids by name: every row in the database (configured or not). */
  readonly locationIds: ReadonlyMap<string, Id>;
  /** DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS as ids. */
  readonly defaults: readonly Id[];
  /** A driver per configured location, by location id (built on first call). */
  drivers(): Promise<ReadonlyMap<Id, { name: string; driver: StorageDriver }>>;
  /** Wakes the replication workers of every instance (after enqueueing), instead of their next poll. */
  announceReplication(): Promise<void>;
}

export interface OperatorOptions {
  /** Insert rows for configured locations that have none (what every start does); default true. */
  readonly sync?: boolean;
}

/** Opens everything, runs `fn`, closes; errors keep their message, with a hint when the schema is missing. */
export async function withOperator<T>(configFile: string | undefined, options: OperatorOptions, fn: (ctx: OperatorContext) => Promise<T>): Promise<T> {
  // Loaded here rather than at the top: every command module is loaded for every command.
  const [{ openMetadata, resolveConfig }, { createDriver }, { openNotifier }] = await Promise.all([import('../main.js'), import('../storage/drivers.js'), import('../workers.js')]);
  const config = resolveConfig(configFile);
  const metadata = await openMetadata(config);
  try {
    const configured = config.storage.locations.map((l) => l.name);
    const rows = await schemaHint(options.sync === false ? metadata.stores.locations.list() : metadata.stores.locations.sync(configured).then((m) => [...m.values()]));
    const locationIds = new Map(rows.map((r) => [r.name, r.id]));
    const defaults = config.storage.defaultLocations.flatMap((name) => locationIds.get(name) ?? []);
    let drivers: Promise<Map<Id, { name: string; driver: StorageDriver }>> | undefined;
    const ctx: OperatorContext = {
      config,
      metadata,
      locationIds,
      defaults,
      drivers() {
        drivers ??= (async () => {
          const built = new Map<Id, { name: string; driver: StorageDriver }>();
          for (const l of config.storage.locations) {
            const id = locationIds.get(l.name);
            if (id !== undefined) built.set(id, { name: l.name, driver: await createDriver(l.driver, l.params) });
          }
          return built;
        })();
        return drivers;
      },
      async announceReplication() {
        const notifier = await openNotifier(config, silentLogger());
        try {
          await notifier.notify(REPLICATE_BLOB);
        } finally {
          await notifier.close();
        }
      },
    };
    return await fn(ctx);
  } finally {
    await metadata.close();
  }
}

async function schemaHint<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/no such table|does not exist/.test(message)) throw new Error(`${message} (has \`wharf migrate\` been run on this database?)`, { cause: err });
    throw err;
  }
}
