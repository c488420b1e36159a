import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { openMetadataStore } from '../../metadata/sql/metadata-store.js';
import { managementContext } from '../../../test/support/management.js';
import type { MetadataStore } from '../../metadata/store.js';
import { discoveryRoutes, openApiDocument } from './openapi.js';
import { repositoryRoutes } from './repository-routes.js';
import { type AnyApiRoute, apiRoute } from './route.js';

type Operation = {
  operationId: string;
  tags: string[];
  'x-wharf-access': string;
  security: object[];
  parameters: { name: string; in: string; required: boolean; schema: Record<string, unknown>; description?: string }[];
  requestBody?: { content: { 'application/json': { schema: Record<string, unknown> } } };
  responses: Record<string, unknown>;
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, unknown>> };

describe('OpenAPI document', () => {
  let dir: string;
  let metadata: MetadataStore;
  let routes: AnyApiRoute[];
  let document: Document;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-openapi-'));
    metadata = await openMetadataStore({ dialect: 'sqlite', path: join(dir, 'wharf.db') });
    const ctx = managementContext(metadata);
    const declared = repositoryRoutes(ctx);
    routes = [...declared, ...discoveryRoutes(declared)];
    // Through JSON, as clients receive it.
    document = JSON.parse(JSON.stringify(openApiDocument(routes))) as Document;
  });
  after(async () => {
    await metadata.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('is OpenAPI 3.1 with every declared route under its path and method, operation ids unique', () => {
    assert.equal(document.openapi, '3.1.0');
    const listed = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
    assert.deepEqual(listed.sort(), routes.map((r) => `${r.method} ${r.path}`).sort());
    const ids = routes.map((r) => document.paths[r.path]?.[r.method.toLowerCase()]?.operationId);
    assert.deepEqual(ids, routes.map((r) => r.operationId));
    assert.equal(new Set(ids).size, ids.length);
  });

  it('lists each path template variable as a required path parameter, and each query field as a query parameter', () => {
    for (const route of routes) {
      const op = document.paths[route.path]?.[route.method.toLowerCase()] as Operation;
      const pathParams = op.parameters.filter((p) => p.in === 'path');
      assert.deepEqual(
        pathParams.map((p) => p.name),
        [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
        route.path,
      );
      assert.ok(pathParams.every((p) => p.required && p.schema.type === 'string'), route.path);
      const queryNames = op.parameters.filter((p) => p.in === 'query').map((p) => p.name);
      const declared = route.query ? Object.keys((route.query as z.ZodObject).shape) : [];
      assert.deepEqual(queryNames, declared, `${route.method} ${route.path}`);
      assert.equal(op.requestBody !== undefined, route.body !== undefined, `${route.method} ${route.path}`);
      assert.ok(op.responses[String(route.successStatus ?? 200)], `${route.method} ${route.path}`);
      assert.equal(op['x-wharf-access'], route.access);
      assert.deepEqual(op.tags, [route.tag]);
    }
  });

  it('describes parameters and bodies with the zod schemas (input side)', () => {
    const listTags = document.paths['/api/v1/repository/{repository}/tag/']?.get as Operation;
    const limit = listTags.parameters.find((p) => p.name === 'limit');
    assert.deepEqual([limit?.required, limit?.schema.type, limit?.schema.minimum], [false, 'integer', 1]);
    assert.equal(listTags.parameters.find((p) => p.name === 'onlyActiveTags')?.schema.type, 'string');
    assert.match(listTags.parameters.find((p) => p.name === 'repository')?.description ?? '', /slashes/);

    const create = (document.paths['/api/v1/repository']?.post as Operation).requestBody?.content['application/json'].schema;
    assert.equal(create?.type, 'object');
    assert.deepEqual(create?.required, ['repository', 'visibility', 'description']);
    assert.deepEqual((create?.properties as Record<string, { enum?: string[] }>).visibility?.enum, ['public', 'private']);
    assert.equal(create?.$schema, undefined);

    const role = (document.paths['/api/v1/repository/{repository}/permissions/user/{username}']?.put as Operation).requestBody?.content['application/json'].schema;
    assert.deepEqual((role?.properties as Record<string, { enum?: string[] }>).role?.enum, ['read', 'write', 'admin']);
  });

  it('admits anonymous callers only on `anyone` routes, and references the error responses it defines', () => {
    for (const [path, ops] of Object.entries(document.paths)) {
      for (const op of Object.values(ops)) {
        assert.equal(op.security.some((s) => Object.keys(s).length === 0), op['x-wharf-access'] === 'anyone', path);
        for (const response of Object.values(op.responses) as { $ref?: string }[]) {
          if (response.$ref) assert.ok(document.components.responses?.[response.$ref.split('/').pop() as string], response.$ref);
        }
      }
    }
    assert.deepEqual(Object.keys(document.components.securitySchemes ?? {}).sort(), ['basicAuth', 'bearerAuth']);
  });

  it('the discovery routes serve the same document, which lists them too', async () => {
    const served = await Promise.all(
      routes
        .filter((r) => r.path === '/api/v1/discovery' || r.path === '/api/v1/openapi.json')
        .map((r) => r.handler({ principal: { kind: 'anonymous' }, actor: { principal: { kind: 'anonymous' }, ip: undefined }, params: {}, query: {}, body: undefined, request: undefined as never })),
    );
    assert.equal(served.length, 2);
    assert.deepEqual(JSON.parse(JSON.stringify(served[0]?.body)), document);
    assert.equal(served[0]?.body, served[1]?.body);
  });

  it('a route without schemas still documents its path variables', () => {
    const doc = openApiDocument([
      apiRoute({ method: 'GET', path: '/api/v1/things/{thing}', operationId: 'getThing', summary: 'A thing.', tag: 'things', access: 'user', handler: async () => ({ status: 200 }) }),
    ]) as Document;
    const op = doc.paths['/api/v1/things/{thing}']?.get as Operation;
    assert.deepEqual(op.parameters, [{ name: 'thing', in: 'path', required: true, description: 'thing.', schema: { type: 'string' } }]);
    assert.deepEqual(op.security, [{ bearerAuth: [] }, { basicAuth: [] }]);
  });
});
