/**
 * Which locations recently failed. A location whose driver failed is skipped for new uploads
 * for `coolDownMs`, then tried again: health is learnt from real traffic rather than probes,
 * so an outage costs at most one failed attempt per cool-down, not one per request.
 */
export class LocationHealth {
  readonly #failedUntil = new Map<number, number>();
  readonly #coolDownMs: number;
  readonly #now: () => number;

  constructor(coolDownMs = 30_000, now: () => number = Date.now) {
    this.#coolDownMs = coolDownMs;
    this.#now = now;
  }

  markFailed(locationId: number): void {
    this.#failedUntil.set(locationId, this.#now() + this.#coolDownMs);
  }

  markHealthy(locationId: number): void {
    this.#failedUntil.delete(locationId);
  }

  isHealthy(locationId: number): boolean {
    const until = this.#failedUntil.get(locationId);
    return until === undefined || until <= this.#now();
  }
}
