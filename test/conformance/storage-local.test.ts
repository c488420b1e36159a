import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { appendFile, mkdtemp, readFile, rm, stat, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { digestOf, parseDigest } from '../../src/domain/index.js';
import { blobKey, isStorageError, uploadKey, type StorageDriver } from '../../src/storage/index.js';
import { createDriver, validateDriverParams } from '../../src/storage/drivers.js';
import { storageDriverSuite } from './storage-driver-suite.js';

async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'wharf-local-storage-'));
}

storageDriverSuite('LocalStorage', async () => {
  const dir = await tempDir();
  const driver = await createDriver('LocalStorage', { storage_path: dir });
  return { driver, cleanup: () => rm(dir, { recursive: true, force: true }) };
});

describe('LocalStorage', () => {
  let dir: string;
  let driver: StorageDriver;
  beforeEach(async () => {
    dir = await tempDir();
    driver = await createDriver('LocalStorage', { storage_path: dir });
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('stores a committed blob at <storage_path>/sha256/<2 hex>/<hex> and removes the upload file', async () => {
    const bytes = Buffer.from('layer bytes');
    const digest = parseDigest(digestOf(bytes));
    const state = await driver.appendUpload(await driver.startUpload(randomUUID()), Readable.from([bytes]));
    assert.deepEqual(await readFile(path.join(dir, 'uploads', state.id)), bytes);
    await driver.commitUpload(state, blobKey(digest));
    assert.deepEqual(await readFile(path.join(dir, 'sha256', digest.hex.slice(0, 2), digest.hex)), bytes);
    await assert.rejects(stat(path.join(dir, uploadKey(state.id))), { code: 'ENOENT' });
  });

  it('a fresh instance continues an upload session from its persisted state', async () => {
    const first = await driver.appendUpload(await driver.startUpload(randomUUID()), Readable.from([Buffer.from('before restart, ')]));
    const persisted = JSON.parse(JSON.stringify(first)) as typeof first;
    const restarted = await createDriver('LocalStorage', { storage_path: dir });
    const state = await restarted.appendUpload(persisted, Readable.from([Buffer.from('after restart')]));
    const key = blobKey(parseDigest(digestOf(Buffer.from('before restart, after restart'))));
    await restarted.commitUpload(state, key);
    assert.equal((await readFile(path.join(dir, key))).toString(), 'before restart, after restart');
  });

  it('truncates the session file after a failed append', async () => {
    const state = await driver.appendUpload(await driver.startUpload(randomUUID()), Readable.from([Buffer.from('kept')]));
    const source = Readable.from((async function* () {
      yield Buffer.alloc(200_000, 9);
      await new Promise((resolve) => setTimeout(resolve, 20));
      throw new Error('boom');
    })());
    await assert.rejects(driver.appendUpload(state, source), /boom/);
    assert.equal((await stat(path.join(dir, uploadKey(state.id)))).size, 4);
  });

  it('drops bytes beyond the recorded size (left by a crash) before appending or committing', async () => {
    let state = await driver.appendUpload(await driver.startUpload(randomUUID()), Readable.from([Buffer.from('abc')]));
    const file = path.join(dir, uploadKey(state.id));
    await appendFile(file, 'GARBAGE');
    state = await driver.appendUpload(state, Readable.from([Buffer.from('def')]));
    assert.equal((await readFile(file)).toString(), 'abcdef');
    await appendFile(file, 'MORE GARBAGE');
    const key = blobKey(parseDigest(digestOf(Buffer.from('abcdef'))));
    await driver.commitUpload(state, key);
    assert.equal((await readFile(path.join(dir, key))).toString(), 'abcdef');
  });

  it('refuses to continue a session whose file is shorter than its state (conflict)', async () => {
    const state = await driver.appendUpload(await driver.startUpload(randomUUID()), Readable.from([Buffer.from('abcdef')]));
    await truncate(path.join(dir, uploadKey(state.id)), 2);
    await assert.rejects(driver.appendUpload(state, Readable.from([Buffer.from('x')])), (err) => isStorageError(err, 'conflict'));
  });

  it('reports a missing session as not-found and a duplicate session id as conflict', async () => {
    const id = randomUUID();
    await assert.rejects(driver.appendUpload({ id, size: 0 }, Readable.from([Buffer.from('x')])), (err) => isStorageError(err, 'not-found'));
    await driver.startUpload(id);
    await assert.rejects(driver.startUpload(id), (err) => isStorageError(err, 'conflict'));
  });

  it('resolves a relative storage_path against the working directory', async () => {
    const relative = path.relative(process.cwd(), path.join(dir, 'nested'));
    assert.ok(!path.isAbsolute(relative));
    const warnings: object[] = [];
    const local = await createDriver('LocalStorage', { storage_path: relative }, { logger: { warn: (obj) => warnings.push(obj) } });
    const bytes = Buffer.from('relative');
    const key = blobKey(parseDigest(digestOf(bytes)));
    await local.commitUpload(await local.appendUpload(await local.startUpload(randomUUID()), Readable.from([bytes])), key);
    assert.deepEqual(await readFile(path.join(dir, 'nested', key)), bytes);
    assert.equal(warnings.length, 1);
  });

  it('reports unavailable, with the cause, when storage_path cannot be created', async () => {
    const file = path.join(dir, 'a-file');
    await appendFile(file, 'x');
    await assert.rejects(createDriver('LocalStorage', { storage_path: path.join(file, 'sub') }), (err) => {
      return isStorageError(err, 'unavailable') && (err.cause as NodeJS.ErrnoException).code === 'ENOTDIR';
    });
  });
});

describe('LocalStorage parameters', () => {
  it('accepts storage_path', () => {
    assert.deepEqual(validateDriverParams('LocalStorage', { storage_path: '/datastorage/registry' }), []);
  });

  it('names unknown parameters', () => {
    const problems = validateDriverParams('LocalStorage', { storage_path: '/x', bogus_key: 1, other: 2 });
    assert.deepEqual(problems.map((p) => p.path), ['bogus_key', 'other']);
    assert.match(problems[0]?.message ?? '', /unknown parameter/);
  });

  it('names a missing or mistyped storage_path', () => {
    const [missing, ...rest] = validateDriverParams('LocalStorage', {});
    assert.equal(rest.length, 0);
    assert.equal(missing?.path, 'storage_path');
    assert.match(missing?.message ?? '', /required/);
    assert.deepEqual(validateDriverParams('LocalStorage', { storage_path: 5 }).map((p) => p.path), ['storage_path']);
    assert.deepEqual(validateDriverParams('LocalStorage', { storage_path: '' }).map((p) => p.path), ['storage_path']);
    assert.equal(validateDriverParams('LocalStorage', null).length, 1);
  });

  it('createDriver throws an Error naming each bad key', async () => {
    await assert.rejects(createDriver('LocalStorage', { bogus_key: true }), (err: Error) => {
      return /storage_path/.test(err.message) && /bogus_key/.test(err.message);
    });
  });
});
