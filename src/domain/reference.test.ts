import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WharfError } from '../errors/index.js';
import { parseReference } from './reference.js';

describe('parseReference', () => {
  it('tells tags from digests', () => {
    assert.deepEqual(parseReference('v1.2_3-x'), { kind: 'tag', tag: 'v1.2_3-x' });
    assert.equal(parseReference(`sha256:${'b'.repeat(64)}`).kind, 'digest');
  });

  it('rejects tags outside the grammar and malformed digests', () => {
    for (const tag of ['.hidden', '-x', 'a/b', 't'.repeat(129), '', '..']) {
      assert.throws(() => parseReference(tag), (err) => err instanceof WharfError && err.entry.code === 'MANIFEST_INVALID', tag);
    }
    assert.throws(() => parseReference('sha256:zz'), (err) => err instanceof WharfError && err.entry.code === 'DIGEST_INVALID');
    assert.equal(parseReference('t'.repeat(128)).kind, 'tag');
  });
});
