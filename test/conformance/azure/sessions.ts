import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { digestOf, parseDigest } from '../../../src/domain/index.js';
import { AzureStorage, type AzureStorageOptions } from '../../../src/storage/azure/azure-storage.js';
import { SYNC_COPY_MAX_BYTES } from '../../../src/storage/azure/copy.js';
import { azureStorageParams } from '../../../src/storage/azure/params.js';
import { blobKey, isStorageError, type UploadState } from '../../../src/storage/index.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, type Azurite } from '../../support/azurite.js';
import { startTap } from '../../support/tap-proxy.js';
import { deterministicStream } from '../storage-driver-suite.js';

const keyOf = (text: string) => blobKey(parseDigest(digestOf(Buffer.from(text))));
const persisted = (state: UploadState) => JSON.parse(JSON.stringify(state)) as UploadState;

async function text(stream: AsyncIterable<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString();
}

export function azureSessionTests(env: () => Azurite): void {
  describe('AzureStorage upload sessions', () => {
    let container: string;
    let raw: ContainerClient;
    const driver = (options: AzureStorageOptions = {}, endpoint?: string) => {
      const params = env().params(container, { storage_path: '/registry', ...(endpoint ? { endpoint_url: endpoint } : {}) });
      return new AzureStorage(azureStorageParams.parse(params), options);
    };
    const names = async () => {
      const out: string[] = [];
      for await (const item of raw.listBlobsFlat()) out.push(item.name);
      return out.sort();
    };
    beforeEach(async () => {
      container = await env().createContainer();
      raw = new ContainerClient(`${env().accountUrl}/${container}`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
    });
    afterEach(() => env().deleteContainer(container));

    it('keeps a session in <storage_path>/uploads/<id> and commits it to <storage_path>/<key>', async () => {
      const d = driver();
      const state = await d.appendUpload(await d.startUpload(randomUUID()), Readable.from([Buffer.from('layer')]));
      assert.deepEqual(await names(), [`registry/uploads/${state.id}`]);
      await d.commitUpload(state, keyOf('layer'));
      assert.deepEqual(await names(), [`registry/${keyOf('layer')}`]);
    });

    it('a fresh driver continues a multi-block, multi-append session from its persisted driverState', async () => {
      const first = driver({ blockSize: 1000 });
      let state = await first.startUpload(randomUUID());
      state = await first.appendUpload(persisted(state), Readable.from([Buffer.alloc(2500, 'a')]));
      const second = driver({ blockSize: 1000 });
      state = await second.appendUpload(persisted(state), Readable.from([Buffer.alloc(700, 'b'), Buffer.alloc(800, 'c')]));
      assert.equal(state.size, 4000);
      const runs = (state.driverState as { runs: [string, number][] }).runs;
      assert.deepEqual(runs.map(([, count]) => count), [3, 2]);
      const expected = 'a'.repeat(2500) + 'b'.repeat(700) + 'c'.repeat(800);
      const third = driver();
      assert.equal(await text(await third.readUpload(persisted(state))), expected);
      await third.commitUpload(persisted(state), keyOf(expected));
      assert.equal(await text(await first.read(keyOf(expected))), expected);
      const blocks = await raw.getBlockBlobClient(`registry/${keyOf(expected)}`).getBlockList('all');
      assert.equal(blocks.uncommittedBlocks?.length ?? 0, 0);
    });

    // An append whose block-list commit reached Azure but whose answer was lost: the registry
    // still holds the older state, and continuing from it must not keep the lost append's bytes.
    it('continuing from an older state drops the bytes of an append it never saw', async () => {
      const d = driver();
      const older = await d.appendUpload(await d.startUpload(randomUUID()), Readable.from([Buffer.from('abc')]));
      await d.appendUpload(older, Readable.from([Buffer.from('LOST')]));
      const state = await d.appendUpload(older, Readable.from([Buffer.from('def')]));
      assert.equal(await text(await d.readUpload(state)), 'abcdef');
      await d.appendUpload(state, Readable.from([Buffer.from('LOST AGAIN')]));
      assert.equal(await text(await d.readUpload(state)), 'abcdef');
      await d.commitUpload(state, keyOf('abcdef'));
      assert.equal(await text(await d.read(keyOf('abcdef'))), 'abcdef');
      assert.deepEqual(await d.stat(keyOf('abcdef')), { size: 6 });
    });

    it('reports a missing session as not-found, a duplicate id and a foreign state as conflict', async () => {
      const d = driver();
      const id = randomUUID();
      await assert.rejects(d.appendUpload({ id, size: 0 }, Readable.from([Buffer.from('x')])), (err) => isStorageError(err, 'not-found'));
      await assert.rejects(d.readUpload({ id, size: 0 }), (err) => isStorageError(err, 'not-found'));
      const state = await d.startUpload(id);
      await assert.rejects(d.startUpload(id), (err) => isStorageError(err, 'conflict'));
      await assert.rejects(d.readUpload({ ...state, size: 10 }), (err) => isStorageError(err, 'conflict'));
      const foreign = { id, size: 3, driverState: { parts: [1, 2] } };
      await assert.rejects(d.appendUpload(foreign, Readable.from([Buffer.from('x')])), (err) => isStorageError(err, 'conflict'));
    });

    it('commits 300 MiB through the asynchronous copy, in bounded memory', { timeout: 600_000 }, async (t) => {
      const MiB = 1024 * 1024;
      const size = 300 * MiB;
      assert.ok(size > SYNC_COPY_MAX_BYTES);
      const hash = createHash('sha256');
      for await (const chunk of deterministicStream(0, size)) hash.update(chunk as Buffer);
      const key = blobKey(parseDigest(`sha256:${hash.digest('hex')}`));
      const d = driver();
      const baseline = process.memoryUsage();
      let peak = 0;
      const sampler = setInterval(() => {
        const now = process.memoryUsage();
        peak = Math.max(peak, now.heapUsed + now.arrayBuffers - baseline.heapUsed - baseline.arrayBuffers);
      }, 20);
      let state: UploadState;
      try {
        state = await d.appendUpload(await d.startUpload(randomUUID()), deterministicStream(0, 200 * MiB));
        state = await d.appendUpload(state, deterministicStream(200 * MiB, size));
      } finally {
        clearInterval(sampler);
      }
      t.diagnostic(`memory growth while appending 300 MiB: ${Math.round(peak / MiB)} MiB`);
      assert.ok(peak < 128 * MiB, `memory grew by ${Math.round(peak / MiB)} MiB while appending 300 MiB`);
      // Commit from a fresh driver behind a recording proxy, to see which copy API it used.
      const tap = await startTap(env().port);
      try {
        await driver({}, `http://127.0.0.1:${tap.port}/${AZURITE_ACCOUNT}`).commitUpload(persisted(state), key);
        const copies = tap.requests.filter((r) => r.method === 'PUT' && r.headers['x-ms-copy-source'] !== undefined);
        assert.equal(copies.length, 1);
        assert.equal(copies[0]?.headers['x-ms-requires-sync'], undefined, 'Copy Blob (asynchronous), not Copy Blob From URL');
      } finally {
        await tap.close();
      }
      assert.deepEqual(await d.stat(key), { size });
      const actual = createHash('sha256');
      for await (const chunk of await d.read(key)) actual.update(chunk as Buffer);
      assert.equal(blobKey(parseDigest(`sha256:${actual.digest('hex')}`)), key);
      assert.deepEqual(await names(), [`registry/${key}`]);
    });
  });
}
