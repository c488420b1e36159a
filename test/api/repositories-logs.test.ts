/** The audit log endpoints: repository, organization, user and superuser logs, over HTTP on a real server. */
import assert from 'node:assert/strict';
import { errorType, onEachDialect, RFC2822 } from './repositories-fixture.js';

interface LogsJson {
  start_time: string;
  end_time: string;
  logs: { kind: string; metadata: Record<string, unknown>; ip: string | null; datetime: string; performer?: { kind: string; name: string; is_robot: boolean }; namespace?: { kind?: string; name: string } }[];
  next_page?: string;
}

/** Today as Quay's MM/DD/YYYY (UTC), shifted by `days`. */
function day(days = 0): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return `${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}/${d.getUTCFullYear()}`;
}

onEachDialect('audit log API', (test) => {
  test('every repository write through the API is readable in the repository log, newest first', async (w) => {
    assert.equal((await w.call('frank', 'POST', '/api/v1/repository', { namespace: 'acme', repository: 'logged', visibility: 'private', description: 'one' })).status, 201);
    await w.call('frank', 'PUT', '/api/v1/repository/acme/logged', { description: 'two' });
    await w.call('frank', 'POST', '/api/v1/repository/acme/logged/changevisibility', { visibility: 'public' });
    const res = await w.call('frank', 'GET', '/api/v1/repository/acme/logged/logs');
    assert.equal(res.status, 200, res.body.toString());
    const page = res.json<LogsJson>();
    assert.match(page.start_time, RFC2822);
    assert.match(page.end_time, RFC2822);
    assert.equal(page.next_page, undefined);
    assert.deepEqual(
      page.logs.map((l) => [l.kind, l.metadata]),
      [
        ['change_repo_visibility', { repo: 'logged', namespace: 'acme', visibility: 'public' }],
        ['set_repo_description', { repo: 'logged', namespace: 'acme', description: 'two' }],
        ['create_repo', { repo: 'logged', namespace: 'acme' }],
      ],
    );
    const entry = page.logs[0]!;
    assert.deepEqual(entry.performer, { kind: 'user', name: 'frank', is_robot: false });
    assert.equal(entry.ip, '127.0.0.1');
    assert.match(entry.datetime, RFC2822);
    assert.equal(entry.namespace, undefined);
  });

  test('repository logs are for its admins; organization logs for organization admins', async (w) => {
    const repo = await w.repository('acme/log-guard', 'public');
    await w.registry.app.metadata.stores.permissions.set(repo.id, { kind: 'user', id: w.ids.dave }, 'write');
    await w.call('frank', 'PUT', '/api/v1/repository/acme/log-guard', { description: 'x' });
    assert.equal((await w.call('anonymous', 'GET', '/api/v1/repository/acme/log-guard/logs')).status, 401);
    assert.equal((await w.call('bob', 'GET', '/api/v1/repository/acme/log-guard/logs')).status, 403);
    assert.equal((await w.call('dave', 'GET', '/api/v1/repository/acme/log-guard/logs')).status, 403);
    await w.repository('acme/log-hidden', 'private');
    assert.equal((await w.call('bob', 'GET', '/api/v1/repository/acme/log-hidden/logs')).status, 404);

    const org = await w.call('frank', 'GET', '/api/v1/organization/acme/logs');
    assert.equal(org.status, 200);
    assert.ok(org.json<LogsJson>().logs.some((l) => l.kind === 'set_repo_description' && l.metadata.repo === 'log-guard'));
    for (const who of ['carol', 'erin', 'bob', 'robot'] as const) {
      const res = await w.call(who, 'GET', '/api/v1/organization/acme/logs');
      assert.equal(res.status, 403, who);
      assert.equal(errorType(res), 'insufficient_scope');
    }
    assert.equal((await w.call('frank', 'GET', '/api/v1/organization/nosuchorg/logs')).status, 404);
    assert.equal((await w.call('frank', 'GET', '/api/v1/organization/alice/logs')).status, 404);
    assert.equal((await w.call('root', 'GET', '/api/v1/organization/acme/logs')).status, 200);
  });

  test("the user log shows the caller's own actions with their namespace; robots and anonymous callers are refused", async (w) => {
    await w.repository('alice/mine', 'private');
    await w.call('alice', 'PUT', '/api/v1/repository/alice/mine', { description: 'by alice' });
    assert.equal((await w.call('frank', 'POST', '/api/v1/repository', { namespace: 'acme', repository: 'by-frank', visibility: 'private', description: '' })).status, 201);
    const res = await w.call('alice', 'GET', '/api/v1/user/logs');
    assert.equal(res.status, 200);
    const logs = res.json<LogsJson>().logs;
    assert.ok(logs.length > 0);
    assert.ok(logs.every((l) => l.performer?.name === 'alice'));
    assert.deepEqual(logs.find((l) => l.kind === 'set_repo_description')?.namespace, { kind: 'user', name: 'alice' });
    assert.equal((await w.call('robot', 'GET', '/api/v1/user/logs')).status, 403);
    assert.equal((await w.call('anonymous', 'GET', '/api/v1/user/logs')).status, 401);
  });

  test('robot actions are attributed to the robot', async (w) => {
    const repo = await w.repository('acme/robot-log', 'private');
    await w.registry.app.metadata.stores.permissions.set(repo.id, { kind: 'robot', id: w.ids.robot }, 'write');
    assert.equal((await w.call('robot', 'PUT', '/api/v1/repository/acme/robot-log', { description: 'by the robot' })).status, 200);
    const entry = (await w.call('frank', 'GET', '/api/v1/repository/acme/robot-log/logs')).json<LogsJson>().logs[0];
    assert.deepEqual(entry?.performer, { kind: 'user', name: 'acme+ci', is_robot: true });
  });

  test('the superuser log holds everything, with namespaces; it is for superusers only', async (w) => {
    await w.call('frank', 'PUT', '/api/v1/repository/acme/log-guard', { description: 'again' });
    const res = await w.call('root', 'GET', '/api/v1/superuser/logs');
    assert.equal(res.status, 200);
    const logs = res.json<LogsJson>().logs;
    assert.ok(logs.some((l) => l.performer?.name === 'frank' && l.namespace?.kind === 'org' && l.namespace.name === 'acme'));
    assert.ok(logs.some((l) => l.performer?.name === 'alice'));
    assert.equal((await w.call('frank', 'GET', '/api/v1/superuser/logs')).status, 403);
    assert.equal((await w.call('anonymous', 'GET', '/api/v1/superuser/logs')).status, 401);
  });

  test('next_page walks the log without gaps or repeats; a window of days filters it', async (w) => {
    await w.repository('alice/many', 'private');
    for (let i = 0; i < 60; i++) assert.equal((await w.call('alice', 'PUT', '/api/v1/repository/alice/many', { description: `v${i}` })).status, 200);
    const seen: string[] = [];
    let next: string | undefined;
    let pages = 0;
    do {
      const res = await w.call('alice', 'GET', `/api/v1/repository/alice/many/logs${next ? `?next_page=${next}` : ''}`);
      assert.equal(res.status, 200, res.body.toString());
      const page = res.json<LogsJson>();
      seen.push(...page.logs.map((l) => String(l.metadata.description)));
      next = page.next_page;
      pages++;
    } while (next !== undefined && pages < 5);
    assert.equal(pages, 2);
    assert.deepEqual(seen, Array.from({ length: 60 }, (_, i) => `v${59 - i}`));

    const today = await w.call('alice', 'GET', `/api/v1/repository/alice/many/logs?starttime=${day(-1)}&endtime=${day(1)}`);
    assert.equal(today.json<LogsJson>().logs.length, 50);
    const past = await w.call('alice', 'GET', `/api/v1/repository/alice/many/logs?starttime=01/01/2001&endtime=01/31/2001`);
    assert.deepEqual(past.json<LogsJson>().logs, []);
    assert.equal(past.json<LogsJson>().next_page, undefined);
    assert.equal(past.json<LogsJson>().start_time, 'Mon, 01 Jan 2001 00:00:00 -0000');
    assert.equal(past.json<LogsJson>().end_time, 'Thu, 01 Feb 2001 00:00:00 -0000');
    const future = await w.call('alice', 'GET', `/api/v1/repository/alice/many/logs?starttime=${day(2)}`);
    assert.deepEqual(future.json<LogsJson>().logs, []);
    for (const query of ['starttime=2024-01-01', 'endtime=13/01/2024', 'starttime=02/30/2024', `starttime=${day(1)}&endtime=${day(-3)}`, 'next_page=abc', 'next_page=0']) {
      assert.equal((await w.call('alice', 'GET', `/api/v1/repository/alice/many/logs?${query}`)).status, 400, query);
    }
  });
});
