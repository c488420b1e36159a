import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDigest } from '../domain/index.js';
import { blobKey, isUploadId, uploadKey } from './layout.js';

const SHA256 = `sha256:${'ab'.repeat(32)}`;
const SHA512 = `sha512:${'0f'.repeat(64)}`;
const UUID = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

describe('layout', () => {
  it('blobKey is <algorithm>/<first 2 hex>/<hex>', () => {
    assert.equal(blobKey(parseDigest(SHA256)), `sha256/ab/${'ab'.repeat(32)}`);
    assert.equal(blobKey(parseDigest(SHA512)), `sha512/0f/${'0f'.repeat(64)}`);
  });

  it('uploadKey is uploads/<uuid>', () => {
    assert.equal(uploadKey(UUID), `uploads/${UUID}`);
  });

  it('uploadKey refuses anything but a lowercase UUID', () => {
    for (const id of [UUID.toUpperCase(), '', '../etc/passwd', `${UUID}/x`, `${UUID}\n`, 'not-a-uuid', UUID.replaceAll('-', '')]) {
      assert.throws(() => uploadKey(id), /not a lowercase UUID/, id);
    }
  });

  it('isUploadId agrees with uploadKey', () => {
    assert.equal(isUploadId(UUID), true);
    assert.equal(isUploadId(UUID.toUpperCase()), false);
    assert.equal(isUploadId(`uploads/${UUID}`), false);
  });
});
