/**
 * The in-process WorkNotifier of the embedded default (one process, no Redis): enqueuer and
 * workers share memory, so an announcement is a function call. Listeners run on a later tick,
 * never inside `notify`, so a worker never starts inside the caller's stack (or transaction).
 */
import type { Logger } from '../../observability/logger.js';
import type { WorkNotifier } from '../notifier.js';
import { Listeners } from './listeners.js';

export class MemoryNotifier implements WorkNotifier {
  readonly #listeners: Listeners;
  #closed = false;

  constructor(options: { logger?: Logger } = {}) {
    this.#listeners = new Listeners(options.logger);
  }

  async notify(kind: string): Promise<void> {
    if (this.#closed) return;
    setImmediate(() => this.#listeners.fire(kind));
  }

  subscribe(kind: string, listener: () => void): () => void {
    const { remove } = this.#listeners.add(kind, listener);
    return () => void remove();
  }

  /** Subscriptions are local listeners on an already-listening connection: live at once. */
  async settled(): Promise<void> {}

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
  }
}
