import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Id, MetadataStore, RepositoryDetail } from '../metadata/store.js';
import { forEachDialect, type OpenedMetadata } from '../../test/support/metadata.js';
import { ANONYMOUS, type Principal, type RepositoryAction } from './principal.js';
import { generateToken, tokenHash } from './secrets.js';
import { StoreAuthorizer } from './store-authorizer.js';

const ALL: RepositoryAction[] = ['pull', 'push', 'delete', '*'];

/**
 * The organization `acme` with teams owners (admin: dan), creators (creator: carol, robot
 * acme+builder) and readers (member: eve; read on acme/private); bob has a direct read grant and
 * robot acme+ci a direct write grant on acme/private; frank has a direct admin grant there and
 * write on acme/public. alice owns her namespace and alice/app. mallory has nothing.
 */
await forEachDialect((dialect, open) => {
  describe(`StoreAuthorizer on ${dialect}`, () => {
    let db: OpenedMetadata;
    let store: MetadataStore;
    let authorizer: StoreAuthorizer;
    let closed: StoreAuthorizer;
    const users: Record<string, Principal> = {};
    const robots: Record<string, Principal> = {};
    const repos: Record<string, RepositoryDetail> = {};
    let acmeId: Id;
    let aliceNs: Id;
    const root: Principal = { kind: 'user', id: 999_999, name: 'root', superuser: true };

    before(async () => {
      db = await open();
      store = db.store;
      const { accounts, teams, permissions, repositoryAdmin } = store.stores;
      for (const name of ['alice', 'bob', 'carol', 'dan', 'eve', 'frank', 'mallory']) {
        const row = await accounts.createUser({ name });
        users[name] = { kind: 'user', id: row.id, name, superuser: false };
      }
      aliceNs = users.alice!.kind === 'user' ? users.alice!.id : -1;
      acmeId = (await accounts.createOrganization({ name: 'acme' })).id;
      for (const short of ['ci', 'builder']) {
        const row = await store.stores.robots.create({ namespaceId: acmeId, shortName: short, description: '', tokenHash: tokenHash(generateToken()) });
        robots[short] = { kind: 'robot', id: row.id, name: row.name, namespaceId: acmeId };
      }
      const ref = (p: Principal) => ({ kind: p.kind as 'user' | 'robot', id: (p as { id: Id }).id });
      const owners = await teams.upsert(acmeId, 'owners', { role: 'admin', description: '' });
      const creators = await teams.upsert(acmeId, 'creators', { role: 'creator', description: '' });
      const readers = await teams.upsert(acmeId, 'readers', { role: 'member', description: '' });
      await teams.addMember(owners.id, ref(users.dan!));
      await teams.addMember(creators.id, ref(users.carol!));
      await teams.addMember(creators.id, ref(robots.builder!));
      await teams.addMember(readers.id, ref(users.eve!));
      for (const [name, visibility] of [['acme/private', 'private'], ['acme/public', 'public'], ['alice/app', 'private']] as const) {
        const namespaceId = name.startsWith('acme/') ? acmeId : aliceNs;
        repos[name] = await repositoryAdmin.create({ namespaceId, name, visibility, description: '' });
      }
      const privateId = repos['acme/private']!.id;
      await permissions.set(privateId, { kind: 'team', id: readers.id }, 'read');
      await permissions.set(privateId, ref(users.bob!), 'read');
      await permissions.set(privateId, ref(robots.ci!), 'write');
      await permissions.set(privateId, ref(users.frank!), 'admin');
      await permissions.set(repos['acme/public']!.id, ref(users.frank!), 'write');
      authorizer = new StoreAuthorizer({ metadata: store, anonymousAccess: true });
      closed = new StoreAuthorizer({ metadata: store, anonymousAccess: false });
    });
    after(() => db.close());

    const actions = (principal: Principal, name: string, requested: RepositoryAction[] = ALL) =>
      authorizer.repositoryActions(principal, name, requested);

    it('a superuser may do everything, on existing and new repositories and namespaces', async () => {
      assert.deepEqual(await actions(root, 'acme/private'), ALL);
      assert.deepEqual(await actions(root, 'nowhere/new'), ALL);
      assert.deepEqual(await actions(root, 'acme/private', ['pull']), ['pull']);
      assert.equal(await authorizer.repositoryRole(root, repos['alice/app']!), 'admin');
      assert.equal(await authorizer.namespaceRole(root, acmeId), 'admin');
      assert.equal(await authorizer.canCreateIn(root, acmeId), true);
      assert.deepEqual(authorizer.viewer(root), { kind: 'everything' });
    });

    it('a user is admin of the repositories in their own namespace, and may create there', async () => {
      assert.deepEqual(await actions(users.alice!, 'alice/app'), ALL);
      assert.equal(await authorizer.repositoryRole(users.alice!, repos['alice/app']!), 'admin');
      assert.equal(await authorizer.namespaceRole(users.alice!, aliceNs), 'admin');
      assert.deepEqual(await actions(users.alice!, 'alice/new', ['pull', 'push']), ['pull', 'push']);
      assert.deepEqual(await actions(users.bob!, 'alice/app'), [], 'others get nothing on a private repository');
      assert.deepEqual(await actions(users.bob!, 'alice/new', ['pull', 'push']), [], 'nor create in her namespace');
    });

    it('an admin team is admin of every repository of its organization', async () => {
      assert.deepEqual(await actions(users.dan!, 'acme/private'), ALL);
      assert.deepEqual(await actions(users.dan!, 'acme/public'), ALL);
      assert.equal(await authorizer.namespaceRole(users.dan!, acmeId), 'admin');
      assert.deepEqual(await actions(users.dan!, 'acme/new', ['pull', 'push', 'delete', '*']), ALL, 'the creator becomes admin');
      assert.deepEqual(await actions(users.dan!, 'alice/app'), [], 'nothing outside the organization');
    });

    it('a creator team may create repositories but gets nothing implicit on existing ones', async () => {
      assert.equal(await authorizer.namespaceRole(users.carol!, acmeId), 'creator');
      assert.equal(await authorizer.canCreateIn(users.carol!, acmeId), true);
      assert.deepEqual(await actions(users.carol!, 'acme/new', ['pull', 'push']), ['pull', 'push']);
      assert.deepEqual(await actions(users.carol!, 'acme/deep/new/name', ['push']), ['push']);
      assert.deepEqual(await actions(users.carol!, 'acme/private'), []);
      assert.deepEqual(await actions(users.carol!, 'acme/public'), ['pull']);
      assert.equal(await authorizer.canCreateIn(robots.builder!, acmeId), true, 'robots in a creator team too');
      assert.deepEqual(await actions(robots.builder!, 'acme/built', ['pull', 'push']), ['pull', 'push']);
    });

    it('a member team gets nothing implicit, only what its grants say', async () => {
      assert.equal(await authorizer.namespaceRole(users.eve!, acmeId), 'member');
      assert.equal(await authorizer.canCreateIn(users.eve!, acmeId), false);
      assert.deepEqual(await actions(users.eve!, 'acme/new', ['pull', 'push']), []);
      assert.deepEqual(await actions(users.eve!, 'acme/private'), ['pull'], 'read through the readers team');
    });

    it('repository roles map to actions: read → pull, write → pull push delete, admin → everything', async () => {
      assert.deepEqual(await actions(users.bob!, 'acme/private'), ['pull']);
      assert.equal(await authorizer.repositoryRole(users.bob!, repos['acme/private']!), 'read');
      assert.deepEqual(await actions(robots.ci!, 'acme/private'), ['pull', 'push', 'delete']);
      assert.equal(await authorizer.repositoryRole(robots.ci!, repos['acme/private']!), 'write');
      assert.deepEqual(await actions(users.frank!, 'acme/private'), ALL);
      assert.deepEqual(await actions(users.frank!, 'acme/private', ['delete', 'pull']), ['delete', 'pull'], 'only what was asked, in that order');
      assert.deepEqual(await actions(users.frank!, 'acme/private', ['pull', 'pull']), ['pull']);
      assert.deepEqual(await actions(users.frank!, 'acme/private', []), []);
    });

    it('robots act only through their grants', async () => {
      assert.deepEqual(await actions(robots.ci!, 'acme/public'), ['pull'], 'public read like anyone authenticated');
      assert.equal(await authorizer.namespaceRole(robots.ci!, acmeId), undefined);
      assert.equal(await authorizer.canCreateIn(robots.ci!, acmeId), false);
      assert.deepEqual(await actions(robots.ci!, 'acme/new', ['pull', 'push']), []);
    });

    it('a public repository can be pulled by everybody authenticated, a grant adds to that', async () => {
      assert.deepEqual(await actions(users.mallory!, 'acme/public'), ['pull']);
      assert.equal(await authorizer.repositoryRole(users.mallory!, repos['acme/public']!), 'read');
      assert.deepEqual(await actions(users.frank!, 'acme/public'), ['pull', 'push', 'delete']);
      assert.deepEqual(await actions(users.mallory!, 'acme/private'), []);
      assert.equal(await authorizer.repositoryRole(users.mallory!, repos['acme/private']!), undefined);
    });

    it('anonymous principals pull public repositories only when anonymous access is on', async () => {
      assert.deepEqual(await actions(ANONYMOUS, 'acme/public'), ['pull']);
      assert.equal(await authorizer.repositoryRole(ANONYMOUS, repos['acme/public']!), 'read');
      assert.deepEqual(await closed.repositoryActions(ANONYMOUS, 'acme/public', ALL), []);
      assert.equal(await closed.repositoryRole(ANONYMOUS, repos['acme/public']!), undefined);
      assert.deepEqual(await closed.repositoryActions(users.mallory!, 'acme/public', ALL), ['pull'], 'authenticated pulls do not depend on it');
      assert.deepEqual(await actions(ANONYMOUS, 'acme/private'), []);
      assert.deepEqual(await actions(ANONYMOUS, 'acme/new', ['pull', 'push']), []);
      assert.equal(await authorizer.namespaceRole(ANONYMOUS, acmeId), undefined);
      assert.equal(await authorizer.canCreateIn(ANONYMOUS, acmeId), false);
    });

    it('a missing repository grants nothing without push, nor in a missing namespace', async () => {
      assert.deepEqual(await actions(users.dan!, 'acme/missing', ['pull']), []);
      assert.deepEqual(await actions(users.alice!, 'nowhere/new', ['pull', 'push']), []);
      assert.deepEqual(await actions(users.alice!, 'ubuntu', ['pull', 'push']), [], 'library does not exist');
    });

    it('invalid names grant nothing', async () => {
      for (const name of ['', 'Acme/Private', 'acme/../private', '/acme/private', 'acme//private', 'acme/private:latest']) {
        assert.deepEqual(await actions(root, name), [], name);
        assert.deepEqual(await actions(users.dan!, name), [], name);
      }
    });

    it('viewers: superusers see everything, accounts their own and public, anonymous public', () => {
      assert.deepEqual(authorizer.viewer(users.alice!), { kind: 'account', account: { kind: 'user', id: (users.alice as { id: Id }).id } });
      assert.deepEqual(authorizer.viewer(robots.ci!), { kind: 'account', account: { kind: 'robot', id: (robots.ci as { id: Id }).id } });
      assert.deepEqual(authorizer.viewer(ANONYMOUS), { kind: 'public' });
      assert.deepEqual(closed.viewer(ANONYMOUS), { kind: 'public' });
    });
  });
});
