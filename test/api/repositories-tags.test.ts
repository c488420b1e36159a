/** /api/v1/repository/{repository}/tag: history, create/move, delete, restore, over HTTP on a real server. */
import assert from 'node:assert/strict';
import { errorType, onEachDialect, RFC2822, type World } from './repositories-fixture.js';

interface TagJson {
  name: string;
  manifest_digest: string;
  is_manifest_list: boolean;
  size: number;
  last_modified: string;
  start_ts: number;
  end_ts?: number;
  expiration?: string;
}

interface HistoryJson {
  tags: TagJson[];
  page: number;
  has_additional: boolean;
}

/** What /v2 serves for the tag: the manifest digest, or the status when it does not resolve. */
async function resolved(w: World, repository: string, tag: string): Promise<string | number> {
  const res = await w.call('root', 'GET', `/api/v1/repository/${repository}/tag/?specificTag=${tag}&onlyActiveTags=true`);
  const current = res.json<HistoryJson>().tags[0];
  // Cross-check with the registry API itself.
  const head = await w.v2('HEAD', `/v2/${repository}/manifests/${tag}`);
  if (current === undefined) return head.status;
  assert.equal(head.headers['docker-content-digest'], current.manifest_digest);
  return current.manifest_digest;
}

async function tagged(w: World, name: string): Promise<{ one: string; two: string }> {
  await w.repository(name, 'public');
  const one = await w.push(name, 'latest', `${name}-one`);
  const two = await w.push(name, 'latest', `${name}-two`);
  return { one, two };
}

onEachDialect('tag API', (test) => {
  test('history lists current and ended lifetimes, newest first, with Quay fields', async (w) => {
    const { one, two } = await tagged(w, 'acme/history');
    const res = await w.call('anonymous', 'GET', '/api/v1/repository/acme/history/tag/');
    assert.equal(res.status, 200, res.body.toString());
    const history = res.json<HistoryJson>();
    assert.equal(history.page, 1);
    assert.equal(history.has_additional, false);
    assert.deepEqual(history.tags.map((t) => [t.name, t.manifest_digest, t.end_ts === undefined]), [
      ['latest', two, true],
      ['latest', one, false],
    ]);
    const [current, ended] = history.tags as [TagJson, TagJson];
    assert.match(current.last_modified, RFC2822);
    assert.equal(current.is_manifest_list, false);
    assert.ok(current.size > 0);
    assert.ok(Math.abs(current.start_ts - Date.now() / 1000) < 600);
    assert.match(ended.expiration ?? '', RFC2822);
    assert.ok((ended.end_ts ?? 0) >= ended.start_ts);
    const active = (await w.call('anonymous', 'GET', '/api/v1/repository/acme/history/tag/?onlyActiveTags=true')).json<HistoryJson>();
    assert.deepEqual(active.tags.map((t) => t.manifest_digest), [two]);
    const paged = (await w.call('anonymous', 'GET', '/api/v1/repository/acme/history/tag/?limit=1&page=1')).json<HistoryJson>();
    assert.deepEqual([paged.tags.length, paged.has_additional], [1, true]);
    const second = (await w.call('anonymous', 'GET', '/api/v1/repository/acme/history/tag/?limit=1&page=2')).json<HistoryJson>();
    assert.deepEqual([second.tags[0]?.manifest_digest, second.page, second.has_additional], [one, 2, false]);
    assert.equal((await w.call('anonymous', 'GET', '/api/v1/repository/acme/history/tag/?specificTag=other')).json<HistoryJson>().tags.length, 0);
    assert.equal((await w.call('anonymous', 'GET', '/api/v1/repository/acme/history/tag/?specificTag=bad%20tag')).status, 400);
    assert.equal((await w.call('anonymous', 'GET', '/api/v1/repository/acme/history/tag/?limit=0')).status, 400);
  });

  test('reading the tags of a private repository needs read', async (w) => {
    await w.repository('acme/private-tags', 'private');
    await w.push('acme/private-tags', 'v1', 'private-tags');
    for (const who of ['anonymous', 'bob', 'carol'] as const) assert.equal((await w.call(who, 'GET', '/api/v1/repository/acme/private-tags/tag/')).status, 404, who);
    assert.equal((await w.call('frank', 'GET', '/api/v1/repository/acme/private-tags/tag/')).json<HistoryJson>().tags.length, 1);
  });

  test('PUT creates a tag, then moves it; /v2 serves the new target', async (w) => {
    const { one, two } = await tagged(w, 'acme/moves');
    const created = await w.call('frank', 'PUT', '/api/v1/repository/acme/moves/tag/stable', { manifest_digest: one });
    assert.equal(created.status, 201, created.body.toString());
    assert.equal(await resolved(w, 'acme/moves', 'stable'), one);
    assert.equal((await w.call('frank', 'PUT', '/api/v1/repository/acme/moves/tag/stable', { manifest_digest: two })).status, 201);
    assert.equal(await resolved(w, 'acme/moves', 'stable'), two);
    const kinds = (await w.call('frank', 'GET', '/api/v1/repository/acme/moves/logs')).json<{ logs: { kind: string; metadata: Record<string, unknown> }[] }>().logs;
    const move = kinds.find((l) => l.kind === 'move_tag');
    assert.deepEqual(move?.metadata, { username: 'frank', repo: 'moves', namespace: 'acme', tag: 'stable', manifest_digest: two, original_manifest_digest: one });
    assert.ok(kinds.some((l) => l.kind === 'create_tag' && l.metadata.manifest_digest === one));
  });

  test('PUT refuses bad input and unknown manifests, changing nothing', async (w) => {
    const { one } = await tagged(w, 'acme/strict');
    const missing = `sha256:${'0'.repeat(64)}`;
    const bad: [string, unknown, number][] = [
      ['bad%20tag', { manifest_digest: one }, 400],
      ['.dot', { manifest_digest: one }, 400],
      ['ok', { manifest_digest: 'sha256:abc' }, 400],
      ['ok', {}, 400],
      ['ok', { manifest_digest: missing }, 404],
    ];
    for (const [tag, body, status] of bad) {
      const res = await w.call('frank', 'PUT', `/api/v1/repository/acme/strict/tag/${tag}`, body);
      assert.equal(res.status, status, `${tag} ${JSON.stringify(body)}: ${res.body.toString()}`);
    }
    assert.equal(await resolved(w, 'acme/strict', 'ok'), 404);
    // A manifest of another repository is not this one's.
    const elsewhere = await w.push('acme/history-elsewhere', 'v1', 'elsewhere');
    assert.equal((await w.call('frank', 'PUT', '/api/v1/repository/acme/strict/tag/ok', { manifest_digest: elsewhere })).status, 404);
  });

  test('changing tags needs write: readers get 403, strangers 404, anonymous 401', async (w) => {
    const repo = await w.repository('acme/guarded', 'private');
    const digest = await w.push('acme/guarded', 'v1', 'guarded');
    const stores = w.registry.app.metadata.stores;
    await stores.permissions.set(repo.id, { kind: 'user', id: w.ids.carol }, 'read');
    await stores.permissions.set(repo.id, { kind: 'robot', id: w.ids.robot }, 'write');
    const body = { manifest_digest: digest };
    assert.equal((await w.call('anonymous', 'PUT', '/api/v1/repository/acme/guarded/tag/v2', body)).status, 401);
    assert.equal((await w.call('bob', 'PUT', '/api/v1/repository/acme/guarded/tag/v2', body)).status, 404);
    const reader = await w.call('carol', 'PUT', '/api/v1/repository/acme/guarded/tag/v2', body);
    assert.equal(reader.status, 403);
    assert.equal(errorType(reader), 'insufficient_scope');
    assert.equal((await w.call('carol', 'DELETE', '/api/v1/repository/acme/guarded/tag/v1')).status, 403);
    assert.equal((await w.call('carol', 'POST', '/api/v1/repository/acme/guarded/tag/v1/restore', body)).status, 403);
    assert.equal((await w.call('robot', 'PUT', '/api/v1/repository/acme/guarded/tag/v2', body)).status, 201);
    const history = (await w.call('carol', 'GET', '/api/v1/repository/acme/guarded/tag/?onlyActiveTags=true')).json<HistoryJson>();
    assert.deepEqual(history.tags.map((t) => t.name).sort(), ['v1', 'v2']);
  });

  test('DELETE ends the tag (204), keeps its history; restore brings it back', async (w) => {
    const { one, two } = await tagged(w, 'acme/undo');
    const gone = await w.call('frank', 'DELETE', '/api/v1/repository/acme/undo/tag/latest');
    assert.equal(gone.status, 204);
    assert.equal(await resolved(w, 'acme/undo', 'latest'), 404);
    assert.equal((await w.call('frank', 'DELETE', '/api/v1/repository/acme/undo/tag/latest')).status, 404);
    const history = (await w.call('frank', 'GET', '/api/v1/repository/acme/undo/tag/?specificTag=latest')).json<HistoryJson>();
    assert.deepEqual(history.tags.map((t) => [t.manifest_digest, t.end_ts !== undefined]), [
      [two, true],
      [one, true],
    ]);
    const restored = await w.call('frank', 'POST', '/api/v1/repository/acme/undo/tag/latest/restore', { manifest_digest: one });
    assert.equal(restored.status, 200, restored.body.toString());
    assert.deepEqual(restored.json(), {});
    assert.equal(await resolved(w, 'acme/undo', 'latest'), one);
    assert.equal((await w.call('frank', 'POST', '/api/v1/repository/acme/undo/tag/latest/restore', { manifest_digest: `sha256:${'1'.repeat(64)}` })).status, 404);
    assert.equal((await w.call('frank', 'POST', '/api/v1/repository/acme/undo/tag/latest/restore', {})).status, 400);
    assert.equal(await resolved(w, 'acme/undo', 'latest'), one);
    const logs = (await w.call('frank', 'GET', '/api/v1/repository/acme/undo/logs')).json<{ logs: { kind: string; metadata: Record<string, unknown> }[] }>().logs;
    assert.deepEqual(
      logs.filter((l) => l.kind === 'delete_tag' || l.kind === 'revert_tag').map((l) => [l.kind, l.metadata.tag, l.metadata.manifest_digest]),
      [
        ['revert_tag', 'latest', one],
        ['delete_tag', 'latest', two],
      ],
    );
  });
});
