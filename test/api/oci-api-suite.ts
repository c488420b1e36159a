/**
 * The OCI Distribution API, end to end over HTTP against a real server, run once per
 * metadata dialect (SQLite, PostgreSQL). Each test asserts the status, headers and error code
 * the spec requires, and that bad input changed nothing.
 */
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { http, imageManifest, pushBlob, pushImage, sha256 } from '../support/http.js';
import { type Dialect, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { POSTGRES_SKIP_MESSAGE } from '../support/postgres.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';

export function ociApiSuite(dialect: Dialect): void {
  describe(`OCI distribution API on ${dialect}`, () => {
    let registry: TestRegistry | undefined;
    let base = '';

    before(async () => {
      registry = await startTestRegistry({ dialect });
      base = registry?.url ?? '';
    });
    after(async () => registry?.destroy());

    const test = (name: string, fn: () => Promise<void>) =>
      it(name, async (t) => {
        if (!registry) return t.skip(POSTGRES_SKIP_MESSAGE);
        await fn();
      });

    test('GET /v2/ answers 200 with the API version header', async () => {
      const res = await http(base, 'GET', '/v2/');
      assert.equal(res.status, 200);
      assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
    });

    test('monolithic POST ?digest= stores the blob; HEAD, GET and Range serve it', async () => {
      const data = Buffer.from('hello wharf, a small blob');
      const digest = await pushBlob(base, 'acme/app', data);
      const head = await http(base, 'HEAD', `/v2/acme/app/blobs/${digest}`);
      assert.equal(head.status, 200);
      assert.equal(head.headers['content-length'], String(data.length));
      assert.equal(head.headers['docker-content-digest'], digest);
      const get = await http(base, 'GET', `/v2/acme/app/blobs/${digest}`);
      assert.equal(get.status, 200);
      assert.deepEqual(get.body, data);
      assert.equal(get.headers['x-wharf-storage-location'], 'local');
      const part = await http(base, 'GET', `/v2/acme/app/blobs/${digest}`, { headers: { range: 'bytes=6-10' } });
      assert.equal(part.status, 206);
      assert.equal(part.headers['content-range'], `bytes 6-10/${data.length}`);
      assert.equal(part.body.toString(), 'wharf');
      const suffix = await http(base, 'GET', `/v2/acme/app/blobs/${digest}`, { headers: { range: 'bytes=-4' } });
      assert.equal(suffix.body.toString(), 'blob');
      const outside = await http(base, 'GET', `/v2/acme/app/blobs/${digest}`, { headers: { range: 'bytes=999-' } });
      assert.equal(outside.status, 416);
      assert.equal(outside.headers['content-range'], `bytes */${data.length}`);
    });

    test('POST then PUT with the whole body creates the blob', async () => {
      const data = Buffer.from('post-then-put');
      const post = await http(base, 'POST', '/v2/acme/app/blobs/uploads/');
      assert.equal(post.status, 202);
      assert.match(post.headers['location'] ?? '', /^\/v2\/acme\/app\/blobs\/uploads\/[0-9a-f-]{36}$/);
      assert.equal(post.headers['range'], '0-0');
      assert.ok(post.headers['docker-upload-uuid']);
      const put = await http(base, 'PUT', `${post.headers['location']}?digest=${sha256(data)}`, {
        body: data,
        headers: { 'content-type': 'application/octet-stream' },
      });
      assert.equal(put.status, 201);
      assert.equal(put.headers['location'], `/v2/acme/app/blobs/${sha256(data)}`);
      assert.equal(put.headers['docker-content-digest'], sha256(data));
    });

    test('behind a proxy, X-Forwarded-Host and -Proto make Location URLs absolute', async () => {
      const post = await http(base, 'POST', '/v2/acme/proxied/blobs/uploads/', { headers: { 'x-forwarded-host': 'registry.example.com:8443', 'x-forwarded-proto': 'https' } });
      assert.match(post.headers['location'] ?? '', /^https:\/\/registry\.example\.com:8443\/v2\/acme\/proxied\/blobs\/uploads\/[0-9a-f-]{36}$/);
      const spoofed = await http(base, 'POST', '/v2/acme/proxied/blobs/uploads/', { headers: { 'x-forwarded-host': 'evil.example/path?x' } });
      assert.match(spoofed.headers['location'] ?? '', /^\/v2\//, 'an invalid forwarded host is ignored');
    });

    test('chunked upload: PATCH ranges, 416 out of order, status, final chunk in PUT', async () => {
      const data = Buffer.from('0123456789abcdefghijKLMNOPQRST');
      const post = await http(base, 'POST', '/v2/acme/chunks/blobs/uploads/');
      const location = post.headers['location'] as string;
      const p1 = await http(base, 'PATCH', location, { body: data.subarray(0, 10), headers: { 'content-range': '0-9', 'content-type': 'application/octet-stream' } });
      assert.equal(p1.status, 202);
      assert.equal(p1.headers['range'], '0-9');
      assert.equal(p1.headers['location'], location);
      const wrong = await http(base, 'PATCH', location, { body: data.subarray(15, 20), headers: { 'content-range': '15-19' } });
      assert.equal(wrong.status, 416);
      assert.equal(wrong.headers['range'], '0-9');
      const again = await http(base, 'PATCH', location, { body: data.subarray(0, 10), headers: { 'content-range': '0-9' } });
      assert.equal(again.status, 416, 'retrying a chunk already received is out of order');
      const p2 = await http(base, 'PATCH', location, { body: data.subarray(10, 20), headers: { 'content-range': '10-19' } });
      assert.equal(p2.headers['range'], '0-19');
      const status = await http(base, 'GET', location);
      assert.equal(status.status, 204);
      assert.equal(status.headers['range'], '0-19');
      const put = await http(base, 'PUT', `${location}?digest=${sha256(data)}`, { body: data.subarray(20), headers: { 'content-range': '20-29' } });
      assert.equal(put.status, 201);
      const get = await http(base, 'GET', `/v2/acme/chunks/blobs/${sha256(data)}`);
      assert.deepEqual(get.body, data);
      const finished = await http(base, 'PUT', `${location}?digest=${sha256(data)}`);
      assert.equal(finished.status, 404);
      assert.equal(finished.code, 'BLOB_UPLOAD_UNKNOWN');
    });

    test('a streamed PATCH without Content-Range, then PUT without body', async () => {
      const data = Buffer.alloc(3 * 1024 * 1024, 7);
      const post = await http(base, 'POST', '/v2/acme/stream/blobs/uploads/');
      const location = post.headers['location'] as string;
      const patch = await http(base, 'PATCH', location, { body: data });
      assert.equal(patch.headers['range'], `0-${data.length - 1}`);
      const put = await http(base, 'PUT', `${location}?digest=${sha256(data)}`);
      assert.equal(put.status, 201);
    });

    test('wrong digest is DIGEST_INVALID and records nothing', async () => {
      const data = Buffer.from('these bytes');
      const claimed = sha256('other bytes');
      const res = await http(base, 'POST', `/v2/acme/app/blobs/uploads/?digest=${claimed}`, { body: data });
      assert.equal(res.status, 400);
      assert.equal(res.code, 'DIGEST_INVALID');
      assert.equal((await http(base, 'HEAD', `/v2/acme/app/blobs/${claimed}`)).status, 404);
      assert.equal((await http(base, 'HEAD', `/v2/acme/app/blobs/${sha256(data)}`)).status, 404);
      const malformed = await http(base, 'POST', '/v2/acme/app/blobs/uploads/?digest=sha256:xyz', { body: data });
      assert.equal(malformed.code, 'DIGEST_INVALID');
      const post = await http(base, 'POST', '/v2/acme/app/blobs/uploads/');
      const noDigest = await http(base, 'PUT', post.headers['location'] as string, { body: data });
      assert.equal(noDigest.code, 'DIGEST_INVALID');
    });

    test('a chunk whose length disagrees with its headers is SIZE_INVALID and changes nothing', async () => {
      const post = await http(base, 'POST', '/v2/acme/size/blobs/uploads/');
      const location = post.headers['location'] as string;
      const bad = await http(base, 'PATCH', location, { body: Buffer.from('0123456789'), headers: { 'content-range': '0-99' } });
      assert.equal(bad.status, 400);
      assert.equal(bad.code, 'SIZE_INVALID');
      const status = await http(base, 'GET', location);
      assert.equal(status.headers['range'], '0-0');
      const good = await http(base, 'PATCH', location, { body: Buffer.from('0123456789'), headers: { 'content-range': '0-9' } });
      assert.equal(good.headers['range'], '0-9');
      const put = await http(base, 'PUT', `${location}?digest=${sha256('0123456789')}`);
      assert.equal(put.status, 201);
    });

    test('DELETE cancels an upload; unknown upload ids are BLOB_UPLOAD_UNKNOWN', async () => {
      const post = await http(base, 'POST', '/v2/acme/app/blobs/uploads/');
      const location = post.headers['location'] as string;
      assert.equal((await http(base, 'DELETE', location)).status, 204);
      const gone = await http(base, 'GET', location);
      assert.equal(gone.status, 404);
      assert.equal(gone.code, 'BLOB_UPLOAD_UNKNOWN');
      for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', 'UPPER-CASE']) {
        const res = await http(base, 'PATCH', `/v2/acme/app/blobs/uploads/${id}`, { body: Buffer.from('x') });
        assert.equal(res.code, 'BLOB_UPLOAD_UNKNOWN', id);
      }
    });

    test('cross-repository mount links the blob, or falls back to a new session', async () => {
      const digest = await pushBlob(base, 'acme/source', Buffer.from('mount me'));
      const mounted = await http(base, 'POST', `/v2/acme/target/blobs/uploads/?mount=${digest}&from=acme/source`);
      assert.equal(mounted.status, 201);
      assert.equal(mounted.headers['location'], `/v2/acme/target/blobs/${digest}`);
      assert.equal((await http(base, 'HEAD', `/v2/acme/target/blobs/${digest}`)).status, 200);
      const fallback = await http(base, 'POST', `/v2/acme/target/blobs/uploads/?mount=${sha256('absent')}&from=acme/source`);
      assert.equal(fallback.status, 202);
      assert.ok(fallback.headers['docker-upload-uuid']);
      const noSource = await http(base, 'POST', `/v2/acme/target/blobs/uploads/?mount=${digest}&from=nobody/here`);
      assert.equal(noSource.status, 202);
    });

    test('manifests: push by tag, pull by tag and digest with exact bytes, HEAD', async () => {
      const { manifest, digest } = await pushImage(base, 'acme/web', 'v1', 'web');
      for (const ref of ['v1', digest]) {
        const get = await http(base, 'GET', `/v2/acme/web/manifests/${ref}`);
        assert.equal(get.status, 200);
        assert.deepEqual(get.body, manifest);
        assert.equal(get.headers['content-type'], OCI_MANIFEST);
        assert.equal(get.headers['docker-content-digest'], digest);
        const head = await http(base, 'HEAD', `/v2/acme/web/manifests/${ref}`);
        assert.equal(head.status, 200);
        assert.equal(head.headers['content-length'], String(manifest.length));
      }
      const missing = await http(base, 'GET', '/v2/acme/web/manifests/nope');
      assert.equal(missing.code, 'MANIFEST_UNKNOWN');
      const noRepo = await http(base, 'GET', '/v2/acme/nothing/manifests/v1');
      assert.equal(noRepo.code, 'NAME_UNKNOWN');
    });

    test('a manifest without mediaType takes the type from Content-Type', async () => {
      const config = Buffer.from('{"umoci":true}');
      await pushBlob(base, 'acme/umoci', config);
      const body = JSON.parse(imageManifest(config, []).toString()) as Record<string, unknown>;
      delete body.mediaType;
      const bytes = Buffer.from(JSON.stringify(body));
      const put = await http(base, 'PUT', '/v2/acme/umoci/manifests/latest', { body: bytes, headers: { 'content-type': OCI_MANIFEST } });
      assert.equal(put.status, 201);
      const get = await http(base, 'GET', '/v2/acme/umoci/manifests/latest');
      assert.equal(get.headers['content-type'], OCI_MANIFEST);
    });

    test('Docker schema 2 manifests and manifest lists', async () => {
      const config = Buffer.from('{"docker":1}');
      const layer = Buffer.from('docker layer');
      await pushBlob(base, 'acme/docker', config);
      await pushBlob(base, 'acme/docker', layer);
      const type = 'application/vnd.docker.distribution.manifest.v2+json';
      const manifest = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: type,
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: sha256(config), size: config.length },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', digest: sha256(layer), size: layer.length }],
      }));
      assert.equal((await http(base, 'PUT', '/v2/acme/docker/manifests/amd64', { body: manifest, headers: { 'content-type': type } })).status, 201);
      const listType = 'application/vnd.docker.distribution.manifest.list.v2+json';
      const list = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: listType,
        manifests: [{ mediaType: type, digest: sha256(manifest), size: manifest.length, platform: { architecture: 'amd64', os: 'linux' } }],
      }));
      const put = await http(base, 'PUT', '/v2/acme/docker/manifests/latest', { body: list, headers: { 'content-type': listType } });
      assert.equal(put.status, 201);
      assert.equal((await http(base, 'GET', '/v2/acme/docker/manifests/latest')).headers['content-type'], listType);
    });

    test('an index naming a missing child, or a manifest naming a missing blob, is MANIFEST_BLOB_UNKNOWN', async () => {
      const index = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: sha256('nothing'), size: 7 }] }));
      const res = await http(base, 'PUT', '/v2/acme/web/manifests/idx', { body: index, headers: { 'content-type': OCI_INDEX } });
      assert.equal(res.status, 400);
      assert.equal(res.code, 'MANIFEST_BLOB_UNKNOWN');
      const orphan = imageManifest(Buffer.from('never pushed config'), []);
      const res2 = await http(base, 'PUT', '/v2/acme/web/manifests/orphan', { body: orphan, headers: { 'content-type': OCI_MANIFEST } });
      assert.equal(res2.code, 'MANIFEST_BLOB_UNKNOWN');
      assert.equal((await http(base, 'GET', '/v2/acme/web/manifests/orphan')).status, 404);
      const fresh = await http(base, 'PUT', '/v2/acme/never-created/manifests/v1', { body: orphan, headers: { 'content-type': OCI_MANIFEST } });
      assert.equal(fresh.code, 'MANIFEST_BLOB_UNKNOWN');
      assert.equal((await http(base, 'GET', '/v2/acme/never-created/tags/list')).code, 'NAME_UNKNOWN', 'a rejected push creates no repository');
    });

    test('invalid manifests are rejected with MANIFEST_INVALID, DIGEST_INVALID or 413', async () => {
      const put = (ref: string, body: Buffer | string, type = OCI_MANIFEST) =>
        http(base, 'PUT', `/v2/acme/web/manifests/${ref}`, { body, headers: { 'content-type': type } });
      assert.equal((await put('bad', '{not json')).code, 'MANIFEST_INVALID');
      assert.equal((await put('bad', '{"schemaVersion":2,"layers":"x","config":{}}')).code, 'MANIFEST_INVALID');
      assert.equal((await put('bad', '[]')).code, 'MANIFEST_INVALID');
      const big = await put('big', Buffer.alloc(4 * 1024 * 1024 + 1, 32));
      assert.equal(big.status, 413);
      const { manifest } = await pushImage(base, 'acme/web', 'v2', 'web2');
      const byDigest = await put(sha256('something else'), manifest);
      assert.equal(byDigest.code, 'DIGEST_INVALID');
      assert.equal((await http(base, 'GET', '/v2/acme/web/manifests/bad')).status, 404);
    });

    test('subject gives OCI-Subject; referrers lists it, filters by artifactType', async () => {
      const { digest: subject, manifest: subjectBytes } = await pushImage(base, 'acme/sig', 'app', 'app');
      const sbomType = 'application/vnd.example.sbom.v1';
      const empty = Buffer.from('{}');
      await pushBlob(base, 'acme/sig', empty);
      const referrer = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: sbomType,
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 },
        layers: [], subject: { mediaType: OCI_MANIFEST, digest: subject, size: subjectBytes.length },
        annotations: { 'org.example.kind': 'sbom' },
      }));
      const put = await http(base, 'PUT', `/v2/acme/sig/manifests/${sha256(referrer)}`, { body: referrer, headers: { 'content-type': OCI_MANIFEST } });
      assert.equal(put.status, 201);
      assert.equal(put.headers['oci-subject'], subject);
      const list = await http(base, 'GET', `/v2/acme/sig/referrers/${subject}`);
      assert.equal(list.status, 200);
      assert.equal(list.headers['content-type'], OCI_INDEX);
      const index = list.json<{ manifests: { digest: string; artifactType: string; annotations: Record<string, string> }[] }>();
      assert.equal(index.manifests.length, 1);
      assert.equal(index.manifests[0]?.digest, sha256(referrer));
      assert.equal(index.manifests[0]?.artifactType, sbomType);
      assert.equal(index.manifests[0]?.annotations['org.example.kind'], 'sbom');
      const filtered = await http(base, 'GET', `/v2/acme/sig/referrers/${subject}?artifactType=other/type`);
      assert.equal(filtered.headers['oci-filters-applied'], 'artifactType');
      assert.equal(filtered.json<{ manifests: unknown[] }>().manifests.length, 0);
      const none = await http(base, 'GET', `/v2/acme/sig/referrers/${sha256('no referrers')}`);
      assert.equal(none.status, 200);
      assert.equal(none.json<{ manifests: unknown[] }>().manifests.length, 0);
      assert.equal((await http(base, 'GET', '/v2/acme/sig/referrers/sha256:bad')).status, 400);
    });

    test('tags/list and _catalog paginate with n, last and a Link header', async () => {
      for (const tag of ['b', 'a', 'c', 'A']) await pushImage(base, 'acme/tags', tag, 'tags');
      const all = await http(base, 'GET', '/v2/acme/tags/tags/list');
      assert.deepEqual(all.json(), { name: 'acme/tags', tags: ['A', 'a', 'b', 'c'] });
      const first = await http(base, 'GET', '/v2/acme/tags/tags/list?n=2');
      assert.deepEqual(first.json<{ tags: string[] }>().tags, ['A', 'a']);
      assert.equal(first.headers['link'], '</v2/acme/tags/tags/list?n=2&last=a>; rel="next"');
      const next = await http(base, 'GET', '/v2/acme/tags/tags/list?n=2&last=a');
      assert.deepEqual(next.json<{ tags: string[] }>().tags, ['b', 'c']);
      assert.equal(next.headers['link'], undefined);
      const zero = await http(base, 'GET', '/v2/acme/tags/tags/list?n=0');
      assert.deepEqual(zero.json<{ tags: string[] }>().tags, []);
      assert.equal((await http(base, 'GET', '/v2/acme/ghost/tags/list')).code, 'NAME_UNKNOWN');
      const catalog = await http(base, 'GET', '/v2/_catalog?n=1');
      assert.equal(catalog.json<{ repositories: string[] }>().repositories.length, 1);
      assert.match(catalog.headers['link'] ?? '', /^<\/v2\/_catalog\?n=1&last=[^>]+>; rel="next"$/);
      const everything = (await http(base, 'GET', '/v2/_catalog')).json<{ repositories: string[] }>().repositories;
      assert.ok(everything.includes('acme/tags'));
      assert.deepEqual(everything, [...everything].sort());
    });

    test('delete a tag, then the manifest, then a blob', async () => {
      const { digest } = await pushImage(base, 'acme/del', 'one', 'del');
      await http(base, 'PUT', `/v2/acme/del/manifests/two`, { body: (await http(base, 'GET', `/v2/acme/del/manifests/${digest}`)).body, headers: { 'content-type': OCI_MANIFEST } });
      assert.equal((await http(base, 'DELETE', '/v2/acme/del/manifests/one')).status, 202);
      assert.equal((await http(base, 'GET', '/v2/acme/del/manifests/one')).status, 404);
      assert.equal((await http(base, 'GET', '/v2/acme/del/manifests/two')).status, 200);
      assert.equal((await http(base, 'DELETE', `/v2/acme/del/manifests/${digest}`)).status, 202);
      assert.equal((await http(base, 'GET', `/v2/acme/del/manifests/${digest}`)).status, 404);
      assert.equal((await http(base, 'GET', '/v2/acme/del/manifests/two')).status, 404, 'tags on a deleted manifest go too');
      assert.equal((await http(base, 'DELETE', `/v2/acme/del/manifests/${digest}`)).code, 'MANIFEST_UNKNOWN');
      const blob = await pushBlob(base, 'acme/del', Buffer.from('delete me'));
      assert.equal((await http(base, 'DELETE', `/v2/acme/del/blobs/${blob}`)).status, 202);
      assert.equal((await http(base, 'HEAD', `/v2/acme/del/blobs/${blob}`)).status, 404);
      assert.equal((await http(base, 'DELETE', `/v2/acme/del/blobs/${blob}`)).code, 'BLOB_UNKNOWN');
    });

    test('invalid names, tags and digests are rejected without touching storage', async () => {
      const storage = join(registry?.dataDir ?? '', 'storage');
      await pushBlob(base, 'acme/app', Buffer.from('{}'));
      const before = await listTree(storage);
      const long = `a/${'b'.repeat(300)}`;
      for (const name of ['..', '%2e%2e', 'acme/..', 'acme/%2e%2e/x', 'Acme/App', long, 'acme//app', '-acme/app', 'acme/app/']) {
        const res = await http(base, 'POST', `/v2/${name}/blobs/uploads/`);
        assert.equal(res.code, 'NAME_INVALID', `${name}: ${res.status} ${res.body.toString()}`);
      }
      assert.equal((await http(base, 'POST', '/v2//etc/passwd/blobs/uploads/')).code, 'NAME_INVALID');
      assert.equal((await http(base, 'GET', '/v2/acme/app/blobs/sha256:..%2f..%2fetc')).code, 'DIGEST_INVALID');
      assert.equal((await http(base, 'GET', '/v2/acme/app/blobs/md5:abc')).code, 'DIGEST_INVALID');
      const manifest = imageManifest(Buffer.from('{}'), []);
      for (const tag of ['-bad-tag', '.INVALID', 't'.repeat(129)]) {
        const put = await http(base, 'PUT', `/v2/acme/app/manifests/${tag}`, { body: manifest, headers: { 'content-type': OCI_MANIFEST } });
        assert.equal(put.status, 400, tag);
        assert.equal(put.code, 'MANIFEST_INVALID', tag);
        assert.equal((await http(base, 'GET', `/v2/acme/app/manifests/${tag}`)).code, 'MANIFEST_UNKNOWN', 'a tag that cannot exist is unknown');
      }
      assert.deepEqual(await listTree(storage), before);
    });

    test('unsupported methods are 405 UNSUPPORTED; unknown paths are 404', async () => {
      const res = await http(base, 'PUT', '/v2/acme/app/tags/list');
      assert.equal(res.status, 405);
      assert.equal(res.code, 'UNSUPPORTED');
      assert.equal((await http(base, 'GET', '/v2/acme/app/whatever')).status, 404);
    });

    test('a chunked upload survives a server restart', async () => {
      const data = Buffer.from('first half|second half');
      const post = await http(base, 'POST', '/v2/acme/restart/blobs/uploads/');
      const location = post.headers['location'] as string;
      await http(base, 'PATCH', location, { body: data.subarray(0, 11), headers: { 'content-range': '0-10' } });
      const current = registry as TestRegistry;
      await current.stop();
      registry = await startTestRegistry({ dialect, reuse: { dataDir: current.dataDir, config: current.config } });
      base = registry?.url ?? '';
      const restored = registry as TestRegistry;
      registry = { ...restored, destroy: async () => { await restored.stop(); await current.destroy(); } };
      const status = await http(base, 'GET', location);
      assert.equal(status.headers['range'], '0-10');
      const patch = await http(base, 'PATCH', location, { body: data.subarray(11), headers: { 'content-range': `11-${data.length - 1}` } });
      assert.equal(patch.status, 202);
      const put = await http(base, 'PUT', `${location}?digest=${sha256(data)}`);
      assert.equal(put.status, 201, put.body.toString());
      assert.deepEqual((await http(base, 'GET', `/v2/acme/restart/blobs/${sha256(data)}`)).body, data);
    });
  });
}

async function listTree(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).map(String).sort();
  } catch {
    return [];
  }
}
