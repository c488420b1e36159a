/** Superuser storage views: configured locations and replication status, over HTTP on a real server. */
import assert from 'node:assert/strict';
import { replicationStatusView } from '../../src/management/storage-views.js';
import { onEachDialect } from './repositories-fixture.js';

onEachDialect('superuser storage views', (test) => {
  test('storage locations: the configured location in preference order, with its default flag and health', async (w) => {
    const res = await w.call('root', 'GET', '/api/v1/superuser/storage/locations');
    assert.equal(res.status, 200, res.body.toString());
    const id = w.registry.app.locations.all()[0]?.id;
    assert.deepEqual(res.json(), { locations: [{ id, name: 'local', driver: 'LocalStorage', preference: 1, is_default: false, healthy: true }] });
    // The embedded config names no DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS.
    assert.deepEqual(w.registry.config.storage.defaultLocations, []);
    w.registry.app.locations.health.markFailed(id as number);
    try {
      const failed = await w.call('root', 'GET', '/api/v1/superuser/storage/locations');
      assert.equal(failed.json<{ locations: { healthy: boolean }[] }>().locations[0]?.healthy, false);
    } finally {
      w.registry.app.locations.health.markHealthy(id as number);
    }
  });

  test('replication status has the fields of `wharf replication status --json`', async (w) => {
    await w.repository('acme/replicated', 'private');
    await w.push('acme/replicated', 'v1', 'replicated');
    const res = await w.call('root', 'GET', '/api/v1/superuser/replication');
    assert.equal(res.status, 200, res.body.toString());
    const defaults = w.registry.config.storage.defaultLocations.map((name) => w.registry.app.locations.byName(name)?.id as number);
    const expected = replicationStatusView(await w.registry.app.metadata.stores.replication.status(defaults));
    assert.deepEqual(res.json(), JSON.parse(JSON.stringify(expected)));
    const body = res.json<{ locations: { name: string; present: number; missing: number }[]; converged: boolean }>();
    assert.deepEqual(body.locations.map((l) => [l.name, l.present >= 2, l.missing]), [['local', true, 0]]);
    assert.equal(body.converged, true);
  });

  test('only superusers: others 403, anonymous 401', async (w) => {
    for (const path of ['/api/v1/superuser/storage/locations', '/api/v1/superuser/replication']) {
      for (const who of ['frank', 'alice', 'robot'] as const) assert.equal((await w.call(who, 'GET', path)).status, 403, `${who} ${path}`);
      assert.equal((await w.call('anonymous', 'GET', path)).status, 401, path);
    }
  });
});
