/** /api/v1/repository: create, get, list, update, change visibility, delete, over HTTP on a real server. */
import assert from 'node:assert/strict';
import { errorType, onEachDialect } from './repositories-fixture.js';

interface RepoJson {
  namespace: string;
  name: string;
  kind: string;
  description: string;
  is_public: boolean;
  is_organization: boolean;
  is_starred: boolean;
  state: string;
  can_write: boolean;
  can_admin: boolean;
  tags?: Record<string, { name: string; manifest_digest: string; size: number; last_modified: string }>;
}

interface ListJson {
  repositories: { namespace: string; name: string; description: string; is_public: boolean; kind: string; state: string; last_modified?: number }[];
  next_page?: string;
}

onEachDialect('repository API', (test) => {
  test('create answers 201 with Quay fields; the repository exists with its description and visibility', async (w) => {
    const res = await w.call('alice', 'POST', '/api/v1/repository', { namespace: 'alice', repository: 'web', visibility: 'private', description: 'the web app' });
    assert.equal(res.status, 201, res.body.toString());
    assert.deepEqual(res.json(), { namespace: 'alice', name: 'web', kind: 'image' });
    const get = await w.call('alice', 'GET', '/api/v1/repository/alice/web');
    assert.equal(get.status, 200);
    const repo = get.json<RepoJson>();
    assert.equal(repo.description, 'the web app');
    assert.equal(repo.is_public, false);
    assert.equal(repo.is_organization, false);
    assert.equal(repo.state, 'NORMAL');
    assert.equal(repo.can_admin, true);
    assert.deepEqual(repo.tags, {});
  });

  test('create defaults the namespace to the caller; nested names work', async (w) => {
    const res = await w.call('alice', 'POST', '/api/v1/repository', { repository: 'team/api', visibility: 'public', description: '' });
    assert.equal(res.status, 201, res.body.toString());
    assert.deepEqual(res.json(), { namespace: 'alice', name: 'team/api', kind: 'image' });
    const get = await w.call('anonymous', 'GET', '/api/v1/repository/alice/team/api');
    assert.equal(get.status, 200);
    assert.equal(get.json<RepoJson>().name, 'team/api');
  });

  test('create refuses bad input with 400 and creates nothing', async (w) => {
    const cases: unknown[] = [
      { namespace: 'alice', repository: 'Bad-Name', visibility: 'private', description: '' },
      { namespace: 'alice', repository: '../x', visibility: 'private', description: '' },
      { namespace: 'alice', repository: 'ok', visibility: 'secret', description: '' },
      { namespace: 'alice', repository: 'ok', visibility: 'private' },
      { namespace: 'alice', repository: 'ok', visibility: 'private', description: '', repo_kind: 'application' },
      { namespace: 'nobody-here', repository: 'ok', visibility: 'private', description: '' },
    ];
    for (const body of cases) {
      const res = await w.call('alice', 'POST', '/api/v1/repository', body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(errorType(res), 'invalid_request');
    }
    assert.equal((await w.call('alice', 'GET', '/api/v1/repository/alice/ok')).status, 404);
    const dup = await w.call('alice', 'POST', '/api/v1/repository', { namespace: 'alice', repository: 'dup', visibility: 'private', description: '' });
    assert.equal(dup.status, 201);
    const again = await w.call('alice', 'POST', '/api/v1/repository', { namespace: 'alice', repository: 'dup', visibility: 'public', description: 'x' });
    assert.equal(again.status, 400);
    assert.equal((await w.call('alice', 'GET', '/api/v1/repository/alice/dup')).json<RepoJson>().is_public, false);
  });

  test('create needs the right to create in the namespace', async (w) => {
    const body = { namespace: 'acme', repository: 'nope', visibility: 'private', description: '' };
    assert.equal((await w.call('anonymous', 'POST', '/api/v1/repository', body)).status, 401);
    for (const who of ['bob', 'carol', 'robot'] as const) {
      const res = await w.call(who, 'POST', '/api/v1/repository', body);
      assert.equal(res.status, 403, who);
      assert.equal(errorType(res), 'insufficient_scope');
    }
    assert.equal((await w.call('bob', 'POST', '/api/v1/repository', { ...body, namespace: 'alice' })).status, 403);
    assert.equal((await w.call('frank', 'GET', '/api/v1/repository/acme/nope')).status, 404);
  });

  test('a creator who is not admin of the namespace becomes admin of the repository; an org admin gets no extra grant', async (w) => {
    const made = await w.call('erin', 'POST', '/api/v1/repository', { namespace: 'acme', repository: 'made-by-erin', visibility: 'private', description: '' });
    assert.equal(made.status, 201, made.body.toString());
    const repo = (await w.call('erin', 'GET', '/api/v1/repository/acme/made-by-erin')).json<RepoJson>();
    assert.equal(repo.can_admin, true);
    assert.equal(repo.is_organization, true);
    const perms = await w.call('frank', 'GET', '/api/v1/repository/acme/made-by-erin/permissions/user/');
    assert.deepEqual(perms.json(), { permissions: { erin: { role: 'admin', name: 'erin', is_robot: false, is_org_member: true } } });
    assert.equal((await w.call('frank', 'POST', '/api/v1/repository', { namespace: 'acme', repository: 'made-by-frank', visibility: 'private', description: '' })).status, 201);
    assert.deepEqual((await w.call('frank', 'GET', '/api/v1/repository/acme/made-by-frank/permissions/user/')).json(), { permissions: {} });
    // Erin is no admin of the organization: her other repositories stay closed to her.
    await w.repository('acme/not-erins');
    assert.equal((await w.call('erin', 'GET', '/api/v1/repository/acme/not-erins')).status, 404);
  });

  test('a private repository is indistinguishable from a missing one for strangers; roles show in can_write/can_admin', async (w) => {
    await w.repository('acme/secret', 'private', 'hidden');
    const missing = await w.call('bob', 'GET', '/api/v1/repository/acme/does-not-exist');
    for (const who of ['anonymous', 'bob', 'carol', 'erin'] as const) {
      const res = await w.call(who, 'GET', '/api/v1/repository/acme/secret');
      assert.equal(res.status, 404, who);
      assert.deepEqual({ ...res.json<object>(), detail: '', error_message: '' }, { ...missing.json<object>(), detail: '', error_message: '' });
    }
    const stores = w.registry.app.metadata.stores;
    const repo = await stores.repositoryAdmin.findDetail('acme/secret');
    await stores.permissions.set(repo!.id, { kind: 'user', id: w.ids.carol }, 'read');
    await stores.permissions.set(repo!.id, { kind: 'user', id: w.ids.dave }, 'write');
    await stores.permissions.set(repo!.id, { kind: 'robot', id: w.ids.robot }, 'write');
    const rights = async (who: 'carol' | 'dave' | 'robot' | 'frank' | 'root') => {
      const res = await w.call(who, 'GET', '/api/v1/repository/acme/secret');
      assert.equal(res.status, 200, who);
      const { can_write, can_admin } = res.json<RepoJson>();
      return { can_write, can_admin };
    };
    assert.deepEqual(await rights('carol'), { can_write: false, can_admin: false });
    assert.deepEqual(await rights('dave'), { can_write: true, can_admin: false });
    assert.deepEqual(await rights('robot'), { can_write: true, can_admin: false });
    assert.deepEqual(await rights('frank'), { can_write: true, can_admin: true });
    assert.deepEqual(await rights('root'), { can_write: true, can_admin: true });
  });

  test('the repository shows its current tags', async (w) => {
    await w.repository('acme/tagged', 'public');
    const digest = await w.push('acme/tagged', 'v1', 'tagged-1');
    const repo = (await w.call('anonymous', 'GET', '/api/v1/repository/acme/tagged')).json<RepoJson>();
    assert.deepEqual(Object.keys(repo.tags ?? {}), ['v1']);
    assert.equal(repo.tags?.v1?.manifest_digest, digest);
    assert.ok((repo.tags?.v1?.size ?? 0) > 0);
    const without = (await w.call('anonymous', 'GET', '/api/v1/repository/acme/tagged?includeTags=false')).json<RepoJson>();
    assert.equal(without.tags, undefined);
  });

  test('list: a namespace shows what the caller may see; public=true adds public repositories; one filter is required', async (w) => {
    await w.repository('alice/list-private', 'private');
    await w.repository('alice/list-public', 'public', 'open');
    const names = async (who: 'alice' | 'bob' | 'anonymous', query: string) => {
      const res = await w.call(who, 'GET', `/api/v1/repository?${query}`);
      assert.equal(res.status, 200, res.body.toString());
      return res.json<ListJson>().repositories.map((r) => `${r.namespace}/${r.name}`).filter((n) => n.startsWith('alice/list-'));
    };
    assert.deepEqual(await names('alice', 'namespace=alice'), ['alice/list-private', 'alice/list-public']);
    assert.deepEqual(await names('bob', 'namespace=alice'), ['alice/list-public']);
    assert.deepEqual(await names('anonymous', 'namespace=alice'), ['alice/list-public']);
    assert.deepEqual(await names('anonymous', 'public=true'), ['alice/list-public']);
    const item = (await w.call('bob', 'GET', '/api/v1/repository?namespace=alice&last_modified=true')).json<ListJson>().repositories.find((r) => r.name === 'list-public');
    assert.deepEqual({ ...item, last_modified: typeof item?.last_modified }, { namespace: 'alice', name: 'list-public', description: 'open', is_public: true, kind: 'image', state: 'NORMAL', last_modified: 'number' });
    const none = await w.call('alice', 'GET', '/api/v1/repository');
    assert.equal(none.status, 400);
    assert.deepEqual((await w.call('alice', 'GET', '/api/v1/repository?starred=true')).json(), { repositories: [] });
    assert.equal((await w.call('anonymous', 'GET', '/api/v1/repository?starred=true')).status, 400);
  });

  test('list pages through next_page', async (w) => {
    for (let i = 0; i < 105; i++) await w.repository(`alice/page-${String(i).padStart(3, '0')}`);
    const seen: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const query = `namespace=alice${next ? `&next_page=${encodeURIComponent(next)}` : ''}`;
      const page = (await w.call('alice', 'GET', `/api/v1/repository?${query}`)).json<ListJson>();
      assert.ok(page.repositories.length <= 100);
      seen.push(...page.repositories.map((r) => r.name));
      next = page.next_page;
      pages++;
    } while (next !== undefined && pages < 10);
    assert.equal(pages, 2);
    const paged = seen.filter((n) => n.startsWith('page-'));
    assert.equal(paged.length, 105);
    assert.equal(new Set(seen).size, seen.length);
  });

  test('update: writers change the description, readers and strangers cannot', async (w) => {
    const repo = await w.repository('acme/described', 'private', 'before');
    const stores = w.registry.app.metadata.stores;
    await stores.permissions.set(repo.id, { kind: 'user', id: w.ids.carol }, 'read');
    await stores.permissions.set(repo.id, { kind: 'user', id: w.ids.dave }, 'write');
    assert.equal((await w.call('bob', 'PUT', '/api/v1/repository/acme/described', { description: 'x' })).status, 404);
    assert.equal((await w.call('carol', 'PUT', '/api/v1/repository/acme/described', { description: 'x' })).status, 403);
    assert.equal((await w.call('anonymous', 'PUT', '/api/v1/repository/acme/described', { description: 'x' })).status, 401);
    assert.equal((await w.call('dave', 'PUT', '/api/v1/repository/acme/described', {})).status, 400);
    const ok = await w.call('dave', 'PUT', '/api/v1/repository/acme/described', { description: 'after' });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json(), { success: true });
    assert.equal((await stores.repositoryAdmin.findDetail('acme/described'))?.description, 'after');
  });

  test('changevisibility: admin only, and it takes effect for anonymous and strangers', async (w) => {
    const repo = await w.repository('acme/flip', 'private');
    await w.registry.app.metadata.stores.permissions.set(repo.id, { kind: 'user', id: w.ids.dave }, 'write');
    assert.equal((await w.call('dave', 'POST', '/api/v1/repository/acme/flip/changevisibility', { visibility: 'public' })).status, 403);
    assert.equal((await w.call('bob', 'POST', '/api/v1/repository/acme/flip/changevisibility', { visibility: 'public' })).status, 404);
    assert.equal((await w.call('frank', 'POST', '/api/v1/repository/acme/flip/changevisibility', { visibility: 'open' })).status, 400);
    assert.equal((await w.call('anonymous', 'GET', '/api/v1/repository/acme/flip')).status, 404);
    assert.equal((await w.call('frank', 'POST', '/api/v1/repository/acme/flip/changevisibility', { visibility: 'public' })).status, 200);
    const seen = await w.call('anonymous', 'GET', '/api/v1/repository/acme/flip');
    assert.equal(seen.status, 200);
    assert.equal(seen.json<RepoJson>().is_public, true);
    assert.equal((await w.call('bob', 'GET', '/api/v1/repository/acme/flip')).json<RepoJson>().can_write, false);
    assert.equal((await w.call('frank', 'POST', '/api/v1/repository/acme/flip/changevisibility', { visibility: 'private' })).status, 200);
    assert.equal((await w.call('anonymous', 'GET', '/api/v1/repository/acme/flip')).status, 404);
    assert.equal((await w.call('bob', 'GET', '/api/v1/repository/acme/flip')).status, 404);
  });

  test('delete: admin only; the repository, its tags and its permissions are gone', async (w) => {
    const repo = await w.repository('acme/doomed', 'private');
    const stores = w.registry.app.metadata.stores;
    await stores.permissions.set(repo.id, { kind: 'user', id: w.ids.dave }, 'write');
    await w.push('acme/doomed', 'v1', 'doomed');
    assert.equal((await w.call('dave', 'DELETE', '/api/v1/repository/acme/doomed')).status, 403);
    assert.equal((await w.call('bob', 'DELETE', '/api/v1/repository/acme/doomed')).status, 404);
    const res = await w.call('frank', 'DELETE', '/api/v1/repository/acme/doomed');
    assert.equal(res.status, 204);
    assert.equal(res.body.length, 0);
    assert.equal((await w.call('frank', 'GET', '/api/v1/repository/acme/doomed')).status, 404);
    assert.equal(await stores.repositoryAdmin.findDetail('acme/doomed'), undefined);
    assert.deepEqual(await stores.permissions.list(repo.id), []);
    assert.equal((await w.call('frank', 'DELETE', '/api/v1/repository/acme/doomed')).status, 404);
    const logs = (await w.call('frank', 'GET', '/api/v1/organization/acme/logs')).json<{ logs: { kind: string; metadata: unknown; performer?: { name: string } }[] }>().logs;
    const entry = logs.find((l) => l.kind === 'delete_repo');
    assert.deepEqual([entry?.metadata, entry?.performer?.name], [{ repo: 'doomed', namespace: 'acme' }, 'frank']);
  });

  test('malformed repository names in the path are 400', async (w) => {
    const res = await w.call('frank', 'GET', '/api/v1/repository/acme/UPPER');
    assert.equal(res.status, 400);
    assert.equal(errorType(res), 'invalid_request');
  });
});

onEachDialect(
  'repository API with FEATURE_ANONYMOUS_ACCESS off',
  (test) => {
    test('anonymous callers see no public repository, in listings, search or by name', async (w) => {
      await w.repository('alice/shown', 'public');
      assert.deepEqual((await w.call('anonymous', 'GET', '/api/v1/repository?public=true')).json(), { repositories: [] });
      assert.deepEqual((await w.call('anonymous', 'GET', '/api/v1/repository?namespace=alice')).json(), { repositories: [] });
      assert.equal((await w.call('anonymous', 'GET', '/api/v1/repository/alice/shown')).status, 404);
      assert.equal((await w.call('anonymous', 'GET', '/api/v1/find/repositories?query=shown')).json<{ results: unknown[] }>().results.length, 0);
      // Signed-in users still see it.
      assert.equal((await w.call('bob', 'GET', '/api/v1/repository/alice/shown')).status, 200);
      assert.equal((await w.call('bob', 'GET', '/api/v1/find/repositories?query=shown')).json<{ results: unknown[] }>().results.length, 1);
    });
  },
  { anonymousAccess: false },
);
