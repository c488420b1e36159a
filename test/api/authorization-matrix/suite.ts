/**
 * The authorization matrix of issue #5, on one dialect: seven principals × every /v2 and
 * /api/v1 endpoint on one real server in Database mode, the fixture built once. Each row is one
 * test that reports every principal whose answer differs from the table.
 *
 * "Every endpoint" is enforced, not hoped for: the /api/v1 endpoints are read from the served
 * OpenAPI document and the /v2 ones are probed on the live server, and a test fails when one of
 * them has no row.
 *
 * Set WHARF_MATRIX_REPORT=<file> to write the results as a Markdown table.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { http } from '../../support/http.js';
import { POSTGRES_SKIP_MESSAGE } from '../../support/postgres.js';
import { type Dialect, startTestRegistry, type TestRegistry } from '../../support/registry.js';
import { API_ROWS } from './api-rows.js';
import { buildFixture, CATALOG, checkFixture, type Fixture, PRIVATE } from './fixture.js';
import { ANONYMOUS_OFF_ROWS } from './anonymous-off.js';
import { endpointOf, type MatrixRow } from './row.js';
import { formatResults, problemsOf, type RowResult, rowTitle, runRow } from './runner.js';
import { TOKEN_PATH, TOKEN_ROWS } from './token-rows.js';
import { V2_ENDPOINTS, V2_ROWS } from './v2-rows.js';

/** The keys of an OpenAPI path item that are operations (the others are shared fields). */
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function authorizationMatrix(dialect: Dialect): void {
  describe(`authorization matrix on ${dialect}`, () => {
    let registry: TestRegistry | undefined;
    let fx: Fixture | undefined;
    const results: RowResult[] = [];

    before(async () => {
      registry = await startTestRegistry({ dialect, authentication: 'Database' });
      if (!registry) return;
      fx = await buildFixture(registry);
      await checkFixture(fx);
    });
    after(async () => {
      const report = process.env.WHARF_MATRIX_REPORT;
      if (report && results.length > 0) await writeFile(report.replace(/(\.md)?$/, `-${dialect}.md`), `${formatResults(results)}\n`);
      await registry?.destroy();
    });

    const test = (name: string, fn: (fx: Fixture) => Promise<void>) =>
      it(name, async (t) => {
        if (!registry) return t.skip(POSTGRES_SKIP_MESSAGE);
        await fn(fx as Fixture);
      });

    const rowTest = (row: MatrixRow) =>
      test(rowTitle(row), async (fixture) => {
        const result = await runRow(fixture, row);
        results.push(result);
        const problems = problemsOf(result);
        assert.deepEqual(problems, [], `${rowTitle(row)}\n  ${problems.join('\n  ')}`);
      });

    describe('/v2', () => {
      for (const row of [...V2_ROWS, ...TOKEN_ROWS]) rowTest(row);

      test('every /v2 endpoint the server answers has a row', async (fixture) => {
        assert.deepEqual(await servedV2Endpoints(fixture), [...V2_ENDPOINTS].sort());
        const covered = new Set([...V2_ROWS, ...TOKEN_ROWS].map(endpointOf));
        assert.deepEqual(V2_ENDPOINTS.filter((e) => !covered.has(e)), [], 'endpoints without a row');
      });
    });

    describe('/api/v1', () => {
      for (const row of API_ROWS) rowTest(row);

      test('every /api/v1 endpoint of the OpenAPI document has a row, and every row an endpoint', async (fixture) => {
        const res = await http(fixture.client.base, 'GET', '/api/v1/openapi.json');
        assert.equal(res.status, 200);
        const paths = res.json<{ paths: Record<string, Record<string, unknown>> }>().paths;
        const documented = Object.entries(paths)
          .flatMap(([path, item]) => Object.keys(item).filter((key) => HTTP_METHODS.includes(key)).map((method) => `${method.toUpperCase()} ${path}`))
          .sort();
        const covered = new Set(API_ROWS.map(endpointOf));
        assert.deepEqual(documented.filter((e) => !covered.has(e)), [], 'documented endpoints without a row in the matrix');
        assert.deepEqual([...covered].filter((e) => !documented.includes(e)).sort(), [], 'rows for endpoints the document does not list');
      });
    });

    describe('FEATURE_ANONYMOUS_ACCESS off', () => {
      let closed: TestRegistry | undefined;
      let closedFx: Fixture | undefined;
      before(async () => {
        if (!registry || !fx) return;
        // A second server on the same database and storage, with anonymous access off.
        const { config, dataDir } = registry;
        closed = await startTestRegistry({ dialect, reuse: { dataDir, config: { ...config, access: { ...config.access, anonymousAccess: false } } } });
        closedFx = closed && fx.on(closed);
      });
      after(async () => closed?.stop());
      for (const row of ANONYMOUS_OFF_ROWS) {
        it(rowTitle(row), async (t) => {
          if (!closedFx) return t.skip(POSTGRES_SKIP_MESSAGE);
          const result = await runRow(closedFx, row);
          const problems = problemsOf(result);
          assert.deepEqual(problems, [], `${rowTitle(row)}\n  ${problems.join('\n  ')}`);
        });
      }
    });
  });
}

/**
 * Which method × resource pairs the live server answers: root probes each with harmless
 * requests (unknown digests and sessions, an empty upload). "Not served" is 405 UNSUPPORTED or
 * the unknown-route 404 (NOT_FOUND); a HEAD is served when it answers like the GET. A new
 * route, or a method newly answered, shows up here and needs a row.
 */
async function servedV2Endpoints(fx: Fixture): Promise<string[]> {
  const digest = `sha256:${'0'.repeat(64)}`;
  const resources: [string, string][] = [
    ['/v2/', '/v2/'],
    ['/v2/_catalog', '/v2/_catalog'],
    ['/v2/{name}/tags/list', `/v2/${PRIVATE}/tags/list`],
    ['/v2/{name}/manifests/{reference}', `/v2/${PRIVATE}/manifests/${digest}`],
    ['/v2/{name}/blobs/{digest}', `/v2/${PRIVATE}/blobs/${digest}`],
    ['/v2/{name}/blobs/uploads/', `/v2/${PRIVATE}/blobs/uploads/`],
    ['/v2/{name}/blobs/uploads/{uuid}', `/v2/${PRIVATE}/blobs/uploads/00000000-0000-4000-8000-000000000000`],
    ['/v2/{name}/referrers/{digest}', `/v2/${PRIVATE}/referrers/${digest}`],
    [TOKEN_PATH, TOKEN_PATH],
  ];
  const scopes = [`repository:${PRIVATE}:pull,push,delete`, CATALOG];
  const served: string[] = [];
  for (const [template, path] of resources) {
    const get = await fx.client.v2('superuser', { method: 'GET', path }, scopes);
    for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      const res = method === 'GET' ? get : await fx.client.v2('superuser', { method, path }, scopes);
      const unknownRoute = res.status === 404 && (method === 'HEAD' ? get.status !== 404 || get.code === 'NOT_FOUND' : res.code === 'NOT_FOUND');
      if (res.status !== 405 && !unknownRoute) served.push(`${method} ${template}`);
    }
  }
  return served.sort();
}
