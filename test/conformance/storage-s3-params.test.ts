import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { createDriver, validateDriverParams } from '../../src/storage/drivers.js';
import { S3Storage } from '../../src/storage/s3/s3-storage.js';
import { S3RVER_ACCESS_KEY as KEY, S3RVER_SECRET_KEY as SECRET, startS3rver, type S3rver } from '../support/s3rver.js';

let server: Promise<S3rver> | undefined;
const s3rver = () => (server ??= startS3rver(['wharf-a']));
after(async () => (await server)?.stop());

const KEY_OF_BLOB = 'sha256/ab/abcd';
const hosted = { hostname: 'rgw.example', is_secure: true, access_key: 'AK', secret_key: 'SK', bucket_name: 'reg', storage_path: '/registry' };

async function driver(name: string, params: object, warnings: object[] = []): Promise<S3Storage> {
  const built = await createDriver(name, params, { logger: { warn: (obj) => warnings.push(obj) } });
  assert.ok(built instanceof S3Storage);
  return built;
}

function paths(name: string, params: object): string[] {
  return validateDriverParams(name, params).map((p) => p.path).sort();
}

describe('S3-family parameters (Quay names), validated by name', () => {
  it('S3Storage: s3_bucket and storage_path required, unknown and mistyped ones named', () => {
    assert.deepEqual(paths('S3Storage', {}), ['s3_bucket', 'storage_path']);
    assert.match(validateDriverParams('S3Storage', { storage_path: '/x' })[0]?.message ?? '', /required parameter of S3Storage/);
    assert.deepEqual(paths('S3Storage', { storage_path: '/x', s3_bucket: 'b', bucket_name: 'b', bogus: 1 }), ['bogus', 'bucket_name']);
    assert.deepEqual(paths('S3Storage', { storage_path: '/x', s3_bucket: 'b', port: 'https', endpoint_url: 'not a url', s3_force_path_style: 'yes' }), ['endpoint_url', 'port', 's3_force_path_style']);
    const quay = {
      storage_path: '/datastorage/registry', s3_bucket: 'quay', s3_access_key: 'AK', s3_secret_key: 'SK', s3_region: 'us-east-2',
      host: 's3.us-east-2.amazonaws.com', port: 443, endpoint_url: null, maximum_chunk_size_gb: 5, minimum_chunk_size_mb: 5,
      aws_session_token: '', signature_version: 's3v4', s3_force_path_style: 'true',
    };
    assert.deepEqual(validateDriverParams('S3Storage', quay), []);
  });

  it('GoogleCloudStorage: access_key, secret_key, bucket_name, storage_path; S3 names are unknown', () => {
    assert.deepEqual(paths('GoogleCloudStorage', {}), ['access_key', 'bucket_name', 'secret_key', 'storage_path']);
    const gcs = { access_key: 'GOOG1', secret_key: 's', bucket_name: 'b', storage_path: '/r', boto_timeout: 60, minimum_chunk_size_mb: 5, signature_version: 's3v4' };
    assert.deepEqual(paths('GoogleCloudStorage', gcs), []);
    assert.deepEqual(paths('GoogleCloudStorage', { ...gcs, s3_bucket: 'b', endpoint_url: 'http://127.0.0.1:9000' }), ['s3_bucket']);
  });

  it('RadosGWStorage, RHOCSStorage (its alias) and IBMCloudStorage: hostname, is_secure and the keys', () => {
    for (const name of ['RadosGWStorage', 'RHOCSStorage', 'IBMCloudStorage']) {
      assert.deepEqual(paths(name, {}), ['access_key', 'bucket_name', 'hostname', 'is_secure', 'secret_key', 'storage_path'], name);
      assert.deepEqual(paths(name, { ...hosted, port: 7480, maximum_chunk_size_mb: 100, signature_version: 's3v4' }), [], name);
      assert.deepEqual(paths(name, { ...hosted, is_secure: 'maybe', s3_bucket: 'x' }), ['is_secure', 's3_bucket'], name);
    }
    const radosOnly = { region_name: 'default', minimum_chunk_size_mb: 5, server_side_assembly: false };
    assert.deepEqual(paths('RadosGWStorage', { ...hosted, ...radosOnly }), []);
    assert.deepEqual(paths('IBMCloudStorage', { ...hosted, ...radosOnly }), ['minimum_chunk_size_mb', 'region_name', 'server_side_assembly']);
  });
});

describe('S3-family parameters map to the right client configuration', () => {
  it('S3Storage: region endpoint (.cn included), host+port over https, endpoint_url, path style', async () => {
    const base = { storage_path: '/registry/', s3_bucket: 'quay', s3_access_key: 'AK', s3_secret_key: 'SK' };
    const regional = await driver('S3Storage', { ...base, s3_region: 'eu-west-1' });
    assert.equal(await regional.client.config.region(), 'eu-west-1');
    assert.match(await regional.presignGet(KEY_OF_BLOB, 60), /^https:\/\/quay\.s3\.eu-west-1\.amazonaws\.com\/registry\/sha256\/ab\/abcd\?/);
    const china = await driver('S3Storage', { ...base, s3_region: 'cn-north-1' });
    assert.match(await china.presignGet(KEY_OF_BLOB, 60), /^https:\/\/quay\.s3\.cn-north-1\.amazonaws\.com\.cn\//);
    const host = await driver('S3Storage', { ...base, host: 'minio.example', port: 9000, s3_force_path_style: true });
    assert.equal(host.client.config.forcePathStyle, true);
    assert.match(await host.presignGet(KEY_OF_BLOB, 60), /^https:\/\/minio\.example:9000\/quay\/registry\/sha256\//);
    const url = await driver('S3Storage', { ...base, endpoint_url: 'http://10.0.0.1:9000', host: 'ignored.example' });
    assert.match(await url.presignGet(KEY_OF_BLOB, 60), /^http:\/\/10\.0\.0\.1:9000\/quay\/registry\//); // an IP endpoint is addressed path-style
    assert.equal(url.config.region, 'us-east-1');
  });

  it('GoogleCloudStorage: storage.googleapis.com, region auto, path style, HMAC keys; boto_timeout is the idle timeout', async () => {
    const gcs = await driver('GoogleCloudStorage', { access_key: 'GOOG1', secret_key: 's', bucket_name: 'b', storage_path: 'r', boto_timeout: 30 });
    assert.equal(await gcs.client.config.region(), 'auto');
    assert.equal(gcs.client.config.forcePathStyle, true);
    assert.equal(gcs.config.serverSideAssembly, false);
    assert.equal(gcs.config.idleTimeoutMs, 30_000);
    const url = await gcs.presignGet(KEY_OF_BLOB, 60);
    assert.match(url, /^https:\/\/storage\.googleapis\.com\/b\/r\/sha256\/ab\/abcd\?/);
    assert.match(url, /X-Amz-Credential=GOOG1%2F\d{8}%2Fauto%2Fs3%2Faws4_request/);
  });

  it('RadosGWStorage and IBMCloudStorage: http(s)://hostname[:port], path style', async () => {
    const rados = await driver('RadosGWStorage', { ...hosted, is_secure: false, port: 7480, server_side_assembly: false, maximum_chunk_size_mb: 64 });
    assert.match(await rados.presignGet(KEY_OF_BLOB, 60), /^http:\/\/rgw\.example:7480\/reg\/registry\/sha256\//);
    assert.equal(rados.client.config.forcePathStyle, true);
    assert.deepEqual([rados.config.serverSideAssembly, rados.config.maxPartSize], [false, 64 * 1024 * 1024]);
    const ibm = await driver('IBMCloudStorage', { ...hosted, hostname: 's3.us.cloud-object-storage.appdomain.cloud' });
    assert.match(await ibm.presignGet(KEY_OF_BLOB, 60), /^https:\/\/s3\.us\.cloud-object-storage\.appdomain\.cloud\/reg\/registry\//);
    assert.equal((await driver('RHOCSStorage', hosted)).driverName, 'RHOCSStorage');
  });

  it('a legacy signature_version is accepted with a warning (the SDK signs with SigV4 only)', async () => {
    const warnings: object[] = [];
    await driver('IBMCloudStorage', { ...hosted, signature_version: 's3' }, warnings);
    assert.deepEqual(warnings, [{ driver: 'IBMCloudStorage', signature_version: 's3' }]);
  });

  it('RadosGWStorage, RHOCSStorage and IBMCloudStorage reach s3rver through hostname, port and is_secure', async () => {
    const { port } = await s3rver();
    for (const name of ['RadosGWStorage', 'RHOCSStorage', 'IBMCloudStorage']) {
      const d = await driver(name, { hostname: '127.0.0.1', port, is_secure: false, access_key: KEY, secret_key: SECRET, bucket_name: 'wharf-a', storage_path: `/${name}/` });
      const state = await d.appendUpload(await d.startUpload(randomUUID()), Readable.from([Buffer.from(name)]));
      await d.commitUpload(state, KEY_OF_BLOB);
      const chunks: Buffer[] = [];
      for await (const chunk of await d.read(KEY_OF_BLOB)) chunks.push(chunk as Buffer);
      assert.equal(Buffer.concat(chunks).toString(), name);
      assert.equal((await (await fetch(await d.presignGet(KEY_OF_BLOB, 60))).text()), name);
      await d.delete(KEY_OF_BLOB);
    }
  });
});
