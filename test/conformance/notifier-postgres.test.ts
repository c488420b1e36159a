import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it, test } from 'node:test';
import pg from 'pg';
import { PostgresNotifier } from '../../src/jobs/notifiers/postgres.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createTestDatabase, POSTGRES_SKIP_MESSAGE } from '../support/postgres.js';
import { notifierSuite, Recorder } from './notifier-suite.js';

const testDb = await createTestDatabase();
// A channel of this run's own, although the database is ours too: NOTIFY is per database.
const channel = `wharf_jobs_test_${randomBytes(4).toString('hex')}`;

if (!testDb) {
  test('WorkNotifier conformance: PostgreSQL', { skip: POSTGRES_SKIP_MESSAGE }, () => {});
} else {
  const { url } = testDb;
  after(() => testDb.drop());
  const open = (more: { reconnect?: { minMs: number; maxMs: number } } = {}) => PostgresNotifier.open({ url, channel, logger: silentLogger(), ...more });

  notifierSuite('PostgreSQL', { open: () => open(), shared: true });

  describe('PostgresNotifier', () => {
    const admin = new pg.Client({ connectionString: url });
    const connected = admin.connect();
    after(() => admin.end());

    it('hears pg_notify from any connection (e.g. a trigger or another tool)', async () => {
      await connected;
      const n = await open();
      try {
        const rec = new Recorder();
        n.subscribe('replicate-blob', rec.listener('replicate-blob'));
        const arrived = rec.next('replicate-blob');
        await admin.query('select pg_notify($1, $2)', [channel, 'replicate-blob']);
        await arrived;
      } finally {
        await n.close();
      }
    });

    it('after its connection is terminated: reconnects, wakes every listener once, then hears announcements again', async () => {
      await connected;
      const n = await open({ reconnect: { minMs: 20, maxMs: 200 } });
      try {
        const rec = new Recorder();
        n.subscribe('k', rec.listener('k'));
        const woken = rec.next('k');
        const { rowCount } = await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [`wharf-notifier-${channel}`]);
        assert.equal(rowCount, 1);
        await n.notify('k'); // while it is down: neither throws nor hangs
        await woken;
        const heard = rec.next('k');
        await n.notify('k');
        await heard;
      } finally {
        await n.close();
      }
    });

    it('open fails when the database cannot be reached; channel names must be plain identifiers', async () => {
      const bad = new URL(url);
      bad.pathname = '/wharf_no_such_database';
      await assert.rejects(PostgresNotifier.open({ url: bad.toString(), logger: silentLogger() }), /does not exist/);
      await assert.rejects(PostgresNotifier.open({ url, channel: 'jobs"; drop table job; --', logger: silentLogger() }), /invalid notification channel/);
    });
  });
}
