import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDriver, STORAGE_DRIVERS, validateDriverParams } from './drivers.js';
import { checkKey, checkPrefix } from './keys.js';

describe('drivers table', () => {
  it('lists LocalStorage and the S3 family', () => {
    const names = Object.keys(STORAGE_DRIVERS);
    for (const name of ['LocalStorage', 'S3Storage', 'GoogleCloudStorage', 'RadosGWStorage', 'RHOCSStorage', 'IBMCloudStorage']) assert.ok(names.includes(name), name);
  });

  it('rejects an unknown driver, listing the known ones', async () => {
    const problems = validateDriverParams('S3Storagez', {});
    assert.equal(problems.length, 1);
    assert.match(problems[0]?.message ?? '', /unknown storage driver "S3Storagez".*LocalStorage/);
    assert.equal(validateDriverParams('toString', {}).length, 1);
    await assert.rejects(createDriver('S3Storagez', {}, {}), /unknown storage driver/);
  });
});

describe('key checks', () => {
  it('accepts layout keys and prefixes', () => {
    assert.deepEqual(checkKey('T', 'sha256/ab/abcd'), ['sha256', 'ab', 'abcd']);
    for (const prefix of ['', 'sha256/', 'sha256/ab', 'uploads/']) checkPrefix('T', prefix);
  });

  it('refuses traversal, absolute paths, backslashes, NUL and empty segments', () => {
    for (const key of ['', '..', '../x', 'a/..', '/etc/passwd', 'C:/x', 'a\\b', 'a\0b', 'a//b', 'a/', './a']) {
      assert.throws(() => checkKey('T', key), { name: 'StorageError', kind: 'invalid-key' }, JSON.stringify(key));
    }
    assert.throws(() => checkPrefix('T', '../'), { kind: 'invalid-key' });
  });
});
