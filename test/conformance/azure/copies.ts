import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { digestOf, parseDigest } from '../../../src/domain/index.js';
import { AzureStorage, type AzureStorageOptions } from '../../../src/storage/azure/azure-storage.js';
import { azureStorageParams } from '../../../src/storage/azure/params.js';
import { createDriver } from '../../../src/storage/drivers.js';
import { blobKey, isStorageError, type StorageDriver } from '../../../src/storage/index.js';
import { AZURITE_ACCOUNT, startAzurite, type Azurite } from '../../support/azurite.js';
import { startTap, type Tap, type TappedRequest } from '../../support/tap-proxy.js';

const keyOf = (bytes: Buffer) => blobKey(parseDigest(digestOf(bytes)));

async function put(d: StorageDriver, bytes: Buffer): Promise<string> {
  const state = await d.appendUpload(await d.startUpload(randomUUID()), Readable.from([bytes]));
  await d.commitUpload(state, keyOf(bytes));
  return keyOf(bytes);
}

async function bytesOf(d: StorageDriver, key: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await d.read(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function until(condition: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Azurite finishes every copy at once, so a pending copy is made up: while `hold` is set, the
 * tap reports the copy status of blobs under `sha256/` as pending (headers and list bodies).
 */
function holdCopies(tap: Tap): { hold: boolean; rewritten: number } {
  const state = { hold: true, rewritten: 0 };
  const isList = (r: TappedRequest) => r.method === 'GET' && r.url.includes('comp=list');
  tap.bufferBody = isList;
  tap.rewrite = (req, res) => {
    if (!state.hold) return;
    if (res.headers['x-ms-copy-status'] === 'success' && req.url.includes('/sha256/')) {
      res.headers['x-ms-copy-status'] = 'pending';
      state.rewritten++;
    }
    if (isList(req) && res.body) res.body = res.body.replaceAll('<CopyStatus>success</CopyStatus>', '<CopyStatus>pending</CopyStatus>');
  };
  return state;
}

export function azureCopyTests(env: () => Azurite): void {
  describe('AzureStorage copies', () => {
    let container: string;
    let tap: Tap;
    const driver = (options: AzureStorageOptions = {}, name = container, endpoint?: string) =>
      new AzureStorage(azureStorageParams.parse(env().params(name, endpoint ? { endpoint_url: endpoint } : {})), options);
    const tapped = (options: AzureStorageOptions = {}) => driver(options, container, `http://127.0.0.1:${tap.port}/${AZURITE_ACCOUNT}`);
    beforeEach(async () => {
      container = await env().createContainer();
      tap = await startTap(env().port);
    });
    afterEach(async () => {
      await tap.close();
      await env().deleteContainer(container);
    });

    it('polls a pending copy until it succeeds; until then the key is invisible', async () => {
      const held = holdCopies(tap);
      const d = tapped({ syncCopyMaxBytes: 0 }); // the asynchronous path for a small blob
      const bytes = Buffer.from('copied asynchronously');
      const key = keyOf(bytes);
      const state = await d.appendUpload(await d.startUpload(randomUUID()), Readable.from([bytes]));
      const committing = d.commitUpload(state, key);
      await until(() => held.rewritten >= 1);
      assert.equal(await d.stat(key), undefined);
      await assert.rejects(d.read(key), (err) => isStorageError(err, 'not-found'));
      const listed: string[] = [];
      for await (const k of d.list('sha256/')) listed.push(k);
      assert.deepEqual(listed, []);
      held.hold = false;
      await committing;
      assert.deepEqual(await d.stat(key), { size: bytes.length });
      assert.deepEqual(await bytesOf(d, key), bytes);
    });

    it('when the service fails the copy (azurite: any source over 512 MiB), commit streams the bytes instead', async () => {
      tap.rewrite = (req, res) => {
        if (req.headers['x-ms-copy-source'] !== undefined && req.url.includes('/sha256/')) res.status = 500;
      };
      const d = tapped({ syncCopyMaxBytes: 0 });
      const bytes = Buffer.from('copied by streaming, since the service failed the copy');
      const key = keyOf(bytes);
      const state = await d.appendUpload(await d.startUpload(randomUUID()), Readable.from([bytes]));
      await d.commitUpload(state, key);
      assert.ok(tap.requests.some((r) => r.headers['x-ms-copy-source'] !== undefined), 'the service copy was tried first');
      assert.ok(tap.requests.some((r) => r.url.includes('/sha256/') && r.url.includes('comp=blocklist')), 'then blocks were committed at the key');
      assert.deepEqual(await d.stat(key), { size: bytes.length });
      assert.deepEqual(await bytesOf(d, key), bytes);
    });

    it('a copy still pending at its deadline is aborted and removed; the session stays committable', async () => {
      const held = holdCopies(tap);
      const d = tapped({ syncCopyMaxBytes: 0, copyDeadlineMs: () => 800 });
      const bytes = Buffer.from('never finishes');
      const key = keyOf(bytes);
      const state = await d.appendUpload(await d.startUpload(randomUUID()), Readable.from([bytes]));
      const started = Date.now();
      await assert.rejects(d.commitUpload(state, key), (err) => isStorageError(err, 'unavailable') && /pending at its deadline/.test(err.message));
      assert.ok(Date.now() - started < 5_000);
      assert.ok(tap.requests.some((r) => r.url.includes('comp=copy') && r.headers['x-ms-copy-action'] === 'abort'), 'Abort Copy Blob was sent');
      held.hold = false;
      assert.equal(await d.stat(key), undefined, 'the destination was deleted');
      await d.commitUpload(state, key);
      assert.deepEqual(await bytesOf(d, key), bytes);
    });

    it("the driver's abort signal stops waiting for a copy", async () => {
      const held = holdCopies(tap);
      const controller = new AbortController();
      const d = tapped({ syncCopyMaxBytes: 0, signal: controller.signal });
      const bytes = Buffer.from('shutting down');
      const state = await d.appendUpload(await d.startUpload(randomUUID()), Readable.from([bytes]));
      const committing = d.commitUpload(state, keyOf(bytes));
      await until(() => held.rewritten >= 1);
      controller.abort();
      await assert.rejects(committing, (err) => isStorageError(err, 'unavailable') && /aborted/.test(err.message));
      held.hold = false;
      assert.equal(await d.stat(keyOf(bytes)), undefined);
    });

    it('copyFrom copies server-side between containers, synchronously and asynchronously', async () => {
      const other = await env().createContainer();
      try {
        // Both through the tap: azurite reads a SAS source only when it names the same host.
        const source = driver({}, other, `http://127.0.0.1:${tap.port}/${AZURITE_ACCOUNT}`);
        const small = await put(source, Buffer.from('small blob'));
        const large = await put(source, Buffer.alloc(300_000, 3));
        const d = tapped({ syncCopyMaxBytes: 100_000 });
        assert.equal(await d.copyFrom(source, small), true);
        assert.equal(await d.copyFrom(source, large), true);
        assert.deepEqual(await bytesOf(d, small), Buffer.from('small blob'));
        assert.deepEqual(await bytesOf(d, large), Buffer.alloc(300_000, 3));
        const copies = () => tap.requests.filter((r) => r.headers['x-ms-copy-source'] !== undefined && r.url.startsWith(`/${AZURITE_ACCOUNT}/${container}/`));
        assert.deepEqual(copies().map((r) => r.headers['x-ms-requires-sync'] ?? 'async'), ['true', 'async']);
        assert.equal(await d.copyFrom(source, small), true, 'already present: nothing to do');
        assert.equal(copies().length, 2);
        await assert.rejects(d.copyFrom(source, keyOf(Buffer.from('absent'))), (err) => isStorageError(err, 'not-found'));
      } finally {
        await env().deleteContainer(other);
      }
    });

    it('copyFrom is false for a non-Azure source and for a service that cannot read the source', async () => {
      const dir = await mkdtemp(path.join(tmpdir(), 'wharf-azure-copy-'));
      const second = await startAzurite();
      try {
        const local = await createDriver('LocalStorage', { storage_path: dir });
        const key = await put(local, Buffer.from('on disk'));
        const d = driver();
        assert.equal(await d.copyFrom(local, key), false);
        // Another azurite cannot fetch from this one (real Azure would, given the SAS URL).
        const elsewhereContainer = await second.createContainer();
        const elsewhere = new AzureStorage(azureStorageParams.parse(second.params(elsewhereContainer)));
        const remoteKey = await put(d, Buffer.from('in the first emulator'));
        assert.equal(await elsewhere.copyFrom(d, remoteKey), false);
        assert.equal(await elsewhere.stat(remoteKey), undefined, 'nothing written');
      } finally {
        await second.stop();
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
