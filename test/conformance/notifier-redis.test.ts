import assert from 'node:assert/strict';
import { after, describe, it, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisNotifier } from '../../src/jobs/notifiers/redis.js';
import { silentLogger } from '../../src/observability/logger.js';
import { REDIS_SKIP_MESSAGE, testRedisPrefix, testRedisUrl } from '../support/redis.js';
import { notifierSuite, Recorder } from './notifier-suite.js';

const url = testRedisUrl();
// Both instances of a test share one prefix (they are "two processes" of one deployment).
let prefix = testRedisPrefix();
const open = async () => new RedisNotifier({ connection: url!, prefix, logger: silentLogger() });

if (!url) {
  test('WorkNotifier conformance: Redis', { skip: REDIS_SKIP_MESSAGE }, () => {});
} else {
  notifierSuite('Redis', { open, shared: true });

  describe('RedisNotifier', () => {
    const admin = new Redis(url);
    after(() => admin.quit());

    it('uses its own prefix: another prefix hears nothing', async () => {
      prefix = testRedisPrefix();
      const ours = await open();
      prefix = testRedisPrefix();
      const theirs = await open();
      try {
        const [rec, other] = [new Recorder(), new Recorder()];
        ours.subscribe('k', rec.listener('k'));
        theirs.subscribe('k', other.listener('k'));
        await new Promise((r) => setTimeout(r, 50));
        const arrived = rec.next('k');
        await ours.notify('k');
        await arrived;
        await new Promise((r) => setTimeout(r, 50));
        assert.deepEqual(other.seen, []);
      } finally {
        await Promise.all([ours.close(), theirs.close()]);
      }
    });

    it('after its subscriber connection is killed: wakes every listener once, then hears announcements again', async () => {
      prefix = testRedisPrefix();
      const n = await open();
      try {
        const rec = new Recorder();
        n.subscribe('k', rec.listener('k'));
        await new Promise((r) => setTimeout(r, 50));
        const woken = rec.next('k');
        // Only our own connection, found by its name: the server may be shared.
        const clients = String(await admin.client('LIST')).split('\n');
        const ours = clients.find((line) => line.includes(` name=${prefix}wharf-notify-sub `));
        const id = /\bid=(\d+)/.exec(ours ?? '')?.[1];
        assert.ok(id, 'the subscriber connection is listed under its name');
        await admin.client('KILL', 'ID', id);
        await woken; // the reconnect wake-up: announcements may have been lost meanwhile
        const heard = rec.next('k');
        await n.notify('k');
        await heard;
      } finally {
        await n.close();
      }
    });

    it('notify neither throws nor hangs when Redis is unreachable; close does not hang either', async () => {
      const n = new RedisNotifier({ connection: 'redis://127.0.0.1:1', prefix: testRedisPrefix(), logger: silentLogger(), publishTimeoutMs: 200 });
      const started = Date.now();
      await n.notify('k');
      assert.ok(Date.now() - started < 2000, `notify took ${Date.now() - started} ms`);
      await n.close();
    });
  });
}
