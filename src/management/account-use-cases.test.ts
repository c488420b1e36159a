/**
 * The account use cases called directly (no HTTP) on both dialects, with the real authorizer:
 * what each writes, that a refused change writes nothing, and that every write is audited.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Actor, Principal } from '../auth/principal.js';
import { tokenHash } from '../auth/secrets.js';
import { Errors, type ErrorEntry, WharfError } from '../errors/index.js';
import type { MetadataStore } from '../metadata/store.js';
import { forEachDialect, type OpenedMetadata } from '../../test/support/metadata.js';
import { ApiTokens } from './api-tokens.js';
import type { ManagementContext } from './context.js';
import { Organizations } from './organizations.js';
import { Robots } from './robots.js';
import { Teams } from './teams.js';
import { UserAdministration } from './user-administration.js';
import { createUser } from './users.js';
import { managementContext } from '../../test/support/management.js';

async function refusedWith(work: Promise<unknown>, entry: ErrorEntry, message?: RegExp): Promise<void> {
  await assert.rejects(work, (err: unknown) => {
    assert.ok(err instanceof WharfError, String(err));
    assert.equal(err.entry, entry);
    if (message) assert.match(err.message, message);
    return true;
  });
}

await forEachDialect((dialect, open) => {
  describe(`account use cases on ${dialect}`, () => {
    let db: OpenedMetadata;
    let metadata: MetadataStore;
    let ctx: ManagementContext;
    const as: Record<string, Actor> = {};

    beforeEach(async () => {
      db = await open();
      metadata = db.store;
      ctx = managementContext(metadata, { superUsers: ['root'] });
      const system: Actor = { principal: { kind: 'anonymous' }, ip: undefined };
      for (const name of ['root', 'alice', 'bob']) {
        const user = await createUser(metadata, system, { username: name, password: `${name}-password` });
        const principal: Principal = { kind: 'user', id: user.id, name, superuser: name === 'root' };
        as[name] = { principal, ip: '192.0.2.1' };
      }
    });
    afterEach(async () => db.close());

    async function kinds(namespace: string): Promise<string[]> {
      return (await metadata.stores.audit.list({ namespace, n: 100 })).map((e) => e.kind).reverse();
    }

    it('an organization starts with its creator in an admin owners team; the name is checked first', async () => {
      const orgs = new Organizations(ctx);
      const acme = await orgs.create(as.alice!, { name: 'acme', email: 'ops@acme.example' });
      const owners = await metadata.stores.teams.find(acme.id, 'owners');
      assert.equal(owners?.role, 'admin');
      assert.deepEqual((await metadata.stores.teams.members(owners!.id)).map((m) => m.name), ['alice']);
      assert.equal(await ctx.authorizer.namespaceRole(as.alice!.principal, acme.id), 'admin');
      assert.deepEqual(await kinds('acme'), ['org_create']);
      const audit = (await metadata.stores.audit.list({ namespace: 'acme', n: 1 }))[0]!;
      assert.equal(audit.ip, '192.0.2.1');
      assert.deepEqual(audit.performer, { kind: 'user', name: 'alice' });

      await refusedWith(orgs.create(as.bob!, { name: 'acme' }), Errors.INVALID_REQUEST, /already exists/);
      await refusedWith(orgs.create(as.bob!, { name: 'alice' }), Errors.INVALID_REQUEST, /already exists/);
      await refusedWith(orgs.create(as.bob!, { name: 'Bad' }), Errors.INVALID_REQUEST);
      await refusedWith(orgs.create({ principal: { kind: 'robot', id: 1, name: 'acme+ci', namespaceId: acme.id }, ip: undefined }, { name: 'robotorg' }), Errors.INSUFFICIENT_SCOPE);
      assert.deepEqual(await kinds('acme'), ['org_create']);
      assert.equal((await metadata.stores.accounts.listOrganizations({ n: 10 })).length, 1);
    });

    it('team changes that would leave no admin are rolled back', async () => {
      const orgs = new Organizations(ctx);
      const teams = new Teams(ctx);
      const acme = await orgs.create(as.alice!, { name: 'acme' });
      await refusedWith(teams.removeMember(as.alice!, 'acme', 'owners', 'alice'), Errors.INVALID_REQUEST, /without an admin/);
      await refusedWith(teams.put(as.alice!, 'acme', 'owners', { role: 'creator' }), Errors.INVALID_REQUEST, /without an admin/);
      await refusedWith(teams.delete(as.alice!, 'acme', 'owners'), Errors.INVALID_REQUEST, /without an admin/);
      const owners = await metadata.stores.teams.find(acme.id, 'owners');
      assert.equal(owners?.role, 'admin');
      assert.equal(owners?.memberCount, 1);
      assert.deepEqual(await kinds('acme'), ['org_create']);

      // A superuser may act, but the rule still holds for them.
      await refusedWith(teams.removeMember(as.root!, 'acme', 'owners', 'alice'), Errors.INVALID_REQUEST, /without an admin/);
      await teams.put(as.root!, 'acme', 'leads', { role: 'admin', description: 'second admin team' });
      await teams.addMember(as.root!, 'acme', 'leads', 'bob');
      await teams.removeMember(as.alice!, 'acme', 'owners', 'alice');
      assert.equal(await ctx.authorizer.namespaceRole(as.alice!.principal, acme.id), undefined);
      await refusedWith(teams.put(as.alice!, 'acme', 'owners', { role: 'member' }), Errors.INSUFFICIENT_SCOPE);
      assert.deepEqual(await kinds('acme'), ['org_create', 'org_create_team', 'org_add_team_member', 'org_remove_team_member']);
    });

    it('robot tokens are stored only as their SHA-256 digest; regenerating replaces it', async () => {
      await new Organizations(ctx).create(as.alice!, { name: 'acme' });
      const robots = new Robots(ctx);
      const owner = { kind: 'organization', name: 'acme' } as const;
      const { robot, token } = await robots.create(as.alice!, owner, 'ci', { description: 'builds' });
      const stored = await metadata.stores.robots.find('acme+ci');
      assert.equal(stored?.tokenHash, tokenHash(token));
      assert.notEqual(stored?.tokenHash, token);
      assert.equal(robot.name, 'acme+ci');
      const again = await robots.regenerate(as.alice!, owner, 'ci');
      assert.notEqual(again.token, token);
      assert.equal((await metadata.stores.robots.find('acme+ci'))?.tokenHash, tokenHash(again.token));
      await refusedWith(robots.create(as.bob!, owner, 'other', {}), Errors.INSUFFICIENT_SCOPE);
      await refusedWith(robots.list(as.bob!.principal, owner, { permissions: false }), Errors.INSUFFICIENT_SCOPE);
      // A user's robots are that user's business only.
      const mine = await robots.create(as.bob!, { kind: 'user' }, 'ci', {});
      assert.equal(mine.robot.name, 'bob+ci');
      await refusedWith(robots.get(as.alice!.principal, { kind: 'user' }, 'ci'), Errors.NOT_FOUND);
      assert.deepEqual(await kinds('acme'), ['org_create', 'create_robot', 'regenerate_robot_token']);
      assert.ok(!JSON.stringify(await metadata.stores.audit.list({ n: 100 })).includes(token));
    });

    it('app tokens: stored as a digest, visible and revocable by their owner only', async () => {
      const tokens = new ApiTokens(ctx);
      const { row, token } = await tokens.create(as.bob!, ' laptop ');
      assert.equal(row.title, 'laptop');
      assert.equal((await metadata.stores.apiTokens.findByHash(tokenHash(token)))?.uuid, row.uuid);
      await refusedWith(tokens.get(as.alice!.principal, row.uuid), Errors.NOT_FOUND);
      await refusedWith(tokens.revoke(as.alice!, row.uuid), Errors.NOT_FOUND);
      await tokens.revoke(as.bob!, row.uuid);
      assert.equal(await metadata.stores.apiTokens.findByHash(tokenHash(token)), undefined);
      assert.deepEqual(await kinds('bob'), ['user_create', 'create_app_specific_token', 'revoke_app_specific_token']);
    });

    it('deleting a user takes their repositories along; SUPER_USERS cannot be deleted or demoted', async () => {
      const admin = new UserAdministration(ctx);
      const bobNs = (await metadata.stores.accounts.findNamespace('bob'))!;
      await metadata.stores.repositoryAdmin.create({ namespaceId: bobNs.id, name: 'bob/one', visibility: 'private', description: '' });
      await metadata.stores.repositoryAdmin.create({ namespaceId: bobNs.id, name: 'bob/two/nested', visibility: 'public', description: '' });
      await refusedWith(admin.delete(as.alice!, 'bob'), Errors.INSUFFICIENT_SCOPE);
      await admin.delete(as.root!, 'bob');
      assert.equal(await metadata.stores.accounts.findNamespace('bob'), undefined);
      assert.equal(await metadata.stores.repositoryAdmin.findDetail('bob/two/nested'), undefined);
      assert.deepEqual((await metadata.stores.audit.list({ namespace: 'bob', n: 1 }))[0]?.metadata, { username: 'bob', superuser: 'root', repositories: 2 });

      // root is a superuser through SUPER_USERS only (the database flag is off).
      assert.equal((await metadata.stores.accounts.findUser('root'))?.superuser, false);
      await refusedWith(admin.delete(as.root!, 'root'), Errors.INVALID_REQUEST, /superuser/);
      const promoted = await admin.update(as.root!, 'alice', { superuser: true });
      assert.equal(promoted.superuser, true);
      const aliceAsSuper: Actor = { principal: { ...(as.alice!.principal as Extract<Principal, { kind: 'user' }>), superuser: true }, ip: undefined };
      await refusedWith(admin.update(aliceAsSuper, 'root', { superuser: false }), Errors.INVALID_REQUEST, /SUPER_USERS/);
      await refusedWith(admin.update(aliceAsSuper, 'root', { password: 'new-password' }), Errors.INVALID_REQUEST, /superuser/);
    });
  });
});
