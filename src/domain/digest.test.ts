import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Errors, WharfError } from '../errors/index.js';
import { digestOf, parseDigest } from './digest.js';

const hex64 = 'a'.repeat(64);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof WharfError ? err.entry.code : 'not a WharfError';
  }
}

describe('parseDigest', () => {
  it('accepts sha256 and sha512 with the exact hex length', () => {
    assert.deepEqual(parseDigest(`sha256:${hex64}`), { algorithm: 'sha256', hex: hex64, value: `sha256:${hex64}` });
    assert.equal(parseDigest(`sha512:${'0'.repeat(128)}`).algorithm, 'sha512');
  });

  it('rejects anything that could reach a path, and unknown algorithms', () => {
    for (const bad of ['', 'sha256:', `sha256:${hex64}/..`, `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`, 'md5:abc', `../sha256:${hex64}`, `sha256:..%2f`]) {
      assert.equal(codeOf(() => parseDigest(bad)), Errors.DIGEST_INVALID.code, bad);
    }
  });

  it('digestOf hashes bytes', () => {
    assert.equal(digestOf(Buffer.from('')), 'sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});
