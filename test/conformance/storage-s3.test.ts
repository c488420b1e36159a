import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { digestOf, parseDigest } from '../../src/domain/index.js';
import { blobKey, isStorageError, type StorageDriver, type UploadState } from '../../src/storage/index.js';
import { createDriver } from '../../src/storage/drivers.js';
import { S3Storage } from '../../src/storage/s3/s3-storage.js';
import { emulateUploadPartCopy, recordCommands, S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, startS3rver, type S3rver } from '../support/s3rver.js';
import { deterministicStream, storageDriverSuite } from './storage-driver-suite.js';

const MiB = 1024 * 1024;
let server: Promise<S3rver> | undefined;
const s3rver = () => (server ??= startS3rver(['wharf-a', 'wharf-b']));
after(async () => (await server)?.stop());

/** A fresh, empty S3Storage on s3rver: its own storage_path in `bucket`. */
async function s3Storage(extra: object = {}, bucket = 'wharf-a'): Promise<S3Storage> {
  const { endpoint } = await s3rver();
  const params = { storage_path: `/t-${randomUUID()}/`, s3_bucket: bucket, s3_access_key: S3RVER_ACCESS_KEY, s3_secret_key: S3RVER_SECRET_KEY, endpoint_url: endpoint, s3_force_path_style: true };
  const driver = await createDriver('S3Storage', { ...params, ...extra });
  assert.ok(driver instanceof S3Storage);
  return driver;
}

async function empty(driver: StorageDriver): Promise<void> {
  for await (const key of driver.list('')) await driver.delete(key);
}

storageDriverSuite('S3Storage on s3rver', async () => {
  const driver = await s3Storage();
  return { driver, cleanup: () => empty(driver) };
});

describe('S3Storage on s3rver: upload sessions', () => {
  let d: S3Storage;
  before(async () => (d = await s3Storage()));
  after(() => empty(d));

  it('stores a blob at <storage_path>/<layout key> and removes the session objects on commit', async () => {
    const state = await upload(d, [Buffer.from('layer '), Buffer.from('bytes')]);
    assert.equal((await keys(d, `uploads/${state.id}/`)).length, 3); // the marker and two chunks
    const key = await commit(d, state, 'layer bytes');
    assert.deepEqual(await rawHead(d, `${d.config.prefix}/${key}`), 11);
    assert.deepEqual(await keys(d, `uploads/${state.id}/`), []);
  });

  it('commits one chunk with CopyObject and small chunks by streaming them (no UploadPartCopy)', async () => {
    const sent = recordCommands(d.client);
    await commit(d, await upload(d, [Buffer.from('one chunk')]), 'one chunk');
    assert.ok(sent.includes('CopyObjectCommand'));
    sent.length = 0;
    await commit(d, await upload(d, [Buffer.from('small '), Buffer.from('chunks')]), 'small chunks');
    assert.ok(!sent.includes('UploadPartCopyCommand') && !sent.includes('CopyObjectCommand'));
    assert.ok(sent.includes('PutObjectCommand'));
  });

  // s3rver answers UploadPartCopy with NotImplemented: the driver must fall back to streaming.
  it('chunks of 5 MiB and more: tries UploadPartCopy, falls back to a streamed multipart upload on s3rver', async () => {
    const { state, key, bytes } = await bigSession(d, [6 * MiB, 5 * MiB + 17, 3 * MiB]);
    const sent = recordCommands(d.client);
    await d.commitUpload(state, key);
    assert.ok(sent.includes('UploadPartCopyCommand'));
    assert.equal(sent.filter((c) => c === 'CreateMultipartUploadCommand').length, 2); // the assembly, then the stream
    assert.deepEqual(await readAll(d, key), bytes);
  });

  it('chunks of 5 MiB and more: assembled server-side with UploadPartCopy (emulated in the client)', async () => {
    const local = await s3Storage();
    emulateUploadPartCopy(local.client);
    const { state, key, bytes } = await bigSession(local, [6 * MiB, 5 * MiB + 17, 3 * MiB]);
    const sent = recordCommands(local.client);
    await local.commitUpload(state, key);
    assert.equal(sent.filter((c) => c === 'UploadPartCopyCommand').length, 3);
    assert.equal(sent.filter((c) => c === 'CreateMultipartUploadCommand').length, 1);
    assert.deepEqual(await readAll(local, key), bytes);
    await empty(local);
  });

  it('one chunk above maximum_chunk_size_gb: copied in parts with UploadPartCopy (emulated), else streamed', async () => {
    for (const emulate of [true, false]) {
      const small = await s3Storage({ maximum_chunk_size_gb: 0.01 }); // parts of at most 10.24 MiB
      if (emulate) emulateUploadPartCopy(small.client);
      const { state, key, bytes } = await bigSession(small, [23 * MiB]);
      const sent = recordCommands(small.client);
      await small.commitUpload(state, key);
      assert.ok(!sent.includes('CopyObjectCommand'));
      assert.equal(sent.filter((c) => c === 'UploadPartCopyCommand').length, 3, `emulate=${emulate}`);
      assert.equal(sent.filter((c) => c === 'CreateMultipartUploadCommand').length, emulate ? 1 : 2, `emulate=${emulate}`);
      assert.deepEqual(await readAll(small, key), bytes);
      await empty(small);
    }
  });

  it('a fresh driver instance continues a session from its persisted driverState', async () => {
    const first = await upload(d, [Buffer.from('before restart, ')]);
    const persisted = JSON.parse(JSON.stringify(first)) as UploadState;
    const restarted = await createDriver('S3Storage', { s3_bucket: 'wharf-a', storage_path: d.config.prefix, s3_access_key: S3RVER_ACCESS_KEY, s3_secret_key: S3RVER_SECRET_KEY, endpoint_url: d.config.endpoint, s3_force_path_style: true });
    const state = await restarted.appendUpload(persisted, Readable.from([Buffer.from('after restart')]));
    assert.equal((await readAll(restarted, undefined, state)).toString(), 'before restart, after restart');
    const third = await s3Storage({ storage_path: d.config.prefix });
    await commit(third, JSON.parse(JSON.stringify(state)) as UploadState, 'before restart, after restart');
  });

  it('a source failing after several parts (a multipart chunk) leaves nothing behind, and its error is rethrown', async () => {
    const state = await upload(d, [Buffer.from('kept')]);
    const failure = new Error('client went away');
    const failing = Readable.from((async function* () {
      yield* deterministicStream(0, 12 * MiB);
      throw failure;
    })());
    await assert.rejects(d.appendUpload(state, failing), (err) => err === failure);
    assert.equal((await keys(d, `uploads/${state.id}/`)).length, 2); // the marker and 'kept'
    await commit(d, state, 'kept');
  });

  it('abort removes every object of the session, orphans of racing appends included', async () => {
    const state = await upload(d, [Buffer.from('a')]);
    await d.appendUpload(state, Readable.from([Buffer.from('lost the race')])); // its state is dropped
    assert.equal((await keys(d, `uploads/${state.id}/`)).length, 3);
    await d.abortUpload(state);
    assert.deepEqual(await keys(d, `uploads/${state.id}/`), []);
    await assert.rejects(d.appendUpload(state, Readable.from([Buffer.from('x')])), (err) => isStorageError(err, 'not-found'));
  });

  it('refuses a driverState that does not describe the session (conflict)', async () => {
    const state = await upload(d, [Buffer.from('abc')]);
    const other = randomUUID();
    await assert.rejects(d.readUpload({ ...state, size: 4 }), (err) => isStorageError(err, 'conflict'));
    await assert.rejects(d.commitUpload({ ...state, id: other }, keyOf('abc')), (err) => isStorageError(err, 'conflict'));
    await assert.rejects(d.startUpload(state.id), (err) => isStorageError(err, 'conflict'));
    await d.abortUpload(state);
  });
});

async function upload(d: StorageDriver, chunks: Buffer[]): Promise<UploadState> {
  let state = await d.startUpload(randomUUID());
  for (const chunk of chunks) state = await d.appendUpload(state, Readable.from([chunk]));
  return state;
}

async function commit(d: StorageDriver, state: UploadState, content: string): Promise<string> {
  const key = keyOf(content);
  await d.commitUpload(state, key);
  assert.equal((await readAll(d, key)).toString(), content);
  return key;
}

/** Appends deterministic chunks of these sizes; returns the session, its blob key and its bytes. */
async function bigSession(d: StorageDriver, sizes: number[]): Promise<{ state: UploadState; key: string; bytes: Buffer }> {
  let state = await d.startUpload(randomUUID());
  let offset = 0;
  for (const size of sizes) state = await d.appendUpload(state, deterministicStream(offset, (offset += size)));
  const bytes = await collect(deterministicStream(0, offset));
  return { state, key: blobKey(parseDigest(digestOf(bytes))), bytes };
}

function keyOf(content: string): string {
  return blobKey(parseDigest(digestOf(Buffer.from(content))));
}

async function readAll(d: StorageDriver, key?: string, state?: UploadState): Promise<Buffer> {
  return collect(state ? await d.readUpload(state) : await d.read(key as string));
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function keys(d: StorageDriver, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const key of d.list(prefix)) out.push(key);
  return out.sort();
}

/** The size of an object by its full key in the bucket, bypassing the driver's prefixing. */
async function rawHead(d: S3Storage, objectKey: string): Promise<number | undefined> {
  const { HeadObjectCommand } = await import('@aws-sdk/client-s3');
  return (await d.client.send(new HeadObjectCommand({ Bucket: d.config.bucket, Key: objectKey }))).ContentLength;
}
