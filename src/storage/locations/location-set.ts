import type { StorageDriver } from '../driver.js';
import { LocationHealth } from './location-health.js';

/** One configured storage location with its driver and its row id in `storage_location`. */
export interface Location {
  readonly id: number;
  readonly name: string;
  readonly driver: StorageDriver;
}

/**
 * This instance's view of the distributed storage: every configured location, and its own
 * preference order (QUAY_DISTRIBUTED_STORAGE_PREFERENCE / DISTRIBUTED_STORAGE_PREFERENCE).
 * Locations missing from the preference come after it, in config order, so that a blob held
 * only there is still served.
 */
export class LocationSet {
  readonly #byId = new Map<number, Location>();
  readonly #ordered: readonly Location[];
  readonly health: LocationHealth;

  constructor(locations: readonly Location[], preference: readonly string[], health = new LocationHealth()) {
    this.health = health;
    for (const location of locations) this.#byId.set(location.id, location);
    const rank = (l: Location) => {
      const i = preference.indexOf(l.name);
      return i === -1 ? preference.length + locations.indexOf(l) : i;
    };
    this.#ordered = [...locations].sort((a, b) => rank(a) - rank(b));
  }

  /**
   * Where a new upload may be pinned, best first: this instance's preference with the locations
   * that failed recently moved to the end (Quay always uses the first, even when it is down).
   */
  uploadTargets(): Location[] {
    const healthy = this.#ordered.filter((l) => this.health.isHealthy(l.id));
    return [...healthy, ...this.#ordered.filter((l) => !healthy.includes(l))];
  }

  byId(id: number): Location | undefined {
    return this.#byId.get(id);
  }

  byName(name: string): Location | undefined {
    return this.#ordered.find((l) => l.name === name);
  }

  /**
   * The holders of a blob (location ids from its placements), nearest first; holders that failed
   * recently come last, still tried as a last resort, so an outage costs no time on every read.
   */
  nearestFirst(holderIds: readonly number[]): Location[] {
    const holders = this.#ordered.filter((l) => holderIds.includes(l.id));
    const healthy = holders.filter((l) => this.health.isHealthy(l.id));
    return healthy.length === holders.length ? holders : [...healthy, ...holders.filter((l) => !healthy.includes(l))];
  }

  all(): readonly Location[] {
    return this.#ordered;
  }
}
