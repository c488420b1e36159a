/** /api/v1/repository/{repository}/permissions: users, robots and teams, over HTTP on a real server. */
import assert from 'node:assert/strict';
import { errorType, onEachDialect } from './repositories-fixture.js';

type Permissions = { permissions: Record<string, { role: string; name: string; is_robot?: boolean; is_org_member?: boolean }> };

onEachDialect('permission API', (test) => {
  test('granting a user read makes the repository readable to them; write lets them push tags; removal closes it again', async (w) => {
    await w.repository('alice/shared', 'private');
    const digest = await w.push('alice/shared', 'v1', 'shared');
    assert.equal((await w.call('bob', 'GET', '/api/v1/repository/alice/shared')).status, 404);

    const granted = await w.call('alice', 'PUT', '/api/v1/repository/alice/shared/permissions/user/bob', { role: 'read' });
    assert.equal(granted.status, 200, granted.body.toString());
    // alice is a user namespace: no is_org_member (Quay adds it only for organizations).
    assert.deepEqual(granted.json(), { role: 'read', name: 'bob', is_robot: false });
    assert.equal((await w.call('bob', 'GET', '/api/v1/repository/alice/shared')).status, 200);
    assert.equal((await w.call('bob', 'PUT', '/api/v1/repository/alice/shared/tag/v2', { manifest_digest: digest })).status, 403);

    assert.equal((await w.call('alice', 'PUT', '/api/v1/repository/alice/shared/permissions/user/bob', { role: 'write' })).status, 200);
    assert.equal((await w.call('bob', 'PUT', '/api/v1/repository/alice/shared/tag/v2', { manifest_digest: digest })).status, 201);
    assert.deepEqual((await w.call('alice', 'GET', '/api/v1/repository/alice/shared/permissions/user/bob')).json(), { role: 'write', name: 'bob', is_robot: false });
    assert.deepEqual((await w.call('alice', 'GET', '/api/v1/repository/alice/shared/permissions/user/')).json<Permissions>(), {
      permissions: { bob: { role: 'write', name: 'bob', is_robot: false } },
    });
    // Writers do not administer: permissions stay hidden from them.
    assert.equal((await w.call('bob', 'GET', '/api/v1/repository/alice/shared/permissions/user/')).status, 403);

    assert.equal((await w.call('alice', 'DELETE', '/api/v1/repository/alice/shared/permissions/user/bob')).status, 204);
    assert.equal((await w.call('bob', 'GET', '/api/v1/repository/alice/shared')).status, 404);
    assert.equal((await w.call('alice', 'GET', '/api/v1/repository/alice/shared/permissions/user/bob')).status, 404);
    assert.equal((await w.call('alice', 'DELETE', '/api/v1/repository/alice/shared/permissions/user/bob')).status, 404);
  });

  test('robots are named namespace+short in the user endpoints; only robots of the namespace can be granted', async (w) => {
    await w.repository('acme/robot-target', 'private');
    const digest = await w.push('acme/robot-target', 'v1', 'robot-target');
    const res = await w.call('frank', 'PUT', `/api/v1/repository/acme/robot-target/permissions/user/${w.robotName}`, { role: 'write' });
    assert.equal(res.status, 200, res.body.toString());
    assert.deepEqual(res.json(), { role: 'write', name: 'acme+ci', is_robot: true, is_org_member: true });
    assert.equal((await w.call('robot', 'PUT', '/api/v1/repository/acme/robot-target/tag/ci', { manifest_digest: digest })).status, 201);
    // A robot cannot reach further than its grant.
    assert.equal((await w.call('robot', 'GET', '/api/v1/repository/acme/robot-target/permissions/user/')).status, 403);
    assert.equal((await w.call('robot', 'DELETE', '/api/v1/repository/acme/robot-target')).status, 403);

    await w.repository('alice/robots');
    const foreign = await w.call('alice', 'PUT', '/api/v1/repository/alice/robots/permissions/user/acme+ci', { role: 'read' });
    assert.equal(foreign.status, 400);
    assert.equal(errorType(foreign), 'invalid_request');
    assert.deepEqual((await w.call('alice', 'GET', '/api/v1/repository/alice/robots/permissions/user/')).json(), { permissions: {} });
  });

  test('user permissions in an organization say whether the user is a member; the list shows users and robots', async (w) => {
    await w.repository('acme/members', 'private');
    assert.equal((await w.call('frank', 'PUT', '/api/v1/repository/acme/members/permissions/user/carol', { role: 'read' })).status, 200);
    assert.equal((await w.call('frank', 'PUT', '/api/v1/repository/acme/members/permissions/user/bob', { role: 'admin' })).status, 200);
    assert.equal((await w.call('frank', 'PUT', '/api/v1/repository/acme/members/permissions/user/acme+ci', { role: 'read' })).status, 200);
    assert.deepEqual((await w.call('frank', 'GET', '/api/v1/repository/acme/members/permissions/user/')).json<Permissions>(), {
      permissions: {
        'acme+ci': { role: 'read', name: 'acme+ci', is_robot: true, is_org_member: true },
        bob: { role: 'admin', name: 'bob', is_robot: false, is_org_member: false },
        carol: { role: 'read', name: 'carol', is_robot: false, is_org_member: true },
      },
    });
    // bob, now admin of the repository, manages its permissions.
    assert.equal((await w.call('bob', 'DELETE', '/api/v1/repository/acme/members/permissions/user/carol')).status, 204);
  });

  test('bad input is 400 and changes nothing: unknown users, bad roles', async (w) => {
    await w.repository('acme/strict-perms', 'private');
    const cases: [string, unknown][] = [
      ['nobody', { role: 'read' }],
      ['acme+missing', { role: 'read' }],
      ['carol', { role: 'owner' }],
      ['carol', {}],
    ];
    for (const [user, body] of cases) {
      const res = await w.call('frank', 'PUT', `/api/v1/repository/acme/strict-perms/permissions/user/${user}`, body);
      assert.equal(res.status, 400, `${user} ${JSON.stringify(body)}`);
    }
    assert.deepEqual((await w.call('frank', 'GET', '/api/v1/repository/acme/strict-perms/permissions/user/')).json(), { permissions: {} });
  });

  test('team permissions: teams of the organization only; a granted team reaches the repository', async (w) => {
    await w.repository('acme/team-repo', 'private');
    assert.equal((await w.call('carol', 'GET', '/api/v1/repository/acme/team-repo')).status, 404);
    const res = await w.call('frank', 'PUT', '/api/v1/repository/acme/team-repo/permissions/team/readers', { role: 'read' });
    assert.equal(res.status, 200, res.body.toString());
    assert.deepEqual(res.json(), { role: 'read', name: 'readers' });
    assert.equal((await w.call('carol', 'GET', '/api/v1/repository/acme/team-repo')).status, 200);
    assert.deepEqual((await w.call('frank', 'GET', '/api/v1/repository/acme/team-repo/permissions/team/')).json(), { permissions: { readers: { role: 'read', name: 'readers' } } });
    assert.deepEqual((await w.call('frank', 'GET', '/api/v1/repository/acme/team-repo/permissions/team/readers')).json(), { role: 'read', name: 'readers' });
    assert.equal((await w.call('frank', 'GET', '/api/v1/repository/acme/team-repo/permissions/team/builders')).status, 404);
    assert.equal((await w.call('frank', 'PUT', '/api/v1/repository/acme/team-repo/permissions/team/nosuch', { role: 'read' })).status, 400);
    assert.equal((await w.call('carol', 'GET', '/api/v1/repository/acme/team-repo/permissions/team/')).status, 403);
    assert.equal((await w.call('frank', 'DELETE', '/api/v1/repository/acme/team-repo/permissions/team/readers')).status, 204);
    assert.equal((await w.call('carol', 'GET', '/api/v1/repository/acme/team-repo')).status, 404);
    // A user's repository has no teams.
    await w.repository('alice/no-teams');
    assert.equal((await w.call('alice', 'PUT', '/api/v1/repository/alice/no-teams/permissions/team/readers', { role: 'read' })).status, 400);
  });

  test('strangers cannot tell a private repository exists through the permission endpoints', async (w) => {
    await w.repository('acme/quiet', 'private');
    for (const path of ['/permissions/user/', '/permissions/user/bob', '/permissions/team/', '/permissions/team/readers']) {
      assert.equal((await w.call('bob', 'GET', `/api/v1/repository/acme/quiet${path}`)).status, 404, path);
      assert.equal((await w.call('anonymous', 'GET', `/api/v1/repository/acme/quiet${path}`)).status, 401, path);
    }
    assert.equal((await w.call('bob', 'PUT', '/api/v1/repository/acme/quiet/permissions/user/bob', { role: 'admin' })).status, 404);
  });

  test('every change is in the audit log with Quay kinds and metadata', async (w) => {
    await w.repository('acme/audited-perms', 'private');
    await w.call('frank', 'PUT', '/api/v1/repository/acme/audited-perms/permissions/user/dave', { role: 'write' });
    await w.call('frank', 'PUT', '/api/v1/repository/acme/audited-perms/permissions/team/readers', { role: 'read' });
    await w.call('frank', 'DELETE', '/api/v1/repository/acme/audited-perms/permissions/user/dave');
    await w.call('frank', 'DELETE', '/api/v1/repository/acme/audited-perms/permissions/team/readers');
    const logs = (await w.call('frank', 'GET', '/api/v1/repository/acme/audited-perms/logs')).json<{ logs: { kind: string; metadata: unknown }[] }>().logs;
    assert.deepEqual(
      logs.map((l) => [l.kind, l.metadata]),
      [
        ['delete_repo_permission', { team: 'readers', repo: 'audited-perms', namespace: 'acme' }],
        ['delete_repo_permission', { username: 'dave', repo: 'audited-perms', namespace: 'acme' }],
        ['change_repo_permission', { team: 'readers', repo: 'audited-perms', namespace: 'acme', role: 'read' }],
        ['change_repo_permission', { username: 'dave', repo: 'audited-perms', namespace: 'acme', role: 'write' }],
      ],
    );
  });
});
