/**
 * Removes abandoned upload sessions: a session untouched for `staleAfterMs` (a client that
 * gave up mid-push) loses its bytes in storage (LocalStorage file, S3 chunk objects, Azure
 * staging blob) and then its row. Storage first: a row without bytes is harmless (a late PATCH
 * gets BLOB_UPLOAD_UNKNOWN), bytes without a row would never be found again. Every instance
 * may run it; removing twice is harmless.
 */
import type { MetadataStore, UploadRow } from '../../metadata/store.js';
import type { Logger } from '../../observability/logger.js';
import type { LocationSet } from '../../storage/locations/location-set.js';

export interface UploadCleanerOptions {
  readonly metadata: MetadataStore;
  readonly locations: LocationSet;
  readonly logger: Logger;
  /** Sessions idle for longer are abandoned (default 24 h, Docker's own upload purge age is 1 week). */
  readonly staleAfterMs?: number;
  readonly intervalMs?: number;
  readonly now?: () => number;
}

export class UploadCleaner {
  readonly #o: Required<UploadCleanerOptions>;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(options: UploadCleanerOptions) {
    this.#o = { staleAfterMs: 24 * 3600_000, intervalMs: 10 * 60_000, now: Date.now, ...options };
  }

  start(): void {
    this.#timer = setInterval(() => void this.sweep(), this.#o.intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  /** One pass; returns how many sessions were removed. Never throws (failures are logged and retried next pass). */
  sweep(): Promise<number> {
    this.#running ??= this.#sweep().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #sweep(): Promise<number> {
    const { metadata, logger } = this.#o;
    let removed = 0;
    try {
      for (;;) {
        const stale = await metadata.stores.uploads.listStale(this.#o.now() - this.#o.staleAfterMs, 100);
        const done = await Promise.all(stale.map((row) => this.#remove(row)));
        removed += done.filter(Boolean).length;
        if (stale.length < 100 || !done.some(Boolean)) break;
      }
    } catch (err) {
      logger.warn({ err }, 'upload cleanup pass failed; retrying at the next one');
    }
    if (removed > 0) logger.info({ removed }, 'abandoned upload sessions removed');
    return removed;
  }

  async #remove(row: UploadRow): Promise<boolean> {
    const location = this.#o.locations.byId(row.locationId);
    try {
      await location?.driver.abortUpload({ id: row.id, size: row.offset, driverState: row.driverState ?? undefined });
      return await this.#o.metadata.stores.uploads.delete(row.id);
    } catch (err) {
      this.#o.logger.warn({ err, uploadId: row.id, location: location?.name }, 'cannot remove an abandoned upload; will retry');
      return false;
    }
  }
}
