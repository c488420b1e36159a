/**
 * The access-control part of the metadata conformance suite (store-access.ts: accounts,
 * robots, teams, permissions, repository administration, tag history, API tokens, audit,
 * service keys), run by metadataSuite on SQLite and PostgreSQL against a fresh, migrated
 * database per test.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Migrator } from 'kysely';
import { digestOf, parseRepositoryName } from '../../src/domain/index.js';
import { migrationProvider } from '../../src/metadata/migrations/index.js';
import {
  NameTakenError,
  type AccountRef,
  type Id,
  type RepositoryRole,
  type Stores,
  type TeamRole,
  type Viewer,
} from '../../src/metadata/store.js';
import type { MetadataUnderTest } from './metadata-suite.js';

const byteOrder = (names: string[]): string[] => [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
const user = (id: Id): AccountRef => ({ kind: 'user', id });
const robot = (id: Id): AccountRef => ({ kind: 'robot', id });
const everything: Viewer = { kind: 'everything' };
const publicOnly: Viewer = { kind: 'public' };
const as = (account: AccountRef): Viewer => ({ kind: 'account', account });
const taken = (name: string) => (e: unknown) => e instanceof NameTakenError && e.taken === name;

/**
 * Users alice, bob, carol, dave, eve (a stranger); organization acme with teams owners (admin:
 * carol, robot acme+ops), devs (member: bob, robot acme+ci), makers (creator: dave); robots
 * acme+deploy and alice+bot. Repositories: alice/own (private), acme/app and acme/lib
 * (private), acme/pub (public). Grants: devs write and bob read on acme/app; acme+deploy admin
 * and dave read on acme/lib.
 */
async function accessWorld(s: Stores) {
  const [alice, bob, carol, dave, eve] = await Promise.all(['alice', 'bob', 'carol', 'dave', 'eve'].map((name) => s.accounts.createUser({ name })));
  const acme = await s.accounts.createOrganization({ name: 'acme' });
  const bot = (namespaceId: Id, shortName: string) => s.robots.create({ namespaceId, shortName, description: '', tokenHash: randomUUID() });
  const [ci, deploy, ops, aliceBot] = [await bot(acme.id, 'ci'), await bot(acme.id, 'deploy'), await bot(acme.id, 'ops'), await bot(alice!.id, 'bot')];
  const owners = await s.teams.upsert(acme.id, 'owners', { role: 'admin', description: '' });
  const devs = await s.teams.upsert(acme.id, 'devs', { role: 'member', description: '' });
  const makers = await s.teams.upsert(acme.id, 'makers', { role: 'creator', description: '' });
  await s.teams.addMember(owners.id, user(carol!.id));
  await s.teams.addMember(owners.id, robot(ops.id));
  await s.teams.addMember(devs.id, user(bob!.id));
  await s.teams.addMember(devs.id, robot(ci.id));
  await s.teams.addMember(makers.id, user(dave!.id));
  const repo = (namespaceId: Id, name: string, visibility: 'public' | 'private' = 'private') =>
    s.repositoryAdmin.create({ namespaceId, name, visibility, description: `about ${name}` });
  const own = await repo(alice!.id, 'alice/own');
  const app = await repo(acme.id, 'acme/app');
  const lib = await repo(acme.id, 'acme/lib');
  const pub = await repo(acme.id, 'acme/pub', 'public');
  await s.permissions.set(app.id, { kind: 'team', id: devs.id }, 'write');
  await s.permissions.set(app.id, { kind: 'user', id: bob!.id }, 'read');
  await s.permissions.set(lib.id, { kind: 'robot', id: deploy.id }, 'admin');
  await s.permissions.set(lib.id, { kind: 'user', id: dave!.id }, 'read');
  return { alice: alice!, bob: bob!, carol: carol!, dave: dave!, eve: eve!, acme, ci, deploy, ops, aliceBot, owners, devs, makers, own, app, lib, pub };
}

export function accessSuite(get: () => MetadataUnderTest): void {
  const stores = () => get().store.stores;
  const inspect = () => {
    assert.ok(get().inspect, 'the access suite needs MetadataUnderTest.inspect');
    return get().inspect!;
  };
  const rowCount = async (table: 'tag' | 'manifest' | 'manifest_blob' | 'manifest_child' | 'repo_blob' | 'blob_upload' | 'repository_permission' | 'blob' | 'team_member' | 'robot' | 'team' | 'api_token' | 'namespace_region' | 'app_user') =>
    Number((await inspect().selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  describe('access: accounts', () => {
    it('createUser and the finders; a name is taken once, by a user or an organization', async () => {
      const s = stores();
      const before = Date.now();
      const u = await s.accounts.createUser({ name: 'alice', email: 'a@example.com', passwordHash: 'kdf$hash', superuser: true });
      assert.deepEqual({ ...u, createdAt: 0 }, { id: u.id, name: 'alice', email: 'a@example.com', passwordHash: 'kdf$hash', superuser: true, enabled: true, createdAt: 0 });
      assert.ok(u.createdAt >= before && u.createdAt <= Date.now());
      assert.deepEqual(await s.accounts.findUser('alice'), u);
      assert.deepEqual(await s.accounts.findUserById(u.id), u);
      assert.deepEqual(await s.accounts.findNamespace('alice'), { id: u.id, name: 'alice', kind: 'user', email: 'a@example.com', createdAt: u.createdAt });
      const plain = await s.accounts.createUser({ name: 'bob' });
      assert.deepEqual([plain.email, plain.passwordHash, plain.superuser, plain.enabled], [undefined, undefined, false, true]);

      await assert.rejects(s.accounts.createUser({ name: 'alice' }), taken('alice'));
      await assert.rejects(s.accounts.createOrganization({ name: 'alice' }), taken('alice'));
      const org = await s.accounts.createOrganization({ name: 'acme', email: 'ops@acme.test' });
      assert.deepEqual(await s.accounts.findNamespaceById(org.id), org);
      assert.equal(org.kind, 'organization');
      await assert.rejects(s.accounts.createUser({ name: 'acme' }), taken('acme'));
      await assert.rejects(s.accounts.createOrganization({ name: 'acme' }), taken('acme'));
      assert.equal(await s.accounts.findUser('acme'), undefined); // an organization is not a user
      assert.equal(await s.accounts.findUserById(org.id), undefined);
      assert.equal(await s.accounts.findNamespace('nobody'), undefined);
      assert.equal(await s.accounts.countUsers(), 2);
    });

    it('a name raced by concurrent creates goes to exactly one of them', async () => {
      const s = stores();
      const results = await Promise.allSettled([...Array(8)].map((_, i) => (i % 2 ? s.accounts.createUser({ name: 'race' }) : s.accounts.createOrganization({ name: 'race' }))));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      assert.ok(results.every((r) => r.status === 'fulfilled' || taken('race')(r.reason)));
      assert.equal(await rowCount('app_user'), (await s.accounts.findUser('race')) ? 1 : 0); // no login row without its namespace
    });

    it('updateUser changes only the given fields; email null clears it', async () => {
      const s = stores();
      const u = await s.accounts.createUser({ name: 'alice', email: 'a@example.com', passwordHash: 'h1' });
      assert.equal(await s.accounts.updateUser(u.id, { passwordHash: 'h2' }), true);
      assert.deepEqual(await s.accounts.findUserById(u.id), { ...u, passwordHash: 'h2' });
      assert.equal(await s.accounts.updateUser(u.id, { superuser: true, enabled: false, email: null }), true);
      assert.deepEqual(await s.accounts.findUserById(u.id), { ...u, passwordHash: 'h2', superuser: true, enabled: false, email: undefined });
      assert.equal(await s.accounts.updateUser(u.id, { email: 'new@example.com', enabled: true }), true);
      assert.deepEqual(await s.accounts.findUserById(u.id), { ...u, passwordHash: 'h2', superuser: true, email: 'new@example.com' });
      assert.equal(await s.accounts.updateUser(u.id, {}), true);
      assert.equal(await s.accounts.updateUser(987654, { enabled: false }), false);
      const org = await s.accounts.createOrganization({ name: 'acme' });
      assert.equal(await s.accounts.updateUser(org.id, { email: 'x@y.z' }), false); // not a user
      assert.equal((await s.accounts.findNamespaceById(org.id))?.email, undefined);
      assert.equal(await s.accounts.updateNamespace(org.id, { email: 'x@y.z' }), true);
      assert.equal((await s.accounts.findNamespaceById(org.id))?.email, 'x@y.z');
      assert.equal(await s.accounts.updateNamespace(org.id, { email: null }), true);
      assert.equal((await s.accounts.findNamespaceById(org.id))?.email, undefined);
      assert.equal(await s.accounts.updateNamespace(org.id, {}), true);
      assert.equal(await s.accounts.updateNamespace(987654, { email: 'x@y.z' }), false);
      assert.equal(await s.accounts.updateNamespace(987654, {}), false);
    });

    it('lists users and organizations apart, in byte order, page by page', async () => {
      const s = stores();
      const users = ['zed', 'a-b', 'a.b', 'a_b', 'ab', 'a0'];
      for (const name of users) await s.accounts.createUser({ name });
      for (const name of ['org-b', 'org.a', 'orga']) await s.accounts.createOrganization({ name });
      await s.repositories.ensure(parseRepositoryName('pushed/app')); // an implicit organization
      const names = async (list: (last?: string) => Promise<{ name: string }[]>) => {
        const out: string[] = [];
        for (let page = await list(); page.length > 0; page = await list(out[out.length - 1])) out.push(...page.map((x) => x.name));
        return out;
      };
      assert.deepEqual(await names((last) => s.accounts.listUsers({ last, n: 4 })), byteOrder(users));
      assert.deepEqual(await names((last) => s.accounts.listOrganizations({ last, n: 2 })), byteOrder(['org-b', 'org.a', 'orga', 'pushed']));
      assert.deepEqual((await s.accounts.listUsers({ last: 'a_b', n: 1 })).map((u) => u.name), ['ab']);
      assert.equal(await s.accounts.countUsers(), users.length);
    });

    it('organizationsOf: the organizations in which the user is in some team', async () => {
      const s = stores();
      const w = await accessWorld(s);
      const other = await s.accounts.createOrganization({ name: 'other' });
      const team = await s.teams.upsert(other.id, 'readers', { role: 'member', description: '' });
      await s.teams.addMember(team.id, user(w.bob.id));
      await s.teams.addMember(team.id, robot(w.ci.id)); // a robot's team says nothing about bob's
      assert.deepEqual((await s.accounts.organizationsOf(w.bob.id)).map((o) => o.name), ['acme', 'other']);
      assert.deepEqual((await s.accounts.organizationsOf(w.carol.id)).map((o) => o.name), ['acme']);
      assert.deepEqual(await s.accounts.organizationsOf(w.eve.id), []);
    });

    it('deleteNamespace refuses while repositories remain, then removes the account and all it held', async () => {
      const s = stores();
      const w = await accessWorld(s);
      await s.locations.sync(['us']);
      await s.regions.add('acme', 'us');
      await s.apiTokens.create({ userId: w.bob.id, title: 't', tokenHash: 'bob-token' });
      await assert.rejects(s.accounts.deleteNamespace(w.acme.id), /still has 3 repositories/);
      assert.equal((await s.robots.list(w.acme.id)).length, 3); // nothing changed
      for (const r of [w.app, w.lib, w.pub]) assert.equal(await s.repositoryAdmin.delete(r.id), true);
      const [robots, teams, members] = [await rowCount('robot'), await rowCount('team'), await rowCount('team_member')];
      assert.equal(await s.accounts.deleteNamespace(w.acme.id), true);
      assert.equal(await s.accounts.findNamespace('acme'), undefined);
      assert.equal(await s.robots.find('acme+ci'), undefined);
      assert.deepEqual([await rowCount('robot'), await rowCount('team'), await rowCount('team_member')], [robots - 3, teams - 3, members - 5]);
      assert.deepEqual(await s.regions.list(), []);
      assert.equal(await s.accounts.deleteNamespace(w.acme.id), false);

      // A user: login row, tokens, memberships and grants elsewhere go too.
      const other = await s.accounts.createOrganization({ name: 'other' });
      const team = await s.teams.upsert(other.id, 'devs', { role: 'member', description: '' });
      await s.teams.addMember(team.id, user(w.bob.id));
      const theirs = await s.repositoryAdmin.create({ namespaceId: other.id, name: 'other/app', visibility: 'private', description: '' });
      await s.permissions.set(theirs.id, { kind: 'user', id: w.bob.id }, 'write');
      assert.equal(await s.accounts.deleteNamespace(w.bob.id), true);
      assert.equal(await s.accounts.findUser('bob'), undefined);
      assert.equal(await s.apiTokens.findByHash('bob-token'), undefined);
      assert.deepEqual(await s.teams.members(team.id), []);
      assert.deepEqual(await s.permissions.list(theirs.id), []);
      assert.equal((await s.accounts.createUser({ name: 'bob' })).name, 'bob'); // the name is free again
      await assert.rejects(s.accounts.deleteNamespace(w.alice.id), /still has 1 repositories/);
    });
  });

  describe('access: robots', () => {
    it('create, find by full name or id, list by short name, one short name per namespace', async () => {
      const s = stores();
      const [acme, other] = [await s.accounts.createOrganization({ name: 'acme' }), await s.accounts.createOrganization({ name: 'other' })];
      const before = Date.now();
      const ci = await s.robots.create({ namespaceId: acme.id, shortName: 'ci', description: 'builds', tokenHash: 'h-ci' });
      assert.deepEqual({ ...ci, createdAt: 0 }, { id: ci.id, namespaceId: acme.id, name: 'acme+ci', shortName: 'ci', description: 'builds', tokenHash: 'h-ci', createdAt: 0, lastAccessedAt: undefined });
      assert.ok(ci.createdAt >= before);
      await s.robots.create({ namespaceId: acme.id, shortName: 'bot_2', description: '', tokenHash: 'h-b2' });
      await s.robots.create({ namespaceId: acme.id, shortName: 'bot', description: '', tokenHash: 'h-b' });
      await assert.rejects(s.robots.create({ namespaceId: acme.id, shortName: 'ci', description: '', tokenHash: 'h-x' }), taken('acme+ci'));
      const elsewhere = await s.robots.create({ namespaceId: other.id, shortName: 'ci', description: '', tokenHash: 'h-other' });
      assert.deepEqual(await s.robots.find('acme+ci'), ci);
      assert.deepEqual(await s.robots.find('other+ci'), elsewhere);
      assert.deepEqual(await s.robots.findById(ci.id), ci);
      for (const missing of ['acme+nope', 'acme', '+ci', 'acme+', 'ci']) assert.equal(await s.robots.find(missing), undefined);
      assert.deepEqual((await s.robots.list(acme.id)).map((r) => r.name), ['acme+bot', 'acme+bot_2', 'acme+ci']);
      assert.equal(await s.robots.setTokenHash(ci.id, 'h-new'), true);
      assert.equal(await s.robots.setTokenHash(987654, 'h'), false);
      await s.robots.touch(ci.id, 1234);
      assert.deepEqual(await s.robots.findById(ci.id), { ...ci, tokenHash: 'h-new', lastAccessedAt: 1234 });
    });

    it('delete removes its team memberships and repository permissions', async () => {
      const s = stores();
      const w = await accessWorld(s);
      assert.equal(await s.robots.delete(w.ci.id), true);
      assert.equal(await s.robots.delete(w.ci.id), false);
      assert.deepEqual((await s.teams.members(w.devs.id)).map((m) => m.name), ['bob']);
      assert.equal(await s.robots.delete(w.deploy.id), true);
      assert.deepEqual((await s.permissions.list(w.lib.id)).map((p) => p.name), ['dave']);
    });
  });

  describe('access: teams', () => {
    it('upsert creates or changes a team; find, list, members, teamsOf, delete', async () => {
      const s = stores();
      const w = await accessWorld(s);
      const again = await s.teams.upsert(w.acme.id, 'devs', { role: 'creator', description: 'developers' });
      assert.deepEqual(again, { ...w.devs, role: 'creator', description: 'developers', memberCount: 2 });
      assert.deepEqual(await s.teams.find(w.acme.id, 'devs'), again);
      assert.equal(await s.teams.find(w.acme.id, 'nope'), undefined);
      assert.deepEqual((await s.teams.list(w.acme.id)).map((t) => [t.name, t.role, t.memberCount]), [['devs', 'creator', 2], ['makers', 'creator', 1], ['owners', 'admin', 2]]);

      assert.equal(await s.teams.addMember(w.devs.id, user(w.alice.id)), true);
      assert.equal(await s.teams.addMember(w.devs.id, user(w.alice.id)), false);
      assert.equal(await s.teams.addMember(w.devs.id, robot(w.aliceBot.id)), true);
      assert.deepEqual(await s.teams.members(w.devs.id), [
        { kind: 'user', id: w.alice.id, name: 'alice' },
        { kind: 'user', id: w.bob.id, name: 'bob' },
        { kind: 'robot', id: w.ci.id, name: 'acme+ci' },
        { kind: 'robot', id: w.aliceBot.id, name: 'alice+bot' },
      ]);
      assert.equal(await s.teams.removeMember(w.devs.id, user(w.alice.id)), true);
      assert.equal(await s.teams.removeMember(w.devs.id, user(w.alice.id)), false);

      await s.teams.addMember(w.owners.id, user(w.bob.id));
      assert.deepEqual((await s.teams.teamsOf(w.acme.id, user(w.bob.id))).map((t) => t.name), ['devs', 'owners']);
      assert.deepEqual((await s.teams.teamsOf(w.acme.id, robot(w.ci.id))).map((t) => t.name), ['devs']);
      assert.deepEqual(await s.teams.teamsOf(w.acme.id, user(w.eve.id)), []);

      assert.equal(await s.teams.delete(w.devs.id), true);
      assert.equal(await s.teams.delete(w.devs.id), false);
      assert.equal(await s.teams.find(w.acme.id, 'devs'), undefined);
      assert.deepEqual((await s.permissions.list(w.app.id)).map((p) => p.name), ['bob']); // the team's grant went with it
      assert.deepEqual((await s.teams.teamsOf(w.acme.id, user(w.bob.id))).map((t) => t.name), ['owners']);
    });
  });

  describe('access: permissions', () => {
    it('set grants or changes a role; list names the subjects, by name, optionally of one kind; remove', async () => {
      const s = stores();
      const w = await accessWorld(s);
      await s.permissions.set(w.app.id, { kind: 'robot', id: w.ci.id }, 'read');
      await s.permissions.set(w.app.id, { kind: 'user', id: w.bob.id }, 'admin'); // changes bob's read
      const all = await s.permissions.list(w.app.id);
      assert.deepEqual(all, [
        { subject: { kind: 'robot', id: w.ci.id }, name: 'acme+ci', role: 'read' },
        { subject: { kind: 'user', id: w.bob.id }, name: 'bob', role: 'admin' },
        { subject: { kind: 'team', id: w.devs.id }, name: 'devs', role: 'write' },
      ]);
      assert.deepEqual(await s.permissions.list(w.app.id, 'team'), [all[2]]);
      assert.deepEqual(await s.permissions.list(w.app.id, 'robot'), [all[0]]);
      assert.deepEqual(await s.permissions.list(w.own.id), []);
      assert.equal(await s.permissions.remove(w.app.id, { kind: 'user', id: w.bob.id }), true);
      assert.equal(await s.permissions.remove(w.app.id, { kind: 'user', id: w.bob.id }), false);
      assert.deepEqual((await s.permissions.list(w.app.id, 'user')), []);
    });

    it('effectiveRole: own namespace, direct grants, team grants, org admin teams; the strongest wins', async () => {
      const s = stores();
      const w = await accessWorld(s);
      const cases: [string, AccountRef, Id, RepositoryRole | undefined][] = [
        ['a user in their own namespace', user(w.alice.id), w.own.id, 'admin'],
        ['a user elsewhere', user(w.alice.id), w.app.id, undefined],
        ['direct read and team write: the stronger', user(w.bob.id), w.app.id, 'write'],
        ['a member team gives nothing implicit', user(w.bob.id), w.lib.id, undefined],
        ['a creator team gives nothing implicit', user(w.dave.id), w.app.id, undefined],
        ['a direct user grant', user(w.dave.id), w.lib.id, 'read'],
        ['an admin team of the organization', user(w.carol.id), w.lib.id, 'admin'],
        ['an admin team on a public repository', user(w.carol.id), w.pub.id, 'admin'],
        ['public is not a role', user(w.eve.id), w.pub.id, undefined],
        ['a stranger', user(w.eve.id), w.app.id, undefined],
        ['a robot through its team', robot(w.ci.id), w.app.id, 'write'],
        ['a robot with no grant', robot(w.ci.id), w.lib.id, undefined],
        ['a robot with a direct grant', robot(w.deploy.id), w.lib.id, 'admin'],
        ['a robot in an admin team', robot(w.ops.id), w.app.id, 'admin'],
        ['a robot does not own its namespace', robot(w.aliceBot.id), w.own.id, undefined],
        ['a missing repository', user(w.carol.id), 987654, undefined],
      ];
      // Robot and namespace ids come from different sequences: a robot whose id is alice's is not alice.
      cases.push(["a robot with a user's id", robot(w.alice.id), w.own.id, undefined]);
      for (const [why, account, repositoryId, expected] of cases) {
        assert.equal(await s.permissions.effectiveRole(account, repositoryId), expected, why);
      }
      await s.permissions.set(w.app.id, { kind: 'user', id: w.bob.id }, 'admin');
      assert.equal(await s.permissions.effectiveRole(user(w.bob.id), w.app.id), 'admin', 'a direct grant stronger than the team');
    });

    it('namespaceRole: admin at home, else the strongest team role in the organization', async () => {
      const s = stores();
      const w = await accessWorld(s);
      const cases: [string, AccountRef, Id, TeamRole | undefined][] = [
        ['own namespace', user(w.alice.id), w.alice.id, 'admin'],
        ['another user', user(w.alice.id), w.bob.id, undefined],
        ['no team', user(w.alice.id), w.acme.id, undefined],
        ['member team', user(w.bob.id), w.acme.id, 'member'],
        ['creator team', user(w.dave.id), w.acme.id, 'creator'],
        ['admin team', user(w.carol.id), w.acme.id, 'admin'],
        ['robot in a member team', robot(w.ci.id), w.acme.id, 'member'],
        ['robot in an admin team', robot(w.ops.id), w.acme.id, 'admin'],
        ['robot without teams', robot(w.deploy.id), w.acme.id, undefined],
      ];
      for (const [why, account, namespaceId, expected] of cases) {
        assert.equal(await s.permissions.namespaceRole(account, namespaceId), expected, why);
      }
      await s.teams.addMember(w.makers.id, user(w.bob.id));
      assert.equal(await s.permissions.namespaceRole(user(w.bob.id), w.acme.id), 'creator', 'member and creator: creator');
    });
  });

  describe('access: repository administration', () => {
    it('create, findDetail, update; a taken name is refused', async () => {
      const s = stores();
      const acme = await s.accounts.createOrganization({ name: 'acme' });
      const before = Date.now();
      const d = await s.repositoryAdmin.create({ namespaceId: acme.id, name: 'acme/web/api', visibility: 'public', description: 'the API' });
      assert.deepEqual({ ...d, createdAt: 0, lastModified: 0 }, {
        id: d.id, name: 'acme/web/api', namespaceId: acme.id, namespace: 'acme', shortName: 'web/api', visibility: 'public',
        description: 'the API', state: 'normal', createdAt: 0, lastModified: 0,
      });
      assert.ok(d.createdAt >= before && d.lastModified === d.createdAt);
      assert.deepEqual(await s.repositoryAdmin.findDetail('acme/web/api'), d);
      assert.equal(await s.repositoryAdmin.findDetail('acme/none'), undefined);
      await assert.rejects(s.repositoryAdmin.create({ namespaceId: acme.id, name: 'acme/web/api', visibility: 'private', description: '' }), taken('acme/web/api'));
      const pushed = await s.repositories.ensure(parseRepositoryName('ubuntu'));
      const library = await s.repositoryAdmin.findDetail('ubuntu');
      assert.deepEqual([library?.id, library?.namespace, library?.shortName, library?.visibility, library?.description], [pushed.id, 'library', 'ubuntu', 'private', '']);

      assert.equal(await s.repositoryAdmin.update(d.id, { visibility: 'private' }), true);
      assert.equal(await s.repositoryAdmin.update(d.id, { description: 'changed' }), true);
      assert.deepEqual(await s.repositoryAdmin.findDetail(d.name), { ...d, visibility: 'private', description: 'changed' });
      assert.equal(await s.repositoryAdmin.update(d.id, {}), true);
      assert.equal(await s.repositoryAdmin.update(987654, { description: 'x' }), false);
      assert.equal(await s.repositoryAdmin.update(987654, {}), false);
    });

    it('lastModified follows the tags', async () => {
      const s = stores();
      const r = await s.repositories.ensure(parseRepositoryName('acme/app'));
      const created = (await s.repositoryAdmin.findDetail('acme/app'))!;
      const m = await s.manifests.put({ repositoryId: r.id, digest: digestOf(Buffer.from('m')), mediaType: 'x', payload: Buffer.from('m'), subject: undefined, artifactType: undefined, blobIds: [], childIds: [] });
      await sleep(5);
      await s.tags.put(r.id, 'v1', m.id);
      const tagged = (await s.repositoryAdmin.findDetail('acme/app'))!;
      assert.ok(tagged.lastModified > created.createdAt);
      await sleep(5);
      await s.tags.delete(r.id, 'v1'); // a tag's end is a change too
      assert.ok((await s.repositoryAdmin.findDetail('acme/app'))!.lastModified > tagged.lastModified);
    });

    it('list shows each viewer what it may see, by name, with namespace, publicOnly and last', async () => {
      const s = stores();
      const w = await accessWorld(s);
      const names = async (viewer: Viewer, more: { namespace?: string; publicOnly?: boolean; last?: string } = {}) =>
        (await s.repositoryAdmin.list({ viewer, n: 100, ...more })).map((r) => r.name);
      assert.deepEqual(await names(everything), ['acme/app', 'acme/lib', 'acme/pub', 'alice/own']);
      assert.deepEqual(await names(publicOnly), ['acme/pub']);
      assert.deepEqual(await names(as(user(w.eve.id))), ['acme/pub'], 'a stranger sees public repositories only');
      assert.deepEqual(await names(as(user(w.alice.id))), ['acme/pub', 'alice/own']);
      assert.deepEqual(await names(as(user(w.bob.id))), ['acme/app', 'acme/pub'], 'team grant and direct grant');
      assert.deepEqual(await names(as(user(w.carol.id))), ['acme/app', 'acme/lib', 'acme/pub'], 'org admin');
      assert.deepEqual(await names(as(user(w.dave.id))), ['acme/lib', 'acme/pub']);
      assert.deepEqual(await names(as(robot(w.ci.id))), ['acme/app', 'acme/pub']);
      assert.deepEqual(await names(as(robot(w.deploy.id))), ['acme/lib', 'acme/pub']);
      assert.deepEqual(await names(as(robot(w.aliceBot.id))), ['acme/pub']);
      assert.deepEqual(await names(as(user(w.carol.id)), { namespace: 'acme' }), ['acme/app', 'acme/lib', 'acme/pub']);
      assert.deepEqual(await names(everything, { namespace: 'alice' }), ['alice/own']);
      assert.deepEqual(await names(everything, { namespace: 'nobody' }), []);
      assert.deepEqual(await names(as(user(w.carol.id)), { publicOnly: true }), ['acme/pub']);
      assert.deepEqual(await names(as(user(w.carol.id)), { last: 'acme/lib' }), ['acme/pub']);
      const details = await s.repositoryAdmin.list({ viewer: everything, n: 1, last: 'acme/pub' });
      assert.deepEqual(details, [await s.repositoryAdmin.findDetail('alice/own')]);
    });

    it('list pages merge every way of seeing a repository, in byte order', async () => {
      const s = stores();
      const w = await accessWorld(s);
      // Interleave names the viewer sees for different reasons with names it does not see.
      const seen = ['acme/app', 'acme/lib', 'acme/pub', 'alice/own'];
      for (const [i, name] of ['a-x', 'a.x', 'a_x', 'ab', 'b', 'z'].entries()) {
        const ns = await s.accounts.createOrganization({ name: `org${i}` });
        const visibility = i % 3 === 0 ? 'public' : 'private';
        const r = await s.repositoryAdmin.create({ namespaceId: ns.id, name: `${name}/r`, visibility, description: '' });
        await s.repositoryAdmin.create({ namespaceId: ns.id, name: `${name}/hidden`, visibility: 'private', description: '' });
        if (i % 3 === 1) await s.permissions.set(r.id, { kind: 'team', id: w.owners.id }, 'read');
        if (i % 3 === 2) await s.permissions.set(r.id, { kind: 'user', id: w.alice.id }, 'read');
        seen.push(r.name);
      }
      await s.repositoryAdmin.create({ namespaceId: w.alice.id, name: 'alice/more', visibility: 'private', description: '' });
      seen.push('alice/more');
      // alice now sees repositories through her namespace, an admin team, team and direct grants, and as public.
      await s.teams.addMember(w.owners.id, user(w.alice.id));
      const expected = byteOrder(seen);
      const viewer = as(user(w.alice.id));
      for (const n of [1, 2, 3, 100]) {
        const pages: string[] = [];
        for (let page = await s.repositoryAdmin.list({ viewer, n }); page.length > 0; ) {
          assert.ok(page.length <= n);
          pages.push(...page.map((r) => r.name));
          page = await s.repositoryAdmin.list({ viewer, n, last: pages[pages.length - 1] });
        }
        assert.deepEqual(pages, expected, `n=${n}`);
      }
    });

    it('search: case-insensitive substring, viewer-filtered, LIKE wildcards taken literally, paged', async () => {
      const s = stores();
      const w = await accessWorld(s);
      const more = ['acme/web', 'acme/webapp', 'acme/my_web', 'acme/myxweb', 'acme/web-legacy'];
      for (const name of more) await s.repositoryAdmin.create({ namespaceId: w.acme.id, name, visibility: 'public', description: '' });
      const search = async (text: string, viewer: Viewer = everything, offset = 0, limit = 100) =>
        (await s.repositoryAdmin.search(text, viewer, offset, limit)).map((r) => r.name);
      const found = await search('WEB');
      assert.deepEqual([...found].sort(), [...more].sort());
      if (get().store.dialect === 'postgres') assert.equal(found[0], 'acme/web', 'the closest match first');
      else assert.deepEqual(found, byteOrder(more));
      assert.deepEqual(await search('_web'), ['acme/my_web'], '`_` is not a wildcard');
      assert.deepEqual(await search('%'), [], '`%` is not a wildcard');
      assert.deepEqual(await search('\\'), []);
      assert.deepEqual(await search('lib', as(user(w.eve.id))), [], 'a private repository is invisible to a stranger');
      assert.deepEqual(await search('lib', as(user(w.carol.id))), ['acme/lib']);
      assert.deepEqual((await search('app', as(user(w.bob.id)))).sort(), ['acme/app', 'acme/webapp'], 'visible to a team member with a grant');
      assert.deepEqual((await search('app', as(user(w.eve.id)))).sort(), ['acme/webapp']);
      assert.deepEqual((await search('own', publicOnly)), []);
      const all = await search('web');
      assert.deepEqual([...(await search('web', everything, 0, 2)), ...(await search('web', everything, 2, 2)), ...(await search('web', everything, 4, 2))], all);
      assert.deepEqual(await search('web', everything, 5, 2), []);
    });

    it('delete removes the repository with its tags, manifests, references, links, uploads and grants; blobs stay', async () => {
      const s = stores();
      const w = await accessWorld(s);
      const repoId = w.app.id;
      const keep = await s.repositories.ensure(parseRepositoryName('acme/keep'));
      const [b1, b2] = [await s.blobs.record(digestOf(Buffer.from('b1')), 2), await s.blobs.record(digestOf(Buffer.from('b2')), 2)];
      const loc = (await s.locations.sync(['us'])).get('us')!;
      for (const r of [repoId, keep.id]) {
        await s.blobs.link(r, b1.id);
        await s.blobs.link(r, b2.id);
        const put = (content: string, more: { blobIds?: Id[]; childIds?: Id[] } = {}) =>
          s.manifests.put({ repositoryId: r, digest: digestOf(Buffer.from(content)), mediaType: 'x', payload: Buffer.from(content), subject: undefined, artifactType: undefined, blobIds: [], childIds: [], ...more });
        const child = await put('child', { blobIds: [b1.id, b2.id] });
        const index = await put('index', { childIds: [child.id] });
        await s.tags.put(r, 'v1', child.id);
        await s.tags.put(r, 'v1', index.id);
        await s.uploads.create({ id: randomUUID(), repositoryId: r, locationId: loc.id, driverState: {} });
      }
      await s.permissions.set(keep.id, { kind: 'user', id: w.eve.id }, 'read');
      const counts = async () => Promise.all((['tag', 'manifest', 'manifest_blob', 'manifest_child', 'repo_blob', 'blob_upload', 'repository_permission', 'blob'] as const).map(rowCount));
      const before = await counts();
      assert.equal(await s.repositoryAdmin.delete(repoId), true);
      assert.deepEqual(await counts(), [before[0]! - 2, before[1]! - 2, before[2]! - 2, before[3]! - 1, before[4]! - 2, before[5]! - 1, before[6]! - 2, before[7]]);
      assert.equal(await s.repositoryAdmin.findDetail('acme/app'), undefined);
      assert.deepEqual(await s.blobs.find(b1.digest), b1);
      assert.equal((await s.tags.resolve(keep.id, 'v1'))?.digest, digestOf(Buffer.from('index'))); // the other repository is untouched
      assert.equal(await s.repositoryAdmin.delete(repoId), false);
      const again = await s.repositoryAdmin.create({ namespaceId: w.acme.id, name: 'acme/app', visibility: 'private', description: '' });
      assert.deepEqual([await s.permissions.list(again.id), await s.tags.list(again.id, { n: 10 })], [[], []]);
    });
  });

  describe('access: tag history', () => {
    it('history newest first with sizes, filters and paging; restore moves the tag back, keeping history', async () => {
      const s = stores();
      const r = await s.repositories.ensure(parseRepositoryName('acme/app'));
      const other = await s.repositories.ensure(parseRepositoryName('acme/other'));
      const [b1, b2] = [await s.blobs.record(digestOf(Buffer.from('b1')), 1000), await s.blobs.record(digestOf(Buffer.from('b2')), 5 * 1024 ** 3)];
      const put = (repositoryId: Id, content: string, blobIds: Id[]) =>
        s.manifests.put({ repositoryId, digest: digestOf(Buffer.from(content)), mediaType: `type/${content}`, payload: Buffer.from(content), subject: undefined, artifactType: undefined, blobIds, childIds: [] });
      const [m1, m2] = [await put(r.id, 'one', [b1.id, b2.id]), await put(r.id, 'two', [])];
      const foreign = await put(other.id, 'foreign', []);
      for (const [tag, m] of [['latest', m1], ['v1', m1], ['latest', m2]] as const) {
        await s.tags.put(r.id, tag, m.id);
        await sleep(3);
      }
      const history = await s.tagHistory.history(r.id, { offset: 0, limit: 10 });
      assert.deepEqual(history.map((h) => [h.name, h.manifestDigest, h.mediaType, h.size, h.end === undefined]), [
        ['latest', m2.digest, 'type/two', 3, true],
        ['v1', m1.digest, 'type/one', 3 + 1000 + 5 * 1024 ** 3, true],
        ['latest', m1.digest, 'type/one', 3 + 1000 + 5 * 1024 ** 3, false],
      ]);
      assert.equal(history[2]?.end, history[0]?.start);
      assert.deepEqual((await s.tagHistory.history(r.id, { tag: 'latest', offset: 0, limit: 10 })).map((h) => h.manifestDigest), [m2.digest, m1.digest]);
      assert.deepEqual((await s.tagHistory.history(r.id, { onlyActive: true, offset: 0, limit: 10 })).map((h) => h.name), ['latest', 'v1']);
      assert.deepEqual(await s.tagHistory.history(r.id, { offset: 1, limit: 1 }), [history[1]]);
      assert.deepEqual(await s.tagHistory.history(other.id, { offset: 0, limit: 10 }), []);

      assert.equal(await s.tagHistory.restore(r.id, 'latest', m1.digest), true);
      assert.equal((await s.tags.resolve(r.id, 'latest'))?.id, m1.id);
      const latest = await s.tagHistory.history(r.id, { tag: 'latest', offset: 0, limit: 10 });
      assert.deepEqual(latest.map((h) => [h.manifestDigest, h.end === undefined]), [[m1.digest, true], [m2.digest, false], [m1.digest, false]]);
      assert.equal(await s.tagHistory.restore(r.id, 'latest', digestOf(Buffer.from('gone'))), false);
      assert.equal(await s.tagHistory.restore(r.id, 'latest', foreign.digest), false, 'a manifest of another repository');
      assert.equal(await s.tagHistory.restore(r.id, 'fresh', m2.digest), true, 'restoring under a new name creates the tag');
      assert.deepEqual(await s.tags.list(r.id, { n: 10 }), ['fresh', 'latest', 'v1']);
    });
  });

  describe('access: API tokens', () => {
    it('create, findByHash, list newest first, find and delete by owner and uuid, touch', async () => {
      const s = stores();
      const [alice, bob] = [await s.accounts.createUser({ name: 'alice' }), await s.accounts.createUser({ name: 'bob' })];
      const t1 = await s.apiTokens.create({ userId: alice.id, title: 'ci', tokenHash: 'hash-1' });
      const t2 = await s.apiTokens.create({ userId: alice.id, title: 'laptop', tokenHash: 'hash-2', expiresAt: 9_999_999_999_999 });
      const t3 = await s.apiTokens.create({ userId: bob.id, title: 'bob', tokenHash: 'hash-3' });
      assert.match(t1.uuid, /^[0-9a-f-]{36}$/);
      assert.notEqual(t1.uuid, t2.uuid);
      assert.deepEqual([t1.userId, t1.title, t1.tokenHash, t1.lastAccessedAt, t1.expiresAt, t2.expiresAt], [alice.id, 'ci', 'hash-1', undefined, undefined, 9_999_999_999_999]);
      assert.deepEqual(await s.apiTokens.findByHash('hash-2'), t2);
      assert.equal(await s.apiTokens.findByHash('nope'), undefined);
      assert.deepEqual(await s.apiTokens.list(alice.id), [t2, t1]);
      assert.deepEqual(await s.apiTokens.find(alice.id, t1.uuid), t1);
      assert.equal(await s.apiTokens.find(bob.id, t1.uuid), undefined, "another user's token");
      await s.apiTokens.touch(t1.id, 4242);
      assert.equal((await s.apiTokens.findByHash('hash-1'))?.lastAccessedAt, 4242);
      assert.equal(await s.apiTokens.delete(bob.id, t1.uuid), false);
      assert.equal(await s.apiTokens.delete(alice.id, t1.uuid), true);
      assert.equal(await s.apiTokens.delete(alice.id, t1.uuid), false);
      assert.deepEqual(await s.apiTokens.list(alice.id), [t2]);
      assert.deepEqual(await s.apiTokens.list(bob.id), [t3]);
    });
  });

  describe('access: audit log', () => {
    it('records entries and lists them newest first, filters combined, paged by id', async () => {
      const s = stores();
      const before = Date.now();
      const entries = [
        { kind: 'create_repo', performer: { kind: 'user', name: 'alice' }, namespace: 'acme', repository: 'acme/app', ip: '10.0.0.1', metadata: { visibility: 'private' } },
        { kind: 'push_repo', performer: { kind: 'robot', name: 'acme+ci' }, namespace: 'acme', repository: 'acme/app', ip: undefined, metadata: { tag: 'v1', nested: { n: [1, 2] } } },
        { kind: 'pull_repo', performer: { kind: 'anonymous', name: undefined }, namespace: 'acme', repository: 'acme/pub', ip: '10.0.0.2', metadata: {} },
        { kind: 'create_user', performer: { kind: 'user', name: 'root' }, namespace: undefined, repository: undefined, ip: undefined, metadata: { name: 'alice' } },
        { kind: 'delete_tag', performer: { kind: 'user', name: 'alice' }, namespace: 'acme', repository: 'acme/app', ip: undefined, metadata: { tag: 'old' } },
      ] as const;
      for (const e of entries) await s.audit.record(e);
      const all = await s.audit.list({ n: 100 });
      assert.deepEqual(all.map(({ id: _id, at: _at, ...rest }) => rest), [...entries].reverse());
      assert.ok(all.every((e) => e.at >= before && e.at <= Date.now()));
      assert.ok(all.every((e, i) => i === 0 || e.id < all[i - 1]!.id));
      const kinds = async (q: Parameters<Stores['audit']['list']>[0]) => (await s.audit.list(q)).map((e) => e.kind);
      assert.deepEqual(await kinds({ namespace: 'acme', n: 100 }), ['delete_tag', 'pull_repo', 'push_repo', 'create_repo']);
      assert.deepEqual(await kinds({ repository: 'acme/app', n: 100 }), ['delete_tag', 'push_repo', 'create_repo']);
      assert.deepEqual(await kinds({ performer: 'alice', n: 100 }), ['delete_tag', 'create_repo']);
      assert.deepEqual(await kinds({ performer: 'alice', repository: 'acme/pub', n: 100 }), []);
      assert.deepEqual(await kinds({ namespace: 'acme', performer: 'acme+ci', n: 100 }), ['push_repo']);
      assert.deepEqual(await kinds({ namespace: 'acme', n: 2 }), ['delete_tag', 'pull_repo']);
      assert.deepEqual(await kinds({ namespace: 'acme', before: all[1]!.id, n: 2 }), ['pull_repo', 'push_repo']);
      assert.deepEqual(await kinds({ before: all[4]!.id, n: 10 }), []);
    });
  });

  describe('access: service keys', () => {
    it('publish is idempotent on kid (the first key stays); find', async () => {
      const s = stores();
      const jwk = { kty: 'EC', crv: 'P-256', x: 'abc', y: 'def', kid: 'k1', use: 'sig' };
      await s.serviceKeys.publish('k1', jwk);
      const first = await s.serviceKeys.find('k1');
      assert.deepEqual(first?.jwk, jwk);
      await Promise.all([s.serviceKeys.publish('k1', { ...jwk, x: 'other' }), s.serviceKeys.publish('k1', jwk)]);
      assert.deepEqual(await s.serviceKeys.find('k1'), first);
      assert.equal(await s.serviceKeys.find('k2'), undefined);
    });
  });

  describe('access: migration', () => {
    it('goes down and up again', async () => {
      const migrator = new Migrator({ db: inspect(), provider: migrationProvider });
      const down = await migrator.migrateDown();
      assert.equal(down.error, undefined);
      assert.deepEqual(down.results?.map((r) => [r.migrationName, r.status]), [['20261201T0100_create_access_tables', 'Success']]);
      const tables = (await inspect().introspection.getTables()).map((t) => t.name);
      assert.ok(!tables.includes('app_user') && tables.includes('repository'));
      assert.deepEqual(await get().store.migrate(), ['20261201T0100_create_access_tables']);
      assert.equal((await stores().accounts.createUser({ name: 'back' })).name, 'back');
    });
  });
}
