/**
 * A bounded in-process map whose entries carry their own expiry: the verified-token cache
 * (a token string → what its signature proved, until the token's `exp`). Lookups after the
 * expiry miss, whatever else happened; when full, expired entries are swept, then the oldest
 * go. Only immutable facts belong here: nothing invalidates an entry before it expires.
 */
export class ExpiringMap<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { maxEntries: number; now?: () => number }) {
    this.#maxEntries = options.maxEntries;
    this.#now = options.now ?? Date.now;
  }

  get(key: string): V | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  /** Remembers `value` until `expiresAt` (epoch ms); nothing already expired is stored. */
  set(key: string, value: V, expiresAt: number): void {
    const now = this.#now();
    if (expiresAt <= now) return;
    if (this.#entries.size >= this.#maxEntries) {
      for (const [k, e] of this.#entries) if (e.expiresAt <= now) this.#entries.delete(k);
      while (this.#entries.size >= this.#maxEntries) {
        const oldest = this.#entries.keys().next();
        if (oldest.done) break;
        this.#entries.delete(oldest.value);
      }
    }
    this.#entries.set(key, { value, expiresAt });
  }

  get size(): number {
    return this.#entries.size;
  }
}
