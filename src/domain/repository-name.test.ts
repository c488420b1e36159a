import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WharfError } from '../errors/index.js';
import { parseRepositoryName } from './repository-name.js';

describe('parseRepositoryName', () => {
  it('accepts the distribution grammar and finds the namespace', () => {
    assert.deepEqual(parseRepositoryName('acme/web/api'), { value: 'acme/web/api', namespace: 'acme' });
    assert.deepEqual(parseRepositoryName('ubuntu'), { value: 'ubuntu', namespace: 'library' });
    for (const ok of ['a', 'a.b', 'a_b', 'a__b', 'a---b', 'a0/b-1.c_d']) assert.equal(parseRepositoryName(ok).value, ok);
  });

  it('rejects traversal, encoding, absolute paths, case and overlong names', () => {
    const bad = ['', '..', '.', 'a/..', 'a/../b', '%2e%2e', 'a/%2e%2e', '/etc/passwd', 'a//b', 'a/', '/a', 'A', 'a/B', 'a___b', '-a', 'a-', 'a\\b', 'a b', `a/${'b'.repeat(300)}`, 'a'.repeat(256)];
    for (const name of bad) assert.throws(() => parseRepositoryName(name), (err) => err instanceof WharfError && err.entry.code === 'NAME_INVALID', name);
    assert.equal(parseRepositoryName('a'.repeat(255)).value.length, 255);
  });
});
