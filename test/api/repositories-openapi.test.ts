/** The OpenAPI document as the running server serves it, at Quay's discovery path and at /api/v1/openapi.json. */
import assert from 'node:assert/strict';
import { onEachDialect } from './repositories-fixture.js';

type Document = { openapi: string; paths: Record<string, Record<string, { operationId: string; parameters: { name: string; in: string }[] }>> };

onEachDialect('OpenAPI document over HTTP', (test) => {
  test('served to anyone, the same at both paths, listing the repository, tag, permission, log and superuser endpoints', async (w) => {
    const discovery = await w.call('anonymous', 'GET', '/api/v1/discovery');
    assert.equal(discovery.status, 200);
    assert.match(discovery.headers['content-type'] ?? '', /application\/json/);
    const openapi = await w.call('bob', 'GET', '/api/v1/openapi.json');
    assert.deepEqual(openapi.json(), discovery.json());
    const doc = discovery.json<Document>();
    assert.equal(doc.openapi, '3.1.0');
    const operations = new Map(Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => [op.operationId, `${method.toUpperCase()} ${path}`])));
    const expected: Record<string, string> = {
      createRepo: 'POST /api/v1/repository',
      listRepos: 'GET /api/v1/repository',
      getRepo: 'GET /api/v1/repository/{repository}',
      updateRepo: 'PUT /api/v1/repository/{repository}',
      changeRepoVisibility: 'POST /api/v1/repository/{repository}/changevisibility',
      deleteRepository: 'DELETE /api/v1/repository/{repository}',
      conductRepoSearch: 'GET /api/v1/find/repositories',
      listRepoTags: 'GET /api/v1/repository/{repository}/tag/',
      changeTag: 'PUT /api/v1/repository/{repository}/tag/{tag}',
      deleteFullTag: 'DELETE /api/v1/repository/{repository}/tag/{tag}',
      restoreTag: 'POST /api/v1/repository/{repository}/tag/{tag}/restore',
      listRepoUserPermissions: 'GET /api/v1/repository/{repository}/permissions/user/',
      changeUserPermissions: 'PUT /api/v1/repository/{repository}/permissions/user/{username}',
      listRepoTeamPermissions: 'GET /api/v1/repository/{repository}/permissions/team/',
      deleteTeamPermissions: 'DELETE /api/v1/repository/{repository}/permissions/team/{teamname}',
      listRepoLogs: 'GET /api/v1/repository/{repository}/logs',
      listOrgLogs: 'GET /api/v1/organization/{orgname}/logs',
      listUserLogs: 'GET /api/v1/user/logs',
      listAllLogs: 'GET /api/v1/superuser/logs',
      listStorageLocations: 'GET /api/v1/superuser/storage/locations',
      getReplicationStatus: 'GET /api/v1/superuser/replication',
      discovery: 'GET /api/v1/discovery',
    };
    for (const [id, endpoint] of Object.entries(expected)) assert.equal(operations.get(id), endpoint, id);
    const tagParams = doc.paths['/api/v1/repository/{repository}/tag/{tag}']?.put?.parameters.map((p) => `${p.in}:${p.name}`);
    assert.deepEqual(tagParams, ['path:repository', 'path:tag']);
  });
});
