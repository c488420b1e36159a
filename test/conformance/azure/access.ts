import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ContainerSASPermissions, generateBlobSASQueryParameters, StorageSharedKeyCredential } from '@azure/storage-blob';
import { digestOf, parseDigest } from '../../../src/domain/index.js';
import { AzureStorage } from '../../../src/storage/azure/azure-storage.js';
import { azureStorageParams } from '../../../src/storage/azure/params.js';
import { createDriver, validateDriverParams } from '../../../src/storage/drivers.js';
import { blobKey, isStorageError, type StorageDriver } from '../../../src/storage/index.js';
import { AZURITE_ACCOUNT, AZURITE_KEY, closedPort, type Azurite } from '../../support/azurite.js';

const keyOf = (bytes: Buffer) => blobKey(parseDigest(digestOf(bytes)));

async function put(d: StorageDriver, bytes: Buffer): Promise<string> {
  await d.commitUpload(await d.appendUpload(await d.startUpload(randomUUID()), Readable.from([bytes])), keyOf(bytes));
  return keyOf(bytes);
}

async function timed(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await promise;
    return { error: undefined, ms: Date.now() - started };
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
}

export function azureAccessTests(env: () => Azurite): void {
  describe('AzureStorage access', () => {
    let container: string;
    let d: StorageDriver;
    const sas = (permissions: string) =>
      generateBlobSASQueryParameters(
        { containerName: container, permissions: ContainerSASPermissions.parse(permissions), expiresOn: new Date(Date.now() + 3_600_000) },
        new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY),
      ).toString();
    const sasDriver = (token: string) => createDriver('AzureStorage', { ...env().params(container), azure_account_key: null, sas_token: `?${token}` });
    beforeEach(async () => {
      container = await env().createContainer();
      d = await createDriver('AzureStorage', env().params(container, { storage_path: 'registry' }));
    });
    afterEach(() => env().deleteContainer(container));

    it('presignGet gives a read-only SAS URL that plain fetch can use; a tampered one fails', async () => {
      const bytes = Buffer.from('presigned bytes');
      const key = await put(d, bytes);
      const url = await d.presignGet?.(key, 60);
      assert.ok(url && new URL(url).searchParams.get('sp') === 'r');
      const res = await fetch(url);
      assert.equal(res.status, 200);
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
      const ranged = await fetch(url, { headers: { range: 'bytes=0-8' } });
      assert.equal(await ranged.text(), 'presigned');
      const tampered = new URL(url);
      tampered.searchParams.set('sig', `A${tampered.searchParams.get('sig')?.slice(1)}`);
      assert.equal((await fetch(tampered)).status, 403);
      const widened = new URL(url);
      widened.searchParams.set('sp', 'rw');
      assert.equal((await fetch(widened)).status, 403);
      assert.equal((await fetch(url, { method: 'PUT', body: 'x', headers: { 'x-ms-blob-type': 'BlockBlob' } })).status, 403);
      await assert.rejects(d.presignGet?.('../x', 60) ?? Promise.resolve(), (err) => isStorageError(err, 'invalid-key'));
    });

    it('works with only a sas_token, presigning with it only when it grants read', async () => {
      const s = await sasDriver(sas('racwdl'));
      const bytes = Buffer.from('through a SAS token');
      const key = await put(s, bytes);
      const listed: string[] = [];
      for await (const k of s.list('sha256/')) listed.push(k);
      assert.deepEqual(listed, [key]);
      const url = await s.presignGet?.(key, 60);
      assert.ok(url);
      assert.deepEqual(Buffer.from(await (await fetch(url)).arrayBuffer()), bytes);
      const writeOnly = await sasDriver(sas('cw'));
      assert.equal(writeOnly.presignGet, undefined, 'cannot sign: no presignGet, so the registry streams');
      assert.equal(await d.copyFrom?.(writeOnly, key), false, 'a source that cannot presign is streamed');
      const keyed = await put(d, Buffer.from('under registry/, signed with the account key'));
      assert.equal(await s.copyFrom?.(d, keyed), true, 'the source signs its own URL');
      assert.equal((await s.stat(keyed))?.size, 44);
    });

    it('names unknown, missing and malformed parameters', async () => {
      const valid = env().params('wharf');
      assert.deepEqual(validateDriverParams('AzureStorage', valid), []);
      assert.deepEqual(validateDriverParams('AzureStorage', { azure_container: 'c-1x', azure_account_name: 'acct', storage_path: null, sas_token: '' }), []);
      const unknown = validateDriverParams('AzureStorage', { ...valid, azure_acount_key: 'x', bucket: 'y' });
      assert.deepEqual(unknown.map((p) => p.path), ['azure_acount_key', 'bucket']);
      assert.match(unknown[0]?.message ?? '', /unknown parameter for AzureStorage/);
      const missing = validateDriverParams('AzureStorage', { storage_path: '/x' });
      assert.deepEqual(missing.map((p) => p.path).sort(), ['azure_account_name', 'azure_container']);
      assert.ok(missing.every((p) => /required parameter/.test(p.message)));
      const bad = { azure_container: 'Bad_Name', azure_account_name: 'x', endpoint_url: 'not a url', azure_account_key: 'not base64!', storage_path: '/a/../b' };
      assert.deepEqual(validateDriverParams('AzureStorage', bad).map((p) => p.path).sort(), Object.keys(bad).sort());
      await assert.rejects(createDriver('AzureStorage', { azure_container: 'ok-name' }), /azure_account_name/);
      assert.equal(new AzureStorage(azureStorageParams.parse({ ...valid, storage_path: '//a//b/' })).target.prefix, 'a/b/');
    });

    it('fails fast, with a clear message, on a wrong account key or a missing container', async () => {
      const wrongKey = await createDriver('AzureStorage', env().params(container, { azure_account_key: Buffer.alloc(64, 7).toString('base64') }));
      const attempts = [() => wrongKey.stat(keyOf(Buffer.from('x'))), () => wrongKey.startUpload(randomUUID()), () => wrongKey.read(keyOf(Buffer.from('x')))];
      for (const attempt of attempts) {
        const { error, ms } = await timed(attempt());
        assert.ok(isStorageError(error, 'unavailable'), String(error));
        assert.match(error.message, /refused the credentials \(AuthorizationFailure\); check azure_account_key or sas_token/);
        assert.ok(ms < 2_000, `${ms} ms`);
      }
      const noContainer = await createDriver('AzureStorage', env().params('no-such-container'));
      const { error } = await timed(noContainer.stat(keyOf(Buffer.from('x'))));
      assert.ok(isStorageError(error, 'unavailable') && /container .*no-such-container does not exist/.test(error.message), String(error));
    });

    it('reports an unreachable endpoint (closed port) within a few seconds', async () => {
      const port = await closedPort();
      const unreachable = await createDriver('AzureStorage', { ...env().params(container), endpoint_url: `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}` });
      for (const attempt of [() => unreachable.stat('sha256/ab/abcd'), () => unreachable.startUpload(randomUUID())]) {
        const { error, ms } = await timed(attempt());
        assert.ok(isStorageError(error, 'unavailable') && /cannot reach http:\/\/127\.0\.0\.1:\d+\/devstoreaccount1\/\S+ \(ECONNREFUSED/.test(error.message), String(error));
        assert.ok(ms < 5_000, `${ms} ms`);
      }
    });

    it('gives up on an endpoint that accepts connections but never answers, after requestTimeoutMs', async () => {
      const sockets = new Set<Socket>();
      const silent = createServer((socket) => void sockets.add(socket));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      try {
        const { port } = silent.address() as { port: number };
        const params = azureStorageParams.parse({ ...env().params(container), endpoint_url: `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}` });
        const hung = new AzureStorage(params, { maxTries: 2, requestTimeoutMs: 500 });
        const { error, ms } = await timed(hung.stat('sha256/ab/abcd'));
        assert.ok(isStorageError(error, 'unavailable') && /no answer from .* within 500 ms/.test(error.message), String(error));
        assert.ok(ms >= 450 && ms < 3_000, `${ms} ms`);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });
  });
}
