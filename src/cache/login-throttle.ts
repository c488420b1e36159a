/**
 * Slows down password guessing: after `maxFailures` (5) failed logins from one address within
 * `windowMs` (5 minutes, renewed by each failure), that address is refused for a delay that
 * doubles with each further failure: 1 s after the 5th, 2 s after the 6th, 4 s ... capped at
 * 60 s. A success clears the address. Refused attempts are not counted (no credentials were
 * checked), so a client that waits for Retry-After always gets its next try.
 *
 * Two implementations: in memory (one process), and Redis (INCR + PEXPIRE under the configured
 * prefix, so every instance sharing Redis counts together). Redis is a protection here, not a
 * gate: when it fails, logins proceed (and a warning is logged) rather than locking everyone out.
 * Addresses are not secrets; credentials never reach this module.
 */
import { cacheRedisClient, closeRedisClient } from './redis-client.js';
import type { RedisConfig } from '../config/config.js';
import type { Logger } from '../observability/logger.js';

export interface LoginThrottle {
  /** Seconds the address must wait before its next attempt; 0 when it may try now. */
  retryAfterSeconds(ip: string): Promise<number>;
  failed(ip: string): Promise<void>;
  succeeded(ip: string): Promise<void>;
  close(): Promise<void>;
}

export interface LoginThrottleOptions {
  readonly maxFailures?: number;
  readonly windowMs?: number;
  readonly maxDelayMs?: number;
}

const DEFAULT_MAX_FAILURES = 5;
const DEFAULT_WINDOW_MS = 5 * 60_000;
const DEFAULT_MAX_DELAY_MS = 60_000;
/** Past this many tracked addresses, the memory throttle sweeps out the quiet ones. */
const MEMORY_SWEEP_SIZE = 10_000;

interface Policy {
  readonly maxFailures: number;
  readonly windowMs: number;
  readonly maxDelayMs: number;
}

function policyOf(options: LoginThrottleOptions): Policy {
  return {
    maxFailures: options.maxFailures ?? DEFAULT_MAX_FAILURES,
    windowMs: options.windowMs ?? DEFAULT_WINDOW_MS,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS,
  };
}

/** How long to refuse after the `failures`-th failure in the window: 0 below the limit, then 1 s doubling to the cap. */
export function lockoutMs(failures: number, policy: Policy): number {
  if (failures < policy.maxFailures) return 0;
  return Math.min(policy.maxDelayMs, 1000 * 2 ** Math.min(failures - policy.maxFailures, 30));
}

const toSeconds = (ms: number): number => (ms > 0 ? Math.ceil(ms / 1000) : 0);

export function memoryLoginThrottle(options: LoginThrottleOptions & { now?: () => number } = {}): LoginThrottle {
  const policy = policyOf(options);
  const now = options.now ?? Date.now;
  const byAddress = new Map<string, { failures: number; windowEnd: number; lockedUntil: number }>();
  const current = (ip: string) => {
    const entry = byAddress.get(ip);
    if (entry && entry.windowEnd <= now() && entry.lockedUntil <= now()) {
      byAddress.delete(ip);
      return undefined;
    }
    return entry;
  };
  return {
    async retryAfterSeconds(ip) {
      return toSeconds((current(ip)?.lockedUntil ?? 0) - now());
    },
    async failed(ip) {
      if (byAddress.size >= MEMORY_SWEEP_SIZE) for (const key of [...byAddress.keys()]) current(key);
      const failures = (current(ip)?.failures ?? 0) + 1;
      byAddress.set(ip, { failures, windowEnd: now() + policy.windowMs, lockedUntil: now() + lockoutMs(failures, policy) });
    },
    async succeeded(ip) {
      byAddress.delete(ip);
    },
    async close() {
      byAddress.clear();
    },
  };
}

/**
 * Keys: `<prefix>login:failures:<ip>` (a counter that expires `windowMs` after the last failure)
 * and `<prefix>login:locked:<ip>` (present while the address must wait; its PTTL is the wait).
 */
export function redisLoginThrottle(redis: RedisConfig, options: LoginThrottleOptions & { logger?: Logger } = {}): LoginThrottle {
  const policy = policyOf(options);
  // A login must not wait on a Redis outage: a command queued while connecting fails with the
  // first failed connection attempt, one sent to a stalled server after a short timeout, and
  // between reconnection attempts nothing is sent at all (see `available`).
  const client = cacheRedisClient(redis, 'wharf-login-throttle', { commandTimeout: 500 });
  let warned = false;
  client.on('error', (err: Error) => warnOnce(err));
  client.on('ready', () => (warned = false));
  function warnOnce(err: unknown): void {
    if (warned) return;
    warned = true;
    options.logger?.warn({ err }, 'login throttle cannot reach Redis; failed logins are not being slowed down');
  }
  const available = () => {
    const down = client.status === 'reconnecting' || client.status === 'close' || client.status === 'end';
    if (down) warnOnce(new Error(`Redis connection is ${client.status}`));
    return !down;
  };
  const failuresKey = (ip: string) => `${redis.prefix}login:failures:${ip}`;
  const lockedKey = (ip: string) => `${redis.prefix}login:locked:${ip}`;
  return {
    async retryAfterSeconds(ip) {
      if (!available()) return 0;
      try {
        return toSeconds(await client.pttl(lockedKey(ip)));
      } catch (err) {
        warnOnce(err);
        return 0;
      }
    },
    async failed(ip) {
      if (!available()) return;
      try {
        const results = await client.multi().incr(failuresKey(ip)).pexpire(failuresKey(ip), policy.windowMs).exec();
        const failures = Number(results?.[0]?.[1] ?? 0);
        const wait = lockoutMs(failures, policy);
        if (wait > 0) await client.set(lockedKey(ip), '1', 'PX', wait);
      } catch (err) {
        warnOnce(err);
      }
    },
    async succeeded(ip) {
      if (!available()) return;
      try {
        await client.del(failuresKey(ip), lockedKey(ip));
      } catch (err) {
        warnOnce(err);
      }
    },
    close: () => closeRedisClient(client),
  };
}
