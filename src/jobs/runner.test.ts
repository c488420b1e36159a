import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { JobStore, MetadataStore } from '../metadata/store.js';
import { silentLogger } from '../observability/logger.js';
import { forEachDialect, type OpenedMetadata } from '../../test/support/metadata.js';
import { MemoryNotifier } from './notifiers/memory.js';
import { backoffDelay } from './retry-policy.js';
import { JobRunner, LeaseLostError, PermanentJobError, type JobHandler, type JobResult, type JobRunnerOptions } from './runner.js';

const KIND = 'test-kind';

/** Polls `check` until it holds (or fails after `timeoutMs`). */
async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}

describe('backoffDelay', () => {
  it('doubles from the base up to the cap, keeping between half and all of it', () => {
    const opts = { baseMs: 1000, maxMs: 300_000 };
    assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(n, opts, () => 1)), [1000, 2000, 4000, 8000]);
    assert.deepEqual([1, 2, 3].map((n) => backoffDelay(n, opts, () => 0)), [500, 1000, 2000]);
    assert.equal(backoffDelay(30, opts, () => 1), 300_000);
    assert.equal(backoffDelay(1000, {}, () => 1), 300_000); // defaults: 1 s base, 5 min cap
    assert.equal(backoffDelay(1, {}, () => 1), 1000);
  });
});

await forEachDialect((dialect, open) => {
  describe(`JobRunner on ${dialect}`, () => {
    let db: OpenedMetadata;
    let store: MetadataStore;
    let jobs: JobStore;
    let notifier: MemoryNotifier;
    let runners: JobRunner[];
    let results: JobResult[];
    beforeEach(async () => {
      db = await open();
      store = db.store;
      jobs = store.stores.jobs;
      notifier = new MemoryNotifier();
      runners = [];
      results = [];
    });
    afterEach(async () => {
      await Promise.all(runners.map((r) => r.stop(1000)));
      await notifier.close();
      await db.close();
    });

    const runner = (handler: JobHandler, more: Partial<JobRunnerOptions> = {}) => {
      const r = new JobRunner({
        kind: KIND,
        workerId: `test-${runners.length}`,
        jobs,
        notifier,
        handler,
        logger: silentLogger(),
        pollMs: 10,
        backoff: { baseMs: 40, maxMs: 1000 },
        onResult: (result) => results.push(result),
        ...more,
      });
      runners.push(r);
      r.start();
      return r;
    };
    const enqueue = (key: string, payload: unknown = {}) => jobs.enqueue({ kind: KIND, key, payload });

    it('retries a failing job with growing backoff, then completes it (the row is deleted)', async () => {
      const calls: number[] = [];
      await enqueue('flaky');
      runner(async (job) => {
        calls.push(Date.now());
        if (job.attempts < 3) throw new Error(`transient ${job.attempts}`);
      });
      await until(() => results.length === 3);
      assert.deepEqual(results.map((r) => [r.outcome, r.job.attempts, r.error]), [
        ['retried', 1, 'transient 1'],
        ['retried', 2, 'transient 2'],
        ['completed', 3, undefined],
      ]);
      const [gap1, gap2] = [calls[1]! - calls[0]!, calls[2]! - calls[1]!];
      assert.ok(gap1 >= 20, `first retry after ${gap1} ms, backoff is 20..40`);
      assert.ok(gap2 >= 40, `second retry after ${gap2} ms, backoff is 40..80`);
      assert.deepEqual(await jobs.counts(KIND), { pending: 0, running: 0, done: 0, dead: 0 });
    });

    it('buries a job after maxAttempts, keeping its last error', async () => {
      await enqueue('doomed');
      runner(async (job) => {
        throw new Error(`boom ${job.attempts}`);
      }, { maxAttempts: 3, backoff: { baseMs: 1, maxMs: 1 } });
      await until(() => results.length === 3);
      assert.deepEqual(results.map((r) => r.outcome), ['retried', 'retried', 'buried']);
      const [dead] = await jobs.list(KIND, 'dead', 10);
      assert.equal(dead?.attempts, 3);
      assert.equal(dead?.lastError, 'boom 3 (gave up after 3 attempts)');
      await sleep(50);
      assert.equal(results.length, 3); // dead jobs are never claimed again
    });

    it('buries at once on a PermanentJobError', async () => {
      await enqueue('bad-payload');
      runner(async () => {
        throw new PermanentJobError('payload has no blobId', { cause: new Error('got {}') });
      });
      await until(() => results.length === 1);
      assert.equal(results[0]?.outcome, 'buried');
      const [dead] = await jobs.list(KIND, 'dead', 10);
      assert.deepEqual([dead?.attempts, dead?.lastError], [1, 'payload has no blobId: caused by: got {}']);
    });

    it('renews the lease while a long job runs, so no other worker takes it', async () => {
      await enqueue('long');
      let runs = 0;
      let aborted = false;
      const handler: JobHandler = async (_job, { signal }) => {
        runs += 1;
        await sleep(700);
        aborted ||= signal.aborted;
      };
      runner(handler, { leaseMs: 150 });
      await until(() => runs === 1);
      runner(handler, { leaseMs: 150 }); // a second worker polling every 10 ms
      await until(() => results.length === 1);
      assert.deepEqual([runs, aborted, results[0]?.outcome], [1, false, 'completed']);
    });

    it("takes over a crashed worker's job once its lease expired", async () => {
      await enqueue('orphan');
      const claimed = await jobs.claim(KIND, 'crashed-worker', 100); // ...and the worker dies
      const seen: number[] = [];
      runner(async (job) => void seen.push(job.attempts));
      await sleep(50);
      assert.deepEqual(seen, []); // still leased
      await until(() => results.length === 1);
      assert.deepEqual([results[0]?.job.id, results[0]?.outcome, seen], [claimed?.id, 'completed', [2]]);
    });

    it('aborts the handler when its lease is lost, and leaves the job alone', async () => {
      await enqueue('stolen');
      let reason: unknown;
      const lossy: JobStore = { ...jobs, renew: async () => false }; // as if another worker took it
      runner(async (_job, { signal }) => {
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        reason = signal.reason;
        throw signal.reason;
      }, { jobs: lossy, leaseMs: 60 });
      await until(() => results.length === 1);
      assert.ok(reason instanceof LeaseLostError);
      assert.equal(results[0]?.outcome, 'lost');
      assert.deepEqual(await jobs.counts(KIND), { pending: 0, running: 1, done: 0, dead: 0 }); // not retried by us
    });

    it('wakes on a notification long before its next poll', async () => {
      let started = 0;
      runner(async () => void (started = Date.now()), { pollMs: 60_000 });
      await sleep(30); // the first round found nothing; the next poll is a minute away
      await enqueue('urgent');
      const announced = Date.now();
      await notifier.notify(KIND);
      await until(() => results.length === 1, 2000);
      assert.ok(started - announced < 500, `started ${started - announced} ms after the announcement`);
    });

    it('runs at most `concurrency` jobs at once and drains the queue without waiting for polls', async () => {
      for (let i = 0; i < 7; i++) await enqueue(`j${i}`);
      let running = 0;
      let peak = 0;
      runner(async () => {
        peak = Math.max(peak, ++running);
        await sleep(20);
        running -= 1;
      }, { concurrency: 3, pollMs: 60_000 });
      await until(() => results.length === 7, 3000);
      assert.equal(peak, 3);
      assert.ok(results.every((r) => r.outcome === 'completed'));
    });

    it('stop waits for running handlers; past its timeout it aborts them and releases their jobs', async () => {
      await enqueue('quick');
      await enqueue('stubborn');
      const r = runner(async (job, { signal }) => {
        if (job.key === 'quick') return sleep(50);
        await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason)));
      });
      await until(async () => (await jobs.counts(KIND)).running === 2);
      const stopping = Date.now();
      await r.stop(200);
      assert.ok(Date.now() - stopping >= 200);
      assert.deepEqual(results.map((x) => [x.job.key, x.outcome]).sort(), [['quick', 'completed'], ['stubborn', 'retried']]);
      const [released] = await jobs.list(KIND, 'pending', 10);
      assert.ok(released && released.runAfter <= Date.now() && released.lastError?.includes('stopping'));
      await enqueue('after-stop');
      await sleep(50);
      assert.equal(results.length, 2); // a stopped runner claims nothing
    });
  });
});
