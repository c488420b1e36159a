/**
 * End to end with a real client: skopeo (containers/image, the library podman, buildah and
 * CRI-O push and pull with) against a real Wharf, once per metadata dialect. The image is a
 * 3-layer OCI layout built offline with umoci, whose manifest has no `mediaType` field.
 *
 * skopeo talks to the registry through a recording proxy (recording-proxy.ts), so a test can
 * also assert what went over the wire, not only the outcome.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { http, sha256 } from '../support/http.js';
import { buildOciImage, type LayoutImage, layoutBlobPath, type OciImage, readLayout } from '../support/oci-image.js';
import { POSTGRES_SKIP_MESSAGE } from '../support/postgres.js';
import { type Dialect, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { requireTools, run, RunError, toolPath } from '../support/tools.js';
import { type RecordedRequest, type RecordingProxy, startRecordingProxy } from './recording-proxy.js';

const TOOLS = ['skopeo', 'umoci'] as const;
const LAYER_SIZE = 256 * 1024;
const TLS = '--tls-verify=false';
const COPY_TLS = ['--src-tls-verify=false', '--dest-tls-verify=false'];

function skopeo(...args: string[]) {
  return run('skopeo', args, { timeout: 120_000 });
}

/** All files under `dir` (recursively); 0 when it does not exist. */
async function countFiles(dir: string): Promise<number> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).length;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw e;
  }
}

/** The decoded query of a recorded request (clients percent-encode the `:` of digests). */
function queryOf(request: RecordedRequest): URLSearchParams {
  return new URL(request.url, 'http://registry').searchParams;
}

function uploadRequestsOf(requests: readonly RecordedRequest[], repo: string) {
  const prefix = `/v2/${repo}/blobs/uploads/`;
  return requests.filter((r) => r.url.startsWith(prefix));
}

export function skopeoSuite(dialect: Dialect): void {
  describe(`skopeo against Wharf on ${dialect}`, () => {
    let registry: TestRegistry | undefined;
    let proxy: RecordingProxy | undefined;
    let image: OciImage | undefined;
    let local: LayoutImage;
    let host = '';
    let scratch = '';

    before(async () => {
      if (TOOLS.some((name) => !toolPath(name))) return; // each test reports the missing tool
      registry = await startTestRegistry({ dialect });
      if (!registry) return;
      proxy = await startRecordingProxy(registry.url);
      host = proxy.host;
      // A fresh seed per run: the layer digests are new to skopeo's blob-info cache
      // (/var/lib/containers/cache), so no earlier run's cached locations affect this one.
      image = await buildOciImage({ layers: 3, layerSize: LAYER_SIZE, seed: `skopeo-${dialect}-${randomBytes(8).toString('hex')}` });
      local = await readLayout(image.layoutDir);
      scratch = await mkdtemp(join(tmpdir(), 'wharf-skopeo-'));
    });
    after(async () => {
      await proxy?.close();
      await registry?.destroy();
      await image?.cleanup();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    const test = (name: string, fn: () => Promise<void>) =>
      it(name, { timeout: 180_000 }, async (t) => {
        if (!requireTools(TOOLS, t)) return;
        if (!registry || !image) return t.skip(POSTGRES_SKIP_MESSAGE);
        await fn();
      });

    test('the umoci image has 3 layers and a manifest without mediaType', async () => {
      assert.equal(local.layerDigests.length, 3);
      assert.equal(sha256(local.manifestBytes), local.manifestDigest);
      assert.equal((JSON.parse(local.manifestBytes.toString()) as { mediaType?: string }).mediaType, undefined);
    });

    test('skopeo copy oci: → docker:// pushes the image under acme/app:v1', async () => {
      await skopeo('copy', ...COPY_TLS, image!.ref, `docker://${host}/acme/app:v1`);
      const res = await http(registry!.url, 'HEAD', '/v2/acme/app/manifests/v1');
      assert.equal(res.status, 200);
      assert.equal(res.headers['docker-content-digest'], local.manifestDigest);
      assert.equal(res.headers['content-type'], 'application/vnd.oci.image.manifest.v1+json');
      for (const digest of local.blobDigests) {
        assert.equal((await http(registry!.url, 'HEAD', `/v2/acme/app/blobs/${digest}`)).status, 200, digest);
      }
    });

    test('skopeo inspect --raw returns the manifest bytes of the local layout', async () => {
      const { stdout } = await skopeo('inspect', TLS, '--raw', `docker://${host}/acme/app:v1`);
      assert.equal(sha256(stdout), local.manifestDigest);
      assert.equal(stdout, local.manifestBytes.toString());
    });

    test('skopeo copy docker:// → oci: pulls the same manifest and byte-identical blobs', async () => {
      const out = join(scratch, 'pulled');
      await skopeo('copy', ...COPY_TLS, `docker://${host}/acme/app:v1`, `oci:${out}:v1`);
      const pulled = await readLayout(out, 'v1');
      assert.equal(pulled.manifestDigest, local.manifestDigest);
      assert.equal(pulled.configDigest, local.configDigest);
      assert.deepEqual(pulled.layerDigests, local.layerDigests);
      for (const digest of local.blobDigests) {
        const [mine, theirs] = await Promise.all([readFile(layoutBlobPath(image!.layoutDir, digest)), readFile(layoutBlobPath(out, digest))]);
        assert.ok(mine.equals(theirs), `blob ${digest} differs after the round trip`);
        assert.equal(sha256(theirs), digest);
      }
    });

    test('skopeo list-tags lists v1, then v2 after tagging by copy', async () => {
      const tags = async () => (JSON.parse((await skopeo('list-tags', TLS, `docker://${host}/acme/app`)).stdout) as { Repository: string; Tags: string[] });
      const first = await tags();
      assert.equal(first.Repository, `${host}/acme/app`);
      assert.deepEqual(first.Tags, ['v1']);
      await skopeo('copy', ...COPY_TLS, `docker://${host}/acme/app:v1`, `docker://${host}/acme/app:v2`);
      assert.deepEqual((await tags()).Tags, ['v1', 'v2']);
      const v2 = await http(registry!.url, 'HEAD', '/v2/acme/app/manifests/v2');
      assert.equal(v2.headers['docker-content-digest'], local.manifestDigest);
    });

    test('skopeo inspect (non-raw) reads the manifest and the config', async () => {
      const { stdout } = await skopeo('inspect', TLS, `docker://${host}/acme/app:v1`);
      const info = JSON.parse(stdout) as { Name: string; Digest: string; Layers: string[]; Os: string; Architecture: string; RepoTags: string[] };
      assert.equal(info.Name, `${host}/acme/app`);
      assert.equal(info.Digest, local.manifestDigest);
      assert.deepEqual(info.Layers, local.layerDigests);
      assert.equal(info.Os, 'linux');
      assert.ok(info.Architecture);
      assert.deepEqual([...info.RepoTags].sort(), ['v1', 'v2']);
    });

    test('skopeo copy docker:// → docker:// into another repository mounts the layers', async () => {
      // What proves a mount, and why it is robust:
      // 1. On the wire (recording proxy): skopeo asked `POST .../acme/copy/blobs/uploads/
      //    ?mount=<layer>&from=acme/app` for every layer and Wharf answered 201 (blob linked),
      //    and no upload to acme/copy names a layer digest or carries anything near a layer's
      //    bytes (layers are 256 KiB of incompressible data). skopeo 1.9 does not try to reuse
      //    the config: it uploads those few hundred bytes again, which is allowed.
      // 2. Through the registry: every blob is now present in acme/copy (HEAD 200) and the
      //    manifest is identical.
      // 3. In storage: LocalStorage is content-addressed, so the number of files under
      //    <dataDir>/storage/sha256 must not grow, and no upload session is left behind
      //    under <dataDir>/storage/uploads. (Alone, 3 would also hold for a re-upload of
      //    identical bytes, hence 1.)
      const storage = join(registry!.dataDir, 'storage');
      const blobsBefore = await countFiles(join(storage, 'sha256'));
      assert.equal(blobsBefore, local.blobDigests.length);
      proxy!.clear();
      await skopeo('copy', ...COPY_TLS, `docker://${host}/acme/app:v1`, `docker://${host}/acme/copy:v1`);
      const uploads = uploadRequestsOf(proxy!.requests, 'acme/copy');
      for (const digest of local.layerDigests) {
        const mounted = uploads.find((r) => r.method === 'POST' && queryOf(r).get('mount') === digest && queryOf(r).get('from') === 'acme/app');
        assert.ok(mounted, `no mount request for ${digest}; upload requests: ${JSON.stringify(uploads)}`);
        assert.equal(mounted.status, 201);
      }
      const uploadedBytes = uploads.reduce((n, r) => n + r.bodyBytes, 0);
      assert.ok(uploadedBytes < LAYER_SIZE, `${uploadedBytes} bytes were uploaded to acme/copy: ${JSON.stringify(uploads)}`);
      for (const digest of local.layerDigests) {
        assert.ok(!uploads.some((r) => r.method !== 'DELETE' && queryOf(r).get('digest') === digest), `layer ${digest} was uploaded, not mounted`);
      }
      for (const digest of local.blobDigests) {
        assert.equal((await http(registry!.url, 'HEAD', `/v2/acme/copy/blobs/${digest}`)).status, 200, digest);
      }
      const manifest = await http(registry!.url, 'HEAD', '/v2/acme/copy/manifests/v1');
      assert.equal(manifest.headers['docker-content-digest'], local.manifestDigest);
      assert.equal(await countFiles(join(storage, 'sha256')), blobsBefore);
      assert.equal(await countFiles(join(storage, 'uploads')), 0);
    });

    test('skopeo delete removes acme/app:v1; inspect then fails with manifest unknown', async () => {
      await skopeo('delete', TLS, `docker://${host}/acme/app:v1`);
      const failure = await skopeo('inspect', TLS, '--raw', `docker://${host}/acme/app:v1`).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(failure instanceof RunError, 'inspect of a deleted manifest succeeded');
      assert.match(failure.stderr, /manifest unknown/i);
      const res = await http(registry!.url, 'GET', `/v2/acme/app/manifests/${local.manifestDigest}`);
      assert.equal(res.status, 404);
      assert.equal(res.code, 'MANIFEST_UNKNOWN');
      // The other repository's copy is untouched.
      const { stdout } = await skopeo('inspect', TLS, '--raw', `docker://${host}/acme/copy:v1`);
      assert.equal(sha256(stdout), local.manifestDigest);
    });
  });
}

skopeoSuite('sqlite');
skopeoSuite('postgres');
