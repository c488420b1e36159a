import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { RedisConfig } from '../config/config.js';
import { REDIS_SKIP_MESSAGE, testRedisPrefix, testRedisUrl } from '../../test/support/redis.js';
import { lockoutMs, memoryLoginThrottle, redisLoginThrottle, type LoginThrottle } from './login-throttle.js';

const policy = { maxFailures: 5, windowMs: 300_000, maxDelayMs: 60_000 };

describe('lockoutMs', () => {
  it('is zero below five failures, then 1 s doubling per failure up to 60 s', () => {
    assert.deepEqual([1, 2, 3, 4].map((n) => lockoutMs(n, policy)), [0, 0, 0, 0]);
    assert.deepEqual([5, 6, 7, 8, 9, 10, 11, 12].map((n) => lockoutMs(n, policy)), [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
    assert.equal(lockoutMs(10_000, policy), 60_000);
  });
});

describe('memoryLoginThrottle', () => {
  let clock = 1_000_000;
  const throttle = memoryLoginThrottle({ now: () => clock });

  it('lets four failures through and refuses after the fifth, doubling per further failure', async () => {
    for (let i = 0; i < 4; i++) await throttle.failed('10.0.0.1');
    assert.equal(await throttle.retryAfterSeconds('10.0.0.1'), 0);
    await throttle.failed('10.0.0.1');
    assert.equal(await throttle.retryAfterSeconds('10.0.0.1'), 1);
    assert.equal(await throttle.retryAfterSeconds('10.0.0.2'), 0, 'other addresses are not affected');
    clock += 1000;
    assert.equal(await throttle.retryAfterSeconds('10.0.0.1'), 0, 'after the wait, one more try');
    await throttle.failed('10.0.0.1');
    assert.equal(await throttle.retryAfterSeconds('10.0.0.1'), 2);
    clock += 500;
    assert.equal(await throttle.retryAfterSeconds('10.0.0.1'), 2, 'rounded up');
    clock += 1500;
    await throttle.failed('10.0.0.1');
    assert.equal(await throttle.retryAfterSeconds('10.0.0.1'), 4);
    for (let i = 0; i < 10; i++) await throttle.failed('10.0.0.1');
    assert.equal(await throttle.retryAfterSeconds('10.0.0.1'), 60, 'capped');
  });

  it('a success clears the address', async () => {
    await throttle.succeeded('10.0.0.1');
    assert.equal(await throttle.retryAfterSeconds('10.0.0.1'), 0);
    for (let i = 0; i < 4; i++) await throttle.failed('10.0.0.1');
    assert.equal(await throttle.retryAfterSeconds('10.0.0.1'), 0, 'the count started over');
  });

  it('forgets failures once the window has passed since the last one', async () => {
    for (let i = 0; i < 4; i++) await throttle.failed('10.0.0.3');
    clock += 299_000;
    await throttle.failed('10.0.0.3');
    assert.equal(await throttle.retryAfterSeconds('10.0.0.3'), 1, 'five within the window');
    clock += 300_000;
    await throttle.failed('10.0.0.3');
    assert.equal(await throttle.retryAfterSeconds('10.0.0.3'), 0, 'an old streak does not count');
  });
});

function redisConfig(url: string, prefix: string): RedisConfig {
  const parsed = new URL(url);
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    db: Number(parsed.pathname.slice(1) || 0),
    tls: parsed.protocol === 'rediss:',
    prefix,
  };
}

const redisUrl = testRedisUrl();
describe('redisLoginThrottle', { skip: redisUrl ? false : REDIS_SKIP_MESSAGE }, () => {
  const prefix = testRedisPrefix();
  const opened: LoginThrottle[] = [];
  const open = (options = {}) => {
    const throttle = redisLoginThrottle(redisConfig(redisUrl!, prefix), options);
    opened.push(throttle);
    return throttle;
  };
  const inspect = redisUrl ? new Redis(redisUrl) : undefined;
  after(async () => {
    await Promise.all(opened.map((t) => t.close()));
    const keys = await inspect!.keys(`${prefix}*`);
    if (keys.length > 0) await inspect!.del(...keys);
    inspect!.disconnect();
  });

  it('counts failures across instances sharing Redis, under the prefix', async () => {
    const [a, b] = [open(), open()];
    for (let i = 0; i < 3; i++) await a.failed('192.0.2.1');
    await b.failed('192.0.2.1');
    assert.equal(await a.retryAfterSeconds('192.0.2.1'), 0);
    await b.failed('192.0.2.1');
    assert.equal(await a.retryAfterSeconds('192.0.2.1'), 1);
    assert.equal(await b.retryAfterSeconds('192.0.2.1'), 1);
    assert.equal(await inspect!.get(`${prefix}login:failures:192.0.2.1`), '5');
    const ttl = await inspect!.pttl(`${prefix}login:failures:192.0.2.1`);
    assert.ok(ttl > 290_000 && ttl <= 300_000, `window ttl ${ttl}`);
    await a.failed('192.0.2.1');
    assert.equal(await b.retryAfterSeconds('192.0.2.1'), 2);
    await b.succeeded('192.0.2.1');
    assert.equal(await a.retryAfterSeconds('192.0.2.1'), 0);
    assert.deepEqual(await inspect!.keys(`${prefix}login:*192.0.2.1`), []);
  });

  it('the refusal runs out on its own', async () => {
    const throttle = open({ maxFailures: 2 });
    await throttle.failed('2001:db8::1');
    await throttle.failed('2001:db8::1');
    assert.equal(await throttle.retryAfterSeconds('2001:db8::1'), 1);
    await sleep(1100);
    assert.equal(await throttle.retryAfterSeconds('2001:db8::1'), 0);
    await throttle.failed('2001:db8::1');
    assert.equal(await throttle.retryAfterSeconds('2001:db8::1'), 2);
  });

  it('lets logins through when Redis cannot be reached', async () => {
    const down = redisLoginThrottle({ host: '127.0.0.1', port: 1, password: undefined, db: 0, tls: false, prefix });
    opened.push(down);
    for (let i = 0; i < 6; i++) await down.failed('198.51.100.1');
    assert.equal(await down.retryAfterSeconds('198.51.100.1'), 0);
    await down.succeeded('198.51.100.1');
  });
});
