import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RepositoryViewCache } from './repository-view-cache.js';

const cache = (options: { maxAgeMs?: number; maxBytes?: number; maxRepositories?: number; maxReferences?: number; now?: () => number } = {}) =>
  new RepositoryViewCache<{ id: number }, string>({ sizeOf: (v) => v.length, ...options });

describe('RepositoryViewCache', () => {
  it('answers only under the version the view was loaded with', () => {
    const c = cache();
    c.remember('a/b', 1, { id: 7 }, 'v1', 'manifest');
    assert.equal(c.find('a/b', 'v1', 1), 'manifest');
    assert.deepEqual(c.repository('a/b', 1), { id: 7 });
    assert.equal(c.find('a/b', 'v1', 2), undefined);
    assert.equal(c.repository('a/b', 2), undefined);
    assert.equal(c.find('a/b', 'other', 1), undefined);
  });

  it('remembers absence as null', () => {
    const c = cache();
    c.remember('a/b', 'x', { id: 1 }, 'gone', null);
    assert.equal(c.find('a/b', 'gone', 'x'), null);
  });

  it('a load under another version replaces the view', () => {
    const c = cache();
    c.remember('a/b', 1, { id: 1 }, 'v', 'old');
    c.remember('a/b', 2, { id: 2 }, 'w', 'new');
    assert.equal(c.find('a/b', 'v', 1), undefined);
    assert.equal(c.find('a/b', 'v', 2), undefined);
    assert.equal(c.find('a/b', 'w', 2), 'new');
    assert.deepEqual(c.size, { repositories: 1, bytes: 3 });
  });

  it('views age out after maxAgeMs whatever the version says', () => {
    let now = 1000;
    const c = cache({ maxAgeMs: 50, now: () => now });
    c.remember('a/b', 1, { id: 1 }, 'v', 'm');
    now += 50;
    assert.equal(c.find('a/b', 'v', 1), 'm');
    now += 1;
    assert.equal(c.find('a/b', 'v', 1), undefined);
    assert.deepEqual(c.size, { repositories: 0, bytes: 0 });
  });

  it('stays within its bounds: repositories, references and bytes', () => {
    const c = cache({ maxRepositories: 2, maxReferences: 2, maxBytes: 40 });
    c.remember('r/1', 1, { id: 1 }, 'a', 'x');
    c.remember('r/2', 1, { id: 2 }, 'a', 'x');
    c.remember('r/3', 1, { id: 3 }, 'a', 'x');
    assert.equal(c.find('r/1', 'a', 1), undefined, 'the oldest repository went');
    assert.equal(c.find('r/3', 'a', 1), 'x');
    c.remember('r/3', 1, { id: 3 }, 'b', 'x');
    c.remember('r/3', 1, { id: 3 }, 'c', 'x');
    assert.equal(c.find('r/3', 'a', 1), undefined, 'a full reference map starts over');
    assert.equal(c.find('r/3', 'c', 1), 'x');
    c.remember('r/2', 1, { id: 2 }, 'big', '0123456789a'); // over maxBytes / 4: not kept
    assert.equal(c.find('r/2', 'big', 1), undefined);
    c.remember('r/2', 1, { id: 2 }, 'b', '012345678');
    c.remember('r/3', 1, { id: 3 }, 'd', '012345678');
    c.remember('r/3', 1, { id: 3 }, 'e', '012345678');
    c.remember('r/3', 1, { id: 3 }, 'f', '012345678');
    assert.ok(c.size.bytes <= 40, `bytes ${c.size.bytes}`);
  });
});
