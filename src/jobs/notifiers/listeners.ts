/**
 * The per-kind listener table every WorkNotifier keeps on its side of the wire. A listener that
 * throws is logged and skipped: one broken subscriber must not stop the others from waking.
 */
import type { Logger } from '../../observability/logger.js';

export class Listeners {
  readonly #byKind = new Map<string, Set<() => void>>();
  readonly #logger: Logger | undefined;

  constructor(logger?: Logger) {
    this.#logger = logger;
  }

  /** Adds a listener; `first` is true when it is the kind's first (time to subscribe upstream). */
  add(kind: string, listener: () => void): { first: boolean; remove: () => boolean } {
    let set = this.#byKind.get(kind);
    const first = set === undefined;
    if (!set) this.#byKind.set(kind, (set = new Set()));
    // A wrapper per subscription, so subscribing one function twice gives two independent handles.
    const entry = () => listener();
    set.add(entry);
    let removed = false;
    return {
      first,
      /** Removes it; true when the kind has no listener left (time to unsubscribe upstream). */
      remove: () => {
        if (removed) return false;
        removed = true;
        set.delete(entry);
        if (set.size > 0 || this.#byKind.get(kind) !== set) return false;
        this.#byKind.delete(kind);
        return true;
      },
    };
  }

  kinds(): string[] {
    return [...this.#byKind.keys()];
  }

  fire(kind: string): void {
    for (const listener of [...(this.#byKind.get(kind) ?? [])]) {
      try {
        listener();
      } catch (err) {
        this.#logger?.warn({ err, kind }, 'work listener failed');
      }
    }
  }

  /** Wakes everyone: after a reconnect, announcements made while disconnected are lost. */
  fireAll(): void {
    for (const kind of this.kinds()) this.fire(kind);
  }

  clear(): void {
    this.#byKind.clear();
  }
}
