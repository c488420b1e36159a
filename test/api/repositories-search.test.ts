/** /api/v1/find/repositories: substring search among the repositories the caller may see. */
import assert from 'node:assert/strict';
import { onEachDialect } from './repositories-fixture.js';

interface SearchJson {
  results: { kind: string; title: string; name: string; namespace: { name: string; kind: string }; description: string; is_public: boolean; href: string; last_modified: number }[];
  has_additional: boolean;
  page: number;
  page_size: number;
  start_index: number;
}

onEachDialect('repository search', (test) => {
  test('finds repositories by a substring of the name, only those the caller may see', async (w) => {
    await w.repository('acme/billing-service', 'public', 'invoices');
    await w.repository('acme/billing-worker', 'private');
    await w.repository('alice/billing', 'private');
    await w.repository('alice/unrelated', 'public');
    const names = async (who: 'anonymous' | 'bob' | 'alice' | 'frank' | 'root', query: string) => {
      const res = await w.call(who, 'GET', `/api/v1/find/repositories?query=${encodeURIComponent(query)}`);
      assert.equal(res.status, 200, res.body.toString());
      return res
        .json<SearchJson>()
        .results.map((r) => `${r.namespace.name}/${r.name}`)
        .sort();
    };
    assert.deepEqual(await names('anonymous', 'billing'), ['acme/billing-service']);
    assert.deepEqual(await names('bob', 'billing'), ['acme/billing-service']);
    assert.deepEqual(await names('alice', 'billing'), ['acme/billing-service', 'alice/billing']);
    assert.deepEqual(await names('frank', 'illing-'), ['acme/billing-service', 'acme/billing-worker']);
    assert.deepEqual(await names('root', 'BILLING'), ['acme/billing-service', 'acme/billing-worker', 'alice/billing']);
    assert.deepEqual(await names('root', 'no-such-thing'), []);
    assert.deepEqual(await names('root', '%'), []);
    assert.deepEqual(await names('root', ''), []);

    const hit = (await w.call('bob', 'GET', '/api/v1/find/repositories?query=billing-serv')).json<SearchJson>();
    assert.deepEqual({ ...hit, results: [] }, { results: [], has_additional: false, page: 1, page_size: 10, start_index: 0 });
    const first = hit.results[0];
    assert.deepEqual(
      { kind: first?.kind, title: first?.title, name: first?.name, namespace: first?.namespace.name, namespaceKind: first?.namespace.kind, description: first?.description, is_public: first?.is_public, href: first?.href },
      { kind: 'repository', title: 'repo', name: 'billing-service', namespace: 'acme', namespaceKind: 'organization', description: 'invoices', is_public: true, href: '/repository/acme/billing-service' },
    );
    assert.equal(typeof first?.last_modified, 'number');
  });

  test('pages of ten, with has_additional', async (w) => {
    for (let i = 0; i < 13; i++) await w.repository(`acme/paged-search-${String(i).padStart(2, '0')}`, 'public');
    const one = (await w.call('bob', 'GET', '/api/v1/find/repositories?query=paged-search')).json<SearchJson>();
    const two = (await w.call('bob', 'GET', '/api/v1/find/repositories?query=paged-search&page=2')).json<SearchJson>();
    assert.deepEqual([one.results.length, one.has_additional, one.start_index], [10, true, 0]);
    assert.deepEqual([two.results.length, two.has_additional, two.start_index, two.page], [3, false, 10, 2]);
    const all = [...one.results, ...two.results].map((r) => r.name);
    assert.equal(new Set(all).size, 13);
    assert.equal((await w.call('bob', 'GET', '/api/v1/find/repositories?query=x&page=0')).status, 400);
  });
});
