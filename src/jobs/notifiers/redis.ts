/**
 * WorkNotifier over the shared Redis (USER_EVENTS_REDIS): one publisher and one subscriber
 * connection, channel `<prefix>jobs:<kind>`. ioredis reconnects both and re-subscribes on its
 * own; announcements published while our subscriber was away are lost, so every listener is
 * woken once when it comes back (the job table is the truth, a wake-up only saves a poll).
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../../observability/logger.js';
import type { WorkNotifier } from '../notifier.js';
import { Listeners } from './listeners.js';

export interface RedisNotifierOptions {
  /** A redis:// URL, or ioredis options (host, port, password, db, tls). */
  readonly connection: string | RedisOptions;
  /** Prepended to every channel (and connection name), e.g. `wharf:`; tests use one per run. */
  readonly prefix?: string;
  readonly logger: Logger;
  /** How long `notify` waits for Redis before giving up on one announcement. */
  readonly publishTimeoutMs?: number;
}

export class RedisNotifier implements WorkNotifier {
  readonly #pub: Redis;
  readonly #sub: Redis;
  readonly #channelPrefix: string;
  readonly #listeners: Listeners;
  readonly #logger: Logger;
  /** Per connection: warn once per outage, not on every reconnect attempt. */
  readonly #down = new Set<string>();
  #subReadyBefore = false;
  readonly #subscribing = new Set<Promise<unknown>>();
  #closed = false;

  constructor(options: RedisNotifierOptions) {
    const prefix = options.prefix ?? '';
    this.#channelPrefix = `${prefix}jobs:`;
    this.#logger = options.logger.child({ component: 'redis-notifier' });
    this.#listeners = new Listeners(this.#logger);
    // The publisher queues while (re)connecting but gives up after a bounded wait: a push must not
    // hang on a Redis outage, and a lost announcement only delays the workers until their poll.
    this.#pub = connect(options.connection, {
      connectionName: `${prefix}wharf-notify-pub`,
      commandTimeout: options.publishTimeoutMs ?? 1000,
      maxRetriesPerRequest: 1,
    });
    this.#sub = connect(options.connection, { connectionName: `${prefix}wharf-notify-sub`, autoResubscribe: true });
    this.#watch(this.#pub, 'publisher');
    this.#watch(this.#sub, 'subscriber');
    this.#sub.on('message', (channel: string) => {
      if (channel.startsWith(this.#channelPrefix)) this.#listeners.fire(channel.slice(this.#channelPrefix.length));
    });
    this.#sub.on('ready', () => {
      if (this.#subReadyBefore) this.#listeners.fireAll();
      this.#subReadyBefore = true;
    });
  }

  async notify(kind: string): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#pub.publish(this.#channelPrefix + kind, '');
      this.#down.delete('publish');
    } catch (err) {
      this.#warnOnce('publish', err, 'cannot announce work on Redis; workers will find it on their next poll');
    }
  }

  subscribe(kind: string, listener: () => void): () => void {
    const { first, remove } = this.#listeners.add(kind, listener);
    const channel = this.#channelPrefix + kind;
    if (first && !this.#closed) {
      const pending = this.#sub.subscribe(channel).catch((err) => this.#warnOnce('subscriber', err, 'cannot subscribe on Redis'));
      this.#subscribing.add(pending);
      void pending.finally(() => this.#subscribing.delete(pending));
    }
    return () => {
      if (remove() && !this.#closed) this.#sub.unsubscribe(channel).catch(() => undefined);
    };
  }

  async settled(): Promise<void> {
    await Promise.allSettled([...this.#subscribing]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await Promise.all([quit(this.#pub), quit(this.#sub)]);
  }

  #watch(client: Redis, role: string): void {
    // Without an 'error' listener ioredis prints every failed reconnect attempt to stderr.
    client.on('error', (err: Error) => this.#warnOnce(role, err, 'Redis connection failed; reconnecting'));
    client.on('ready', () => {
      if (this.#down.delete(role)) this.#logger.info({ role }, 'Redis connection restored');
    });
  }

  #warnOnce(role: string, err: unknown, message: string): void {
    if (this.#closed || this.#down.has(role)) return;
    this.#down.add(role);
    this.#logger.warn({ err, role }, message);
  }
}

function connect(connection: string | RedisOptions, options: RedisOptions): Redis {
  return typeof connection === 'string' ? new Redis(connection, options) : new Redis({ ...connection, ...options });
}

/** QUIT when Redis answers, else drop the socket: close() must not wait on an outage. */
async function quit(client: Redis): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)));
  try {
    if (client.status === 'ready') await Promise.race([client.quit(), timeout]);
  } catch {
    // already gone
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
