/**
 * WorkNotifier over PostgreSQL LISTEN/NOTIFY, for deployments with the shared database but no
 * Redis. One dedicated connection (outside the pool: a pooled connection would stop listening
 * when handed back) listens on the channel and also sends `pg_notify(channel, kind)`. When it
 * drops, it reconnects with backoff and then wakes every listener once, because announcements
 * made meanwhile were lost (the job table is the truth; a wake-up only saves a poll).
 */
import pg from 'pg';
import type { Logger } from '../../observability/logger.js';
import type { WorkNotifier } from '../notifier.js';
import { Listeners } from './listeners.js';

export interface PostgresNotifierOptions {
  readonly url: string;
  /** The LISTEN channel: an SQL identifier, `wharf_jobs` unless tests need one of their own. */
  readonly channel?: string;
  readonly logger: Logger;
  /** Reconnect delays: from `minMs`, doubling up to `maxMs`. */
  readonly reconnect?: { readonly minMs?: number; readonly maxMs?: number };
}

// LISTEN takes an identifier, not a bound parameter: only plain lowercase names are accepted, so
// the quoted name is exactly the text pg_notify() is called with.
const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;

export class PostgresNotifier implements WorkNotifier {
  readonly #options: PostgresNotifierOptions;
  readonly #channel: string;
  readonly #logger: Logger;
  readonly #listeners: Listeners;
  #client: pg.Client | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #failures = 0;
  #closed = false;

  /** Connects and starts listening; fails (so startup fails) when the database cannot be reached. */
  static async open(options: PostgresNotifierOptions): Promise<PostgresNotifier> {
    const notifier = new PostgresNotifier(options);
    await notifier.#connect();
    return notifier;
  }

  private constructor(options: PostgresNotifierOptions) {
    this.#channel = options.channel ?? 'wharf_jobs';
    if (!CHANNEL.test(this.#channel)) throw new Error(`invalid notification channel ${JSON.stringify(this.#channel)}`);
    this.#options = options;
    this.#logger = options.logger.child({ component: 'postgres-notifier' });
    this.#listeners = new Listeners(this.#logger);
  }

  async notify(kind: string): Promise<void> {
    const client = this.#client;
    if (this.#closed || !client) return; // disconnected: the workers' poll finds the work
    try {
      await client.query('select pg_notify($1, $2)', [this.#channel, kind]);
    } catch (err) {
      this.#logger.warn({ err, kind }, 'cannot announce work on PostgreSQL; workers will find it on their next poll');
    }
  }

  subscribe(kind: string, listener: () => void): () => void {
    const { remove } = this.#listeners.add(kind, listener);
    return () => void remove();
  }

  /** Subscriptions are local listeners on an already-listening connection: live at once. */
  async settled(): Promise<void> {}

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#listeners.clear();
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#options.url,
      application_name: `wharf-notifier-${this.#channel}`,
      keepAlive: true, // notice a silently dead connection instead of listening to nothing forever
      query_timeout: 5000, // a notify waits at most this long on a stuck connection
    });
    client.on('error', (err) => this.#lost(client, err));
    client.on('end', () => this.#lost(client));
    client.on('notification', (message) => {
      if (message.channel === this.#channel && message.payload) this.#listeners.fire(message.payload);
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#channel}"`);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    if (this.#closed) return void (await client.end().catch(() => undefined));
    this.#client = client;
  }

  #lost(client: pg.Client, err?: Error): void {
    if (client !== this.#client || this.#closed) return;
    this.#client = undefined;
    this.#logger.warn({ err }, 'PostgreSQL notification connection lost; reconnecting');
    client.end().catch(() => undefined);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const { minMs = 100, maxMs = 30_000 } = this.#options.reconnect ?? {};
    const delay = Math.min(maxMs, minMs * 2 ** this.#failures) * (0.5 + Math.random() / 2);
    this.#retryTimer = setTimeout(() => {
      this.#connect().then(
        () => {
          if (this.#closed) return;
          this.#failures = 0;
          this.#logger.info('PostgreSQL notification connection restored');
          this.#listeners.fireAll();
        },
        (err) => {
          if (this.#closed) return;
          this.#failures += 1;
          if (this.#failures === 1) this.#logger.warn({ err }, 'cannot reconnect to PostgreSQL for notifications; retrying');
          this.#scheduleReconnect();
        },
      );
    }, delay);
    this.#retryTimer.unref();
  }
}
