/**
 * The account part of /api/v1 (users, superuser user management, organizations, teams, robots,
 * app tokens) over real HTTP against a real server in Database mode, once per metadata dialect.
 * Each test checks Quay's answer shapes, who is refused, that refused or bad requests change
 * nothing, and the audit entries the changes leave.
 *
 * The world: `root` (superuser, bootstrapped like WHARF_INITIAL_SUPERUSER), and users created
 * by root through the API, each calling with an app token of their own (cheap to check; one
 * password login per user proves Basic works).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ensureSuperuser } from '../../src/management/bootstrap.js';
import type { AuditEntry, Stores } from '../../src/metadata/store.js';
import { silentLogger } from '../../src/observability/logger.js';
import { http, type Res } from '../support/http.js';
import { POSTGRES_SKIP_MESSAGE } from '../support/postgres.js';
import { type Dialect, startTestRegistry, type TestRegistry } from '../support/registry.js';

type Json = Record<string, unknown>;

const ROOT_PASSWORD = 'root-password-1';

/** One caller: an Authorization header (or none). */
class Caller {
  constructor(
    readonly base: string,
    readonly authorization: string | undefined,
  ) {}

  static basic(base: string, username: string, password: string): Caller {
    return new Caller(base, `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`);
  }

  static bearer(base: string, token: string): Caller {
    return new Caller(base, `Bearer ${token}`);
  }

  async call(method: string, path: string, body?: unknown): Promise<Res> {
    const headers: Record<string, string> = {};
    if (this.authorization) headers.authorization = this.authorization;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return http(this.base, method, path, { headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }
}

function errorType(res: Res): string | undefined {
  try {
    return (res.json() as { error_type?: string }).error_type;
  } catch {
    return undefined;
  }
}

/** Status and, for errors, Quay's error_type. */
function expectStatus(res: Res, status: number, type?: string): void {
  assert.equal(res.status, status, `expected ${status}, got ${res.status}: ${res.body.toString().slice(0, 300)}`);
  if (type) assert.equal(errorType(res), type);
}

const RFC2822 = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} -0000$/;

export function accountsApiSuite(dialect: Dialect): void {
  describe(`account API on ${dialect}`, () => {
    let registry: TestRegistry | undefined;
    let base = '';
    let stores: Stores;
    let root: Caller;
    const users: Record<string, { caller: Caller; password: string; token: string }> = {};

    /** Creates a user through the superuser API and gives them an app token to call with. */
    async function newUser(name: string, email?: string): Promise<Caller> {
      const created = await root.call('POST', '/api/v1/superuser/users/', { username: name, email });
      expectStatus(created, 200);
      const { password } = created.json<{ password: string }>();
      const login = Caller.basic(base, name, password);
      const token = await login.call('POST', '/api/v1/user/apptoken', { title: 'tests' });
      expectStatus(token, 200);
      const code = token.json<{ token: { token_code: string } }>().token.token_code;
      users[name] = { caller: Caller.bearer(base, code), password, token: code };
      return users[name].caller;
    }

    async function audit(namespace: string, kind?: string): Promise<AuditEntry[]> {
      const entries = await stores.audit.list({ namespace, n: 500 });
      return kind ? entries.filter((e) => e.kind === kind) : entries;
    }

    before(async () => {
      registry = await startTestRegistry({ dialect, authentication: 'Database' });
      if (!registry) return;
      base = registry.url;
      stores = registry.app.metadata.stores;
      assert.equal(await ensureSuperuser(registry.app.metadata, { username: 'root', password: ROOT_PASSWORD }, silentLogger()), 'created');
      root = Caller.basic(base, 'root', ROOT_PASSWORD);
    });
    after(async () => registry?.destroy());

    const test = (name: string, fn: () => Promise<void>) =>
      it(name, async (t) => {
        if (!registry) return t.skip(POSTGRES_SKIP_MESSAGE);
        await fn();
      });

    describe('users', () => {
      test('GET /api/v1/user/ describes the caller; anonymous callers get 401 invalid_token', async () => {
        const alice = await newUser('alice', 'alice@example.com');
        const res = await alice.call('GET', '/api/v1/user/');
        expectStatus(res, 200);
        const body = res.json<Json>();
        assert.equal(body.username, 'alice');
        assert.equal(body.email, 'alice@example.com');
        assert.equal(body.anonymous, false);
        assert.equal(body.verified, true);
        assert.equal(body.super_user, false);
        assert.deepEqual(body.organizations, []);
        assert.equal((body.avatar as Json).kind, 'user');

        expectStatus(await new Caller(base, undefined).call('GET', '/api/v1/user/'), 401, 'invalid_token');
        expectStatus(await Caller.basic(base, 'alice', 'not-her-password').call('GET', '/api/v1/user/'), 401, 'invalid_token');
        assert.equal((await root.call('GET', '/api/v1/user/')).json<Json>().super_user, true);
      });

      test('GET /api/v1/users/{username} shows only public fields of someone else', async () => {
        await newUser('bob', 'bob@example.com');
        const res = await users.alice!.caller.call('GET', '/api/v1/users/bob');
        expectStatus(res, 200);
        const body = res.json<Json>();
        assert.equal(body.username, 'bob');
        assert.equal(body.email, undefined);
        assert.equal((await users.bob!.caller.call('GET', '/api/v1/users/bob')).json<Json>().email, 'bob@example.com');
        expectStatus(await users.alice!.caller.call('GET', '/api/v1/users/nobody'), 404, 'not_found');
      });

      test('PUT /api/v1/user/ changes the e-mail and password; a bad password changes nothing', async () => {
        const alice = users.alice!;
        const email = await alice.caller.call('PUT', '/api/v1/user/', { email: 'alice@wharf.example' });
        expectStatus(email, 200);
        assert.equal(email.json<Json>().email, 'alice@wharf.example');
        const changed = await audit('alice', 'user_change_email');
        assert.equal(changed.length, 1);
        assert.deepEqual(changed[0]!.metadata, { email: 'alice@wharf.example', old_email: 'alice@example.com' });
        assert.equal(changed[0]!.performer.name, 'alice');

        const bad = await alice.caller.call('PUT', '/api/v1/user/', { password: 'short', email: 'x@y.z' });
        expectStatus(bad, 400, 'invalid_request');
        assert.match(bad.json<{ error_message: string }>().error_message, /at least 8 characters/);
        assert.equal((await alice.caller.call('GET', '/api/v1/user/')).json<Json>().email, 'alice@wharf.example');
        expectStatus(await alice.caller.call('PUT', '/api/v1/user/', { email: 'not-an-address' }), 400, 'invalid_request');

        expectStatus(await alice.caller.call('PUT', '/api/v1/user/', { password: 'a-new-password' }), 200);
        expectStatus(await Caller.basic(base, 'alice', 'a-new-password').call('GET', '/api/v1/user/'), 200);
        expectStatus(await Caller.basic(base, 'alice', alice.password).call('GET', '/api/v1/user/'), 401, 'invalid_token');
        alice.password = 'a-new-password';
        assert.equal((await audit('alice', 'account_change_password')).length, 1);
      });
    });

    describe('superuser user management', () => {
      test('list, get and create users; refused to everyone else', async () => {
        const list = await root.call('GET', '/api/v1/superuser/users/');
        expectStatus(list, 200);
        const names = list.json<{ users: Json[] }>().users.map((u) => u.username);
        assert.deepEqual(names, [...names].sort());
        for (const name of ['root', 'alice', 'bob']) assert.ok(names.includes(name), name);
        const rootView = list.json<{ users: Json[] }>().users.find((u) => u.username === 'root')!;
        assert.deepEqual(Object.keys(rootView).sort(), ['avatar', 'email', 'enabled', 'kind', 'name', 'super_user', 'username', 'verified']);
        assert.equal(rootView.super_user, true);

        const page = await root.call('GET', '/api/v1/superuser/users/?limit=1');
        assert.equal(page.json<{ users: Json[] }>().users.length, 1);
        const next = page.json<{ next_page: string }>().next_page;
        const second = await root.call('GET', `/api/v1/superuser/users/?limit=1&next_page=${next}`);
        assert.notEqual(second.json<{ users: Json[] }>().users[0]!.username, page.json<{ users: Json[] }>().users[0]!.username);
        expectStatus(await root.call('GET', '/api/v1/superuser/users/?limit=101'), 400, 'invalid_request');

        expectStatus(await users.alice!.caller.call('GET', '/api/v1/superuser/users/'), 403, 'insufficient_scope');
        expectStatus(await users.alice!.caller.call('POST', '/api/v1/superuser/users/', { username: 'mallory' }), 403, 'insufficient_scope');
        expectStatus(await new Caller(base, undefined).call('GET', '/api/v1/superuser/users/'), 401, 'invalid_token');
        assert.equal(await stores.accounts.findUser('mallory'), undefined);

        const created = await root.call('POST', '/api/v1/superuser/users/', { username: 'carol', email: 'carol@example.com' });
        expectStatus(created, 200);
        const body = created.json<{ username: string; email: string; password: string }>();
        assert.equal(body.username, 'carol');
        assert.equal(body.email, 'carol@example.com');
        assert.match(body.password, /^[A-Z0-9]{32}$/);
        expectStatus(await Caller.basic(base, 'carol', body.password).call('GET', '/api/v1/user/'), 200);
        const entry = (await audit('carol', 'user_create'))[0]!;
        assert.equal(entry.performer.name, 'root');
        assert.equal(entry.metadata.superuser, 'root');
        assert.ok(!JSON.stringify(entry).includes(body.password), 'the generated password is not audited');

        const one = await root.call('GET', '/api/v1/superuser/users/carol');
        expectStatus(one, 200);
        assert.equal(one.json<Json>().email, 'carol@example.com');
        expectStatus(await root.call('GET', '/api/v1/superuser/users/nobody'), 404, 'not_found');
      });

      test('creating a taken or invalid name is a 400 and writes nothing', async () => {
        const before = (await stores.audit.list({ n: 1000 })).length;
        const taken = await root.call('POST', '/api/v1/superuser/users/', { username: 'alice' });
        expectStatus(taken, 400, 'invalid_request');
        assert.match(taken.json<{ error_message: string }>().error_message, /already exists/);
        for (const username of ['Alice', 'a', 'has space', 'trailing-', 'x'.repeat(256)]) {
          expectStatus(await root.call('POST', '/api/v1/superuser/users/', { username }), 400, 'invalid_request');
        }
        expectStatus(await root.call('POST', '/api/v1/superuser/users/', { username: 'valid', email: 'nope' }), 400, 'invalid_request');
        assert.equal(await stores.accounts.findUser('valid'), undefined);
        assert.equal((await stores.audit.list({ n: 1000 })).length, before);
      });

      test('PUT changes e-mail, password, enabled and superuser, with Quay\'s guards', async () => {
        const dave = await newUser('dave');
        const disable = await root.call('PUT', '/api/v1/superuser/users/dave', { enabled: false, email: 'dave@example.com' });
        expectStatus(disable, 200);
        assert.equal(disable.json<Json>().enabled, false);
        assert.equal(disable.json<Json>().email, 'dave@example.com');
        expectStatus(await dave.call('GET', '/api/v1/user/'), 401, 'invalid_token');
        assert.equal((await audit('dave', 'user_disable')).length, 1);
        expectStatus(await root.call('PUT', '/api/v1/superuser/users/dave', { enabled: true, password: 'dave-password-2' }), 200);
        expectStatus(await Caller.basic(base, 'dave', 'dave-password-2').call('GET', '/api/v1/user/'), 200);
        assert.equal((await audit('dave', 'user_change_password'))[0]?.metadata.superuser, 'root');

        const promoted = await root.call('PUT', '/api/v1/superuser/users/dave', { superuser: true });
        assert.equal(promoted.json<Json>().super_user, true);
        assert.equal((await dave.call('GET', '/api/v1/superuser/users/')).status, 200);
        // Another superuser's account is out of reach until they are demoted.
        expectStatus(await root.call('PUT', '/api/v1/superuser/users/dave', { password: 'taken-over-1' }), 400, 'invalid_request');
        expectStatus(await root.call('DELETE', '/api/v1/superuser/users/dave'), 400, 'invalid_request');
        expectStatus(await dave.call('PUT', '/api/v1/superuser/users/dave', { superuser: false }), 400, 'invalid_request');
        expectStatus(await root.call('PUT', '/api/v1/superuser/users/root', { enabled: false }), 400, 'invalid_request');
        expectStatus(await root.call('PUT', '/api/v1/superuser/users/dave', { superuser: false }), 200);
        expectStatus(await dave.call('GET', '/api/v1/superuser/users/'), 403, 'insufficient_scope');
        expectStatus(await root.call('PUT', '/api/v1/superuser/users/dave', { password: 'short' }), 400, 'invalid_request');
        expectStatus(await Caller.basic(base, 'dave', 'dave-password-2').call('GET', '/api/v1/user/'), 200);
      });

      test('DELETE removes the user with their repositories, robots and tokens', async () => {
        const erin = await newUser('erin');
        expectStatus(await erin.call('PUT', '/api/v1/user/robots/builder', {}), 201);
        const namespace = (await stores.accounts.findNamespace('erin'))!;
        await stores.repositoryAdmin.create({ namespaceId: namespace.id, name: 'erin/app', visibility: 'private', description: '' });

        expectStatus(await users.alice!.caller.call('DELETE', '/api/v1/superuser/users/erin'), 403, 'insufficient_scope');
        expectStatus(await root.call('DELETE', '/api/v1/superuser/users/erin'), 204);
        assert.equal(await stores.accounts.findUser('erin'), undefined);
        assert.equal(await stores.repositoryAdmin.findDetail('erin/app'), undefined);
        assert.equal(await stores.robots.find('erin+builder'), undefined);
        expectStatus(await erin.call('GET', '/api/v1/user/'), 401, 'invalid_token');
        const deleted = await audit('erin', 'user_delete');
        assert.deepEqual(deleted[0]?.metadata, { username: 'erin', superuser: 'root', repositories: 1 });
        expectStatus(await root.call('DELETE', '/api/v1/superuser/users/erin'), 404, 'not_found');
        expectStatus(await root.call('DELETE', '/api/v1/superuser/users/root'), 400, 'invalid_request');
      });
    });

    describe('organizations and teams', () => {
      test('POST /api/v1/organization/ makes the creator an admin through the owners team', async () => {
        const alice = users.alice!.caller;
        const created = await alice.call('POST', '/api/v1/organization/', { name: 'acme', email: 'ops@acme.example' });
        expectStatus(created, 201);
        assert.equal(created.json(), 'Created');
        const res = await alice.call('GET', '/api/v1/organization/acme');
        expectStatus(res, 200);
        const org = res.json<{ name: string; email: string; is_admin: boolean; is_member: boolean; teams: Record<string, Json>; ordered_teams: string[] }>();
        assert.equal(org.name, 'acme');
        assert.equal(org.email, 'ops@acme.example');
        assert.equal(org.is_admin, true);
        assert.equal(org.is_member, true);
        assert.deepEqual(org.ordered_teams, ['owners']);
        assert.equal(org.teams.owners!.role, 'admin');
        assert.equal(org.teams.owners!.member_count, 1);
        assert.equal(org.teams.owners!.can_view, true);
        const entry = (await audit('acme', 'org_create'))[0]!;
        assert.equal(entry.performer.name, 'alice');
        assert.deepEqual(entry.metadata, { email: 'ops@acme.example', namespace: 'acme' });

        const me = (await alice.call('GET', '/api/v1/user/')).json<{ organizations: Json[] }>();
        assert.deepEqual(
          me.organizations.map((o) => [o.name, o.is_org_admin, o.can_create_repo]),
          [['acme', true, true]],
        );

        const outsider = await users.bob!.caller.call('GET', '/api/v1/organization/acme');
        expectStatus(outsider, 200);
        const seen = outsider.json<Json>();
        assert.equal(seen.is_admin, false);
        assert.equal(seen.is_member, false);
        assert.equal(seen.email, '');
        assert.equal(seen.teams, undefined);
        expectStatus(await alice.call('GET', '/api/v1/organization/nothere'), 404, 'not_found');
      });

      test('organization names: taken (by a user or an organization) or invalid is a 400', async () => {
        const alice = users.alice!.caller;
        for (const name of ['bob', 'acme']) {
          const res = await alice.call('POST', '/api/v1/organization/', { name });
          expectStatus(res, 400, 'invalid_request');
          assert.match(res.json<{ error_message: string }>().error_message, /already exists/);
        }
        for (const name of ['Acme', 'a', 'two..dots', '-lead']) expectStatus(await alice.call('POST', '/api/v1/organization/', { name }), 400, 'invalid_request');
        expectStatus(await alice.call('POST', '/api/v1/organization/', { name: 'okname', email: 'bad' }), 400, 'invalid_request');
        assert.equal(await stores.accounts.findNamespace('okname'), undefined);
        expectStatus(await new Caller(base, undefined).call('POST', '/api/v1/organization/', { name: 'anon' }), 401, 'invalid_token');
      });

      test('PUT and members are for admins; outsiders get 403 whether or not the organization exists', async () => {
        const alice = users.alice!.caller;
        const bob = users.bob!.caller;
        expectStatus(await bob.call('PUT', '/api/v1/organization/acme', { email: 'evil@example.com' }), 403, 'insufficient_scope');
        expectStatus(await bob.call('PUT', '/api/v1/organization/ghost', { email: 'evil@example.com' }), 403, 'insufficient_scope');
        expectStatus(await root.call('PUT', '/api/v1/organization/ghost', { email: 'x@example.com' }), 404, 'not_found');
        expectStatus(await bob.call('GET', '/api/v1/organization/acme/members'), 403, 'insufficient_scope');
        assert.equal((await audit('acme', 'org_change_email')).length, 0);

        const changed = await alice.call('PUT', '/api/v1/organization/acme', { email: 'team@acme.example' });
        expectStatus(changed, 200);
        assert.equal(changed.json<Json>().email, 'team@acme.example');
        assert.deepEqual((await audit('acme', 'org_change_email'))[0]?.metadata, { email: 'team@acme.example', old_email: 'ops@acme.example', namespace: 'acme' });

        const members = await alice.call('GET', '/api/v1/organization/acme/members');
        expectStatus(members, 200);
        assert.deepEqual(
          members.json<{ members: Json[] }>().members.map((m) => [m.name, m.kind, (m.teams as Json[]).map((t) => t.name)]),
          [['alice', 'user', ['owners']]],
        );
        // Superusers count as admins everywhere.
        expectStatus(await root.call('GET', '/api/v1/organization/acme/members'), 200);
        assert.equal((await root.call('GET', '/api/v1/organization/acme')).json<Json>().is_admin, true);
      });

      test('teams: create, describe, add members; members see their own team only', async () => {
        const alice = users.alice!.caller;
        const bob = users.bob!.caller;
        const created = await alice.call('PUT', '/api/v1/organization/acme/team/builders', { role: 'creator' });
        expectStatus(created, 200);
        assert.deepEqual(
          { ...created.json<Json>(), avatar: undefined },
          { name: 'builders', description: '', can_view: true, role: 'creator', avatar: undefined, new_team: true },
        );
        const described = await alice.call('PUT', '/api/v1/organization/acme/team/builders', { role: 'creator', description: 'CI and release' });
        assert.equal(described.json<Json>().new_team, false);
        assert.equal(described.json<Json>().description, 'CI and release');
        assert.deepEqual(
          (await audit('acme')).filter((e) => e.kind.startsWith('org_') && e.kind.includes('team')).map((e) => e.kind).sort(),
          ['org_create_team', 'org_set_team_description'],
        );
        expectStatus(await alice.call('PUT', '/api/v1/organization/acme/team/Bad%20Name', { role: 'member' }), 400, 'invalid_request');
        expectStatus(await alice.call('PUT', '/api/v1/organization/acme/team/readers', { role: 'owner' }), 400, 'invalid_request');
        expectStatus(await bob.call('PUT', '/api/v1/organization/acme/team/builders', { role: 'admin' }), 403, 'insufficient_scope');
        assert.equal((await stores.teams.find((await stores.accounts.findNamespace('acme'))!.id, 'builders'))?.role, 'creator');

        const added = await alice.call('PUT', '/api/v1/organization/acme/team/builders/members/bob');
        expectStatus(added, 200);
        assert.deepEqual({ ...added.json<Json>(), avatar: undefined }, { name: 'bob', kind: 'user', is_robot: false, avatar: undefined, invited: false });
        expectStatus(await alice.call('PUT', '/api/v1/organization/acme/team/builders/members/bob'), 200);
        assert.equal((await audit('acme', 'org_add_team_member')).length, 1, 'adding again changes and audits nothing');
        expectStatus(await alice.call('PUT', '/api/v1/organization/acme/team/builders/members/nobody'), 400, 'invalid_request');
        expectStatus(await alice.call('PUT', '/api/v1/organization/acme/team/missing/members/bob'), 404, 'not_found');

        const asMember = (await bob.call('GET', '/api/v1/organization/acme')).json<{ is_member: boolean; is_admin: boolean; teams: Record<string, Json> }>();
        assert.equal(asMember.is_member, true);
        assert.equal(asMember.is_admin, false);
        assert.equal(asMember.teams.builders!.can_view, true);
        assert.equal(asMember.teams.owners!.can_view, false);
        const team = await bob.call('GET', '/api/v1/organization/acme/team/builders/members');
        expectStatus(team, 200);
        assert.deepEqual(team.json<Json>().can_edit, false);
        assert.deepEqual(team.json<{ members: Json[] }>().members.map((m) => m.name), ['bob']);
        expectStatus(await bob.call('GET', '/api/v1/organization/acme/team/owners/members'), 403, 'insufficient_scope');
        expectStatus(await bob.call('GET', '/api/v1/organization/acme/team/missing/members'), 403, 'insufficient_scope');
        expectStatus(await alice.call('GET', '/api/v1/organization/acme/team/missing/members'), 404, 'not_found');
        expectStatus(await users.dave!.caller.call('GET', '/api/v1/organization/acme/team/builders/members'), 403, 'insufficient_scope');
        // A creator team may create repositories.
        const me = (await bob.call('GET', '/api/v1/user/')).json<{ organizations: Json[] }>();
        assert.deepEqual(me.organizations.map((o) => [o.name, o.is_org_admin, o.can_create_repo]), [['acme', false, true]]);

        expectStatus(await bob.call('DELETE', '/api/v1/organization/acme/team/builders/members/bob'), 403, 'insufficient_scope');
        expectStatus(await alice.call('DELETE', '/api/v1/organization/acme/team/builders/members/bob'), 204);
        expectStatus(await alice.call('DELETE', '/api/v1/organization/acme/team/builders/members/bob'), 400, 'invalid_request');
        assert.deepEqual((await audit('acme', 'org_remove_team_member'))[0]?.metadata, { member: 'bob', team: 'builders' });
        expectStatus(await alice.call('DELETE', '/api/v1/organization/acme/team/readers'), 404, 'not_found');
      });

      test('an organization always keeps an admin: last member, last admin team, demotion', async () => {
        const alice = users.alice!.caller;
        const bob = users.bob!.caller;
        expectStatus(await alice.call('POST', '/api/v1/organization/', { name: 'solo' }), 201);
        const refusals = [
          await alice.call('DELETE', '/api/v1/organization/solo/team/owners/members/alice'),
          await alice.call('DELETE', '/api/v1/organization/solo/team/owners'),
          await alice.call('PUT', '/api/v1/organization/solo/team/owners', { role: 'member' }),
          await root.call('DELETE', '/api/v1/superuser/users/alice'),
        ];
        for (const res of refusals) {
          expectStatus(res, 400, 'invalid_request');
          assert.match(res.json<{ error_message: string }>().error_message, /without an admin/);
        }
        const solo = (await stores.accounts.findNamespace('solo'))!;
        const owners = (await stores.teams.find(solo.id, 'owners'))!;
        assert.equal(owners.role, 'admin');
        assert.deepEqual((await stores.teams.members(owners.id)).map((m) => m.name), ['alice']);
        assert.ok(await stores.accounts.findUser('alice'));

        // With a second admin, the first may leave.
        expectStatus(await alice.call('PUT', '/api/v1/organization/solo/team/admins', { role: 'admin' }), 200);
        expectStatus(await alice.call('PUT', '/api/v1/organization/solo/team/admins/members/bob'), 200);
        expectStatus(await alice.call('DELETE', '/api/v1/organization/solo/team/owners/members/alice'), 204);
        expectStatus(await alice.call('GET', '/api/v1/organization/solo/members'), 403, 'insufficient_scope');
        expectStatus(await bob.call('DELETE', '/api/v1/organization/solo/team/owners'), 204);
        assert.deepEqual((await audit('solo', 'org_delete_team'))[0]?.metadata, { team: 'owners' });
      });

      test('DELETE /api/v1/organization/{orgname} removes its repositories, robots and teams', async () => {
        const alice = users.alice!.caller;
        expectStatus(await alice.call('POST', '/api/v1/organization/', { name: 'doomed' }), 201);
        expectStatus(await alice.call('PUT', '/api/v1/organization/doomed/robots/ci'), 201);
        expectStatus(await alice.call('PUT', '/api/v1/organization/doomed/team/readers', { role: 'member' }), 200);
        const doomed = (await stores.accounts.findNamespace('doomed'))!;
        await stores.repositoryAdmin.create({ namespaceId: doomed.id, name: 'doomed/app', visibility: 'public', description: '' });

        expectStatus(await users.bob!.caller.call('DELETE', '/api/v1/organization/doomed'), 403, 'insufficient_scope');
        assert.ok(await stores.repositoryAdmin.findDetail('doomed/app'));
        expectStatus(await alice.call('DELETE', '/api/v1/organization/doomed'), 204);
        expectStatus(await alice.call('GET', '/api/v1/organization/doomed'), 404, 'not_found');
        assert.equal(await stores.repositoryAdmin.findDetail('doomed/app'), undefined);
        assert.equal(await stores.robots.find('doomed+ci'), undefined);
        assert.deepEqual((await audit('doomed', 'org_delete'))[0]?.metadata, { namespace: 'doomed', repositories: 1 });
      });
    });

    describe('robots', () => {
      test('an organization robot: token shown once, never listed; it cannot use the account API', async () => {
        const alice = users.alice!.caller;
        const created = await alice.call('PUT', '/api/v1/organization/acme/robots/deployer', { description: 'deploys prod' });
        expectStatus(created, 201);
        const robot = created.json<{ name: string; token: string; created: string; last_accessed: null; description: string }>();
        assert.equal(robot.name, 'acme+deployer');
        assert.equal(robot.description, 'deploys prod');
        assert.match(robot.token, /^[A-Z0-9]{64}$/);
        assert.match(robot.created, RFC2822);
        assert.equal(robot.last_accessed, null);
        const entry = (await audit('acme', 'create_robot'))[0]!;
        assert.deepEqual(entry.metadata, { robot: 'deployer', description: 'deploys prod' });

        const one = await alice.call('GET', '/api/v1/organization/acme/robots/deployer');
        expectStatus(one, 200);
        assert.equal(one.json<Json>().token, undefined);
        const list = await alice.call('GET', '/api/v1/organization/acme/robots');
        expectStatus(list, 200);
        const listed = list.json<{ robots: Json[] }>().robots;
        assert.deepEqual(listed.map((r) => r.name), ['acme+deployer']);
        assert.equal(listed[0]!.token, undefined);

        // The token logs the robot in, and robots are refused by every account endpoint.
        const asRobot = Caller.basic(base, 'acme+deployer', robot.token);
        expectStatus(await asRobot.call('GET', '/api/v1/user/'), 403, 'insufficient_scope');
        expectStatus(await asRobot.call('GET', '/api/v1/organization/acme'), 403, 'insufficient_scope');
        expectStatus(await asRobot.call('PUT', '/api/v1/organization/acme/robots/another'), 403, 'insufficient_scope');
        expectStatus(await asRobot.call('POST', '/api/v1/user/apptoken', { title: 'x' }), 403, 'insufficient_scope');
        assert.equal(await stores.robots.find('acme+another'), undefined);

        const again = await alice.call('PUT', '/api/v1/organization/acme/robots/deployer');
        expectStatus(again, 400, 'invalid_request');
        assert.match(again.json<{ error_message: string }>().error_message, /existing robot/);
        for (const name of ['Deployer', '1bot', 'x', 'has-dash']) expectStatus(await alice.call('PUT', `/api/v1/organization/acme/robots/${name}`), 400, 'invalid_request');
        expectStatus(await alice.call('PUT', '/api/v1/organization/acme/robots/longdesc', { description: 'd'.repeat(256) }), 400, 'invalid_request');
        assert.deepEqual((await stores.robots.list((await stores.accounts.findNamespace('acme'))!.id)).map((r) => r.shortName), ['deployer']);

        const regenerated = await alice.call('POST', '/api/v1/organization/acme/robots/deployer/regenerate');
        expectStatus(regenerated, 200);
        const token = regenerated.json<{ token: string }>().token;
        assert.match(token, /^[A-Z0-9]{64}$/);
        assert.notEqual(token, robot.token);
        expectStatus(await asRobot.call('GET', '/api/v1/user/'), 401, 'invalid_token');
        expectStatus(await Caller.basic(base, 'acme+deployer', token).call('GET', '/api/v1/user/'), 403, 'insufficient_scope');
        assert.equal((await audit('acme', 'regenerate_robot_token')).length, 1);
        const everything = JSON.stringify(await stores.audit.list({ n: 1000 }));
        assert.ok(!everything.includes(token) && !everything.includes(robot.token), 'robot tokens are never audited');
      });

      test('members may list an organization\'s robots; only admins see one, create, delete or regenerate', async () => {
        const alice = users.alice!.caller;
        const bob = users.bob!.caller;
        expectStatus(await alice.call('PUT', '/api/v1/organization/acme/team/builders/members/bob'), 200);
        expectStatus(await alice.call('PUT', '/api/v1/organization/acme/team/builders/members/acme+deployer'), 200);
        const listed = await bob.call('GET', '/api/v1/organization/acme/robots?permissions=true');
        expectStatus(listed, 200);
        assert.deepEqual(listed.json<{ robots: Json[] }>().robots.map((r) => [r.name, r.teams]), [['acme+deployer', []]]);
        const asAdmin = await alice.call('GET', '/api/v1/organization/acme/robots?permissions=true');
        assert.deepEqual(asAdmin.json<{ robots: { teams: Json[] }[] }>().robots[0]!.teams.map((t) => t.name), ['builders']);

        expectStatus(await bob.call('GET', '/api/v1/organization/acme/robots/deployer'), 403, 'insufficient_scope');
        expectStatus(await bob.call('PUT', '/api/v1/organization/acme/robots/sneaky'), 403, 'insufficient_scope');
        expectStatus(await bob.call('POST', '/api/v1/organization/acme/robots/deployer/regenerate'), 403, 'insufficient_scope');
        expectStatus(await bob.call('DELETE', '/api/v1/organization/acme/robots/deployer'), 403, 'insufficient_scope');
        expectStatus(await users.dave!.caller.call('GET', '/api/v1/organization/acme/robots'), 403, 'insufficient_scope');
        assert.ok(await stores.robots.find('acme+deployer'));

        const members = await alice.call('GET', '/api/v1/organization/acme/team/builders/members');
        assert.deepEqual(members.json<{ members: Json[] }>().members.map((m) => [m.name, m.is_robot]), [['bob', false], ['acme+deployer', true]]);
        // Another namespace's robot cannot join.
        expectStatus(await bob.call('PUT', '/api/v1/user/robots/mine'), 201);
        const foreign = await alice.call('PUT', '/api/v1/organization/acme/team/builders/members/bob+mine');
        expectStatus(foreign, 400, 'invalid_request');
        assert.match(foreign.json<{ error_message: string }>().error_message, /does not belong/);

        expectStatus(await alice.call('DELETE', '/api/v1/organization/acme/robots/deployer'), 204);
        expectStatus(await alice.call('GET', '/api/v1/organization/acme/robots/deployer'), 404, 'not_found');
        expectStatus(await alice.call('DELETE', '/api/v1/organization/acme/robots/deployer'), 404, 'not_found');
        assert.deepEqual((await audit('acme', 'delete_robot'))[0]?.metadata, { robot: 'deployer' });
        assert.deepEqual(
          (await alice.call('GET', '/api/v1/organization/acme/team/builders/members')).json<{ members: Json[] }>().members.map((m) => m.name),
          ['bob'],
        );
      });

      test("a user's own robots live under /api/v1/user/robots", async () => {
        const carol = await newUser('frank');
        const created = await carol.call('PUT', '/api/v1/user/robots/pusher', { description: 'CI' });
        expectStatus(created, 201);
        const token = created.json<{ name: string; token: string }>();
        assert.equal(token.name, 'frank+pusher');
        const list = await carol.call('GET', '/api/v1/user/robots');
        assert.deepEqual(list.json<{ robots: Json[] }>().robots.map((r) => [r.name, r.description, r.token]), [['frank+pusher', 'CI', undefined]]);
        assert.equal((await carol.call('GET', '/api/v1/user/robots/pusher')).json<Json>().token, undefined);
        expectStatus(await users.bob!.caller.call('GET', '/api/v1/user/robots/pusher'), 404, 'not_found');
        const regenerated = await carol.call('POST', '/api/v1/user/robots/pusher/regenerate');
        expectStatus(regenerated, 200);
        assert.notEqual(regenerated.json<{ token: string }>().token, token.token);
        expectStatus(await carol.call('DELETE', '/api/v1/user/robots/pusher'), 204);
        assert.deepEqual((await audit('frank')).map((e) => e.kind).filter((k) => k.includes('robot')).sort(), ['create_robot', 'delete_robot', 'regenerate_robot_token']);
      });
    });

    describe('OpenAPI', () => {
      test('the discovery document lists every account operation under its Quay path and operationId', async () => {
        const res = await new Caller(base, undefined).call('GET', '/api/v1/discovery');
        expectStatus(res, 200);
        const paths = res.json<{ paths: Record<string, Record<string, { operationId: string; summary: string; 'x-wharf-access': string }>> }>().paths;
        const expected: [string, string, string][] = [
          ['/api/v1/user/', 'get', 'getLoggedInUser'],
          ['/api/v1/user/', 'put', 'changeUserDetails'],
          ['/api/v1/users/{username}', 'get', 'getUserInformation'],
          ['/api/v1/superuser/users/', 'get', 'listAllUsers'],
          ['/api/v1/superuser/users/', 'post', 'createInstallUser'],
          ['/api/v1/superuser/users/{username}', 'put', 'changeInstallUser'],
          ['/api/v1/superuser/users/{username}', 'delete', 'deleteInstallUser'],
          ['/api/v1/organization/', 'post', 'createOrganization'],
          ['/api/v1/organization/{orgname}', 'get', 'getOrganization'],
          ['/api/v1/organization/{orgname}', 'put', 'changeOrganizationDetails'],
          ['/api/v1/organization/{orgname}', 'delete', 'deleteAdminedOrganization'],
          ['/api/v1/organization/{orgname}/members', 'get', 'getOrganizationMembers'],
          ['/api/v1/organization/{orgname}/team/{teamname}', 'put', 'updateOrganizationTeam'],
          ['/api/v1/organization/{orgname}/team/{teamname}', 'delete', 'deleteOrganizationTeam'],
          ['/api/v1/organization/{orgname}/team/{teamname}/members', 'get', 'getOrganizationTeamMembers'],
          ['/api/v1/organization/{orgname}/team/{teamname}/members/{membername}', 'put', 'updateOrganizationTeamMember'],
          ['/api/v1/organization/{orgname}/team/{teamname}/members/{membername}', 'delete', 'deleteOrganizationTeamMember'],
          ['/api/v1/organization/{orgname}/robots', 'get', 'getOrgRobots'],
          ['/api/v1/organization/{orgname}/robots/{robot_shortname}', 'put', 'createOrgRobot'],
          ['/api/v1/organization/{orgname}/robots/{robot_shortname}/regenerate', 'post', 'regenerateOrgRobotToken'],
          ['/api/v1/user/robots', 'get', 'getUserRobots'],
          ['/api/v1/user/robots/{robot_shortname}', 'delete', 'deleteUserRobot'],
          ['/api/v1/user/robots/{robot_shortname}/regenerate', 'post', 'regenerateUserRobotToken'],
          ['/api/v1/user/apptoken', 'post', 'createAppToken'],
          ['/api/v1/user/apptoken/{token_uuid}', 'delete', 'revokeAppToken'],
        ];
        for (const [path, method, operationId] of expected) assert.equal(paths[path]?.[method]?.operationId, operationId, `${method} ${path}`);
        assert.match(paths['/api/v1/organization/{orgname}/robots/{robot_shortname}']!.put!.summary, /only in this answer/);
        assert.equal(paths['/api/v1/superuser/users/']!.get!['x-wharf-access'], 'superuser');
        assert.equal(paths['/api/v1/user/']!.get!['x-wharf-access'], 'user');
      });
    });

    describe('app tokens', () => {
      test('token_code only in the POST answer; revoking stops the token at once', async () => {
        const bob = users.bob!;
        const created = await bob.caller.call('POST', '/api/v1/user/apptoken', { title: 'laptop' });
        expectStatus(created, 200);
        const token = created.json<{ token: Json }>().token;
        assert.deepEqual(Object.keys(token).sort(), ['created', 'expiration', 'last_accessed', 'title', 'token_code', 'uuid']);
        assert.equal(token.title, 'laptop');
        assert.match(token.created as string, RFC2822);
        assert.equal(token.expiration, null);
        const code = token.token_code as string;
        const laptop = Caller.bearer(base, code);
        expectStatus(await laptop.call('GET', '/api/v1/user/'), 200);

        const list = await bob.caller.call('GET', '/api/v1/user/apptoken');
        expectStatus(list, 200);
        const tokens = list.json<{ tokens: Json[]; only_expiring: boolean }>();
        assert.deepEqual(tokens.tokens.map((t) => t.title), ['laptop', 'tests']);
        assert.ok(tokens.tokens.every((t) => t.token_code === undefined));
        assert.equal(tokens.only_expiring, false);
        const one = await bob.caller.call('GET', `/api/v1/user/apptoken/${token.uuid as string}`);
        expectStatus(one, 200);
        assert.equal(one.json<{ token: Json }>().token.token_code, undefined);
        expectStatus(await users.alice!.caller.call('GET', `/api/v1/user/apptoken/${token.uuid as string}`), 404, 'not_found');
        expectStatus(await users.alice!.caller.call('DELETE', `/api/v1/user/apptoken/${token.uuid as string}`), 404, 'not_found');
        expectStatus(await bob.caller.call('POST', '/api/v1/user/apptoken', { title: '   ' }), 400, 'invalid_request');

        expectStatus(await bob.caller.call('DELETE', `/api/v1/user/apptoken/${token.uuid as string}`), 204);
        expectStatus(await laptop.call('GET', '/api/v1/user/'), 401, 'invalid_token');
        expectStatus(await bob.caller.call('GET', `/api/v1/user/apptoken/${token.uuid as string}`), 404, 'not_found');
        const entries = await audit('bob');
        const kinds = entries.map((e) => e.kind);
        assert.ok(kinds.includes('create_app_specific_token') && kinds.includes('revoke_app_specific_token'));
        assert.deepEqual(entries.find((e) => e.kind === 'revoke_app_specific_token')?.metadata, { app_specific_token_title: 'laptop', app_specific_token: token.uuid });
        assert.ok(!JSON.stringify(entries).includes(code), 'the token is never audited');
      });
    });
  });
}
