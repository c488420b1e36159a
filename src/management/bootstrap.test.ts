import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { hashPassword, verifyPassword } from '../auth/password.js';
import { silentLogger } from '../observability/logger.js';
import { forEachDialect, type OpenedMetadata } from '../../test/support/metadata.js';
import { ensureSuperuser } from './bootstrap.js';

await forEachDialect((dialect, open) => {
  describe(`ensureSuperuser on ${dialect}`, () => {
    let db: OpenedMetadata;
    beforeEach(async () => {
      db = await open();
    });
    afterEach(async () => db.close());
    const logger = silentLogger();

    it('creates the superuser once, then leaves it alone', async () => {
      const account = { username: 'admin', email: 'admin@example.com', password: 'first-password' };
      assert.equal(await ensureSuperuser(db.store, account, logger), 'created');
      const user = await db.store.stores.accounts.findUser('admin');
      assert.ok(user);
      assert.equal(user.superuser, true);
      assert.equal(user.email, 'admin@example.com');
      assert.ok(await verifyPassword('first-password', user.passwordHash ?? ''));
      assert.equal(await ensureSuperuser(db.store, { ...account, password: 'another-password' }, logger), 'exists');
      // The password the admin may have changed since is kept.
      assert.ok(await verifyPassword('first-password', (await db.store.stores.accounts.findUser('admin'))?.passwordHash ?? ''));
      const audit = await db.store.stores.audit.list({ namespace: 'admin', n: 10 });
      assert.deepEqual(audit.map((e) => [e.kind, e.performer.kind]), [['user_create', 'anonymous']]);
      assert.ok(!JSON.stringify(audit).includes('first-password'));
    });

    it('promotes an existing user without touching their password', async () => {
      await db.store.stores.accounts.createUser({ name: 'ops', passwordHash: await hashPassword('ops-own-password') });
      assert.equal(await ensureSuperuser(db.store, { username: 'ops', password: 'config-password' }, logger), 'updated');
      const user = await db.store.stores.accounts.findUser('ops');
      assert.equal(user?.superuser, true);
      assert.ok(await verifyPassword('ops-own-password', user?.passwordHash ?? ''));
      assert.deepEqual((await db.store.stores.audit.list({ namespace: 'ops', n: 10 })).map((e) => e.kind), ['user_change_superuser']);
    });

    it('refuses bad input and an organization of that name, writing nothing', async () => {
      await assert.rejects(ensureSuperuser(db.store, { username: 'Admin', password: 'long-enough' }, logger), /username "Admin" is invalid/);
      await assert.rejects(ensureSuperuser(db.store, { username: 'admin', password: 'short' }, logger), /at least 8 characters/);
      await assert.rejects(ensureSuperuser(db.store, { username: 'admin', email: 'nope', password: 'long-enough' }, logger), /not a valid e-mail/);
      assert.equal(await db.store.stores.accounts.findUser('admin'), undefined);
      await db.store.stores.accounts.createOrganization({ name: 'acme' });
      await assert.rejects(ensureSuperuser(db.store, { username: 'acme', password: 'long-enough' }, logger), /an organization has that name/);
      assert.equal(await db.store.stores.accounts.countUsers(), 0);
    });

    it('two instances starting together: one creates, the other finds it', async () => {
      const account = { username: 'admin', password: 'first-password' };
      const outcomes = await Promise.all([ensureSuperuser(db.store, account, logger), ensureSuperuser(db.store, account, logger)]);
      assert.deepEqual(outcomes.sort(), ['created', 'exists']);
      assert.equal(await db.store.stores.accounts.countUsers(), 1);
    });
  });
});
