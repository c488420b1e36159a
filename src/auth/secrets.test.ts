import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateToken, tokenHash } from './secrets.js';

describe('generateToken', () => {
  it('makes 64 upper-case alphanumerics by default, all different', () => {
    const tokens = new Set(Array.from({ length: 200 }, () => generateToken()));
    assert.equal(tokens.size, 200);
    for (const token of tokens) assert.match(token, /^[A-Z0-9]{64}$/);
    assert.match(generateToken(32), /^[A-Z0-9]{32}$/);
  });

  it('uses the whole alphabet', () => {
    const seen = new Set(generateToken(4096));
    assert.equal(seen.size, 36);
  });

  it('refuses lengths too short to be a secret', () => {
    assert.throws(() => generateToken(8), RangeError);
    assert.throws(() => generateToken(20.5), RangeError);
  });
});

describe('tokenHash', () => {
  it('is SHA-256 in lower-case hex', () => {
    assert.equal(tokenHash('abc'), createHash('sha256').update('abc').digest('hex'));
    assert.equal(tokenHash('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    assert.notEqual(tokenHash('abc'), tokenHash('abd'));
  });
});
