/**
 * End to end with podman: push and pull as root, on a test-private image store (vfs driver, so
 * no overlay or fuse support is needed; its own --root/--runroot/--tmpdir and config files, so
 * the machine's podman state is neither used nor touched), against a real Wharf on each
 * metadata dialect.
 *
 * podman stores layers uncompressed and gzips them again on push, so the pushed layer digests
 * differ from umoci's; what must survive the round trip is the config (the image ID) and the
 * uncompressed layers (the diff IDs). The test checks both, and that the registry serves back
 * exactly the manifest podman pushed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { http, sha256 } from '../support/http.js';
import { buildOciImage, type LayoutImage, type OciImage, readLayout } from '../support/oci-image.js';
import { POSTGRES_SKIP_MESSAGE } from '../support/postgres.js';
import { type Dialect, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { privatePodman, type PrivatePodman } from '../support/podman.js';
import { requireTools, toolPath } from '../support/tools.js';

const TOOLS = ['podman', 'umoci'] as const;

interface ImageInspect {
  Id: string;
  Digest: string;
  RepoTags: string[];
  RepoDigests: string[];
  RootFS: { Layers: string[] };
}

interface Manifest {
  mediaType?: string;
  config: { digest: string };
  layers: { digest: string; mediaType: string }[];
}

export function podmanSuite(dialect: Dialect): void {
  describe(`podman against Wharf on ${dialect}`, () => {
    let registry: TestRegistry | undefined;
    let image: OciImage | undefined;
    let local: LayoutImage;
    let podman: PrivatePodman;
    let host = '';
    let scratch = '';
    let pushedDigest = '';

    before(async () => {
      if (TOOLS.some((name) => !toolPath(name))) return; // each test reports the missing tool
      registry = await startTestRegistry({ dialect });
      if (!registry) return;
      host = new URL(registry.url).host;
      image = await buildOciImage({ layers: 3, layerSize: 128 * 1024, seed: `podman-${dialect}-${randomBytes(8).toString('hex')}` });
      local = await readLayout(image.layoutDir);
      scratch = await mkdtemp(join(tmpdir(), 'wharf-podman-'));
      podman = await privatePodman(scratch);
    });
    after(async () => {
      // vfs layers are plain folders owned by root: removing the store needs no unmounting.
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

    const inspect = async (ref: string) => (JSON.parse((await podman('image', 'inspect', ref)).stdout) as ImageInspect[])[0]!;

    test('podman imports the umoci image into its private store', async () => {
      // `podman pull oci:<path>` names the image localhost/<path>, which must be lowercase (a
      // mkdtemp path is not): pull by the path relative to its parent, naming it localhost/image.
      await podman.in(dirname(image!.layoutDir), 'pull', `oci:${basename(image!.layoutDir)}:${image!.tag}`);
      const info = await inspect('localhost/image:latest');
      assert.equal(`sha256:${info.Id}`, local.configDigest);
    });

    test('podman push sends it to acme/podman:v1; the registry serves the pushed manifest', async () => {
      const digestFile = join(scratch, 'digest');
      await podman('push', '--tls-verify=false', '--digestfile', digestFile, 'localhost/image:latest', `docker://${host}/acme/podman:v1`);
      pushedDigest = (await readFile(digestFile, 'utf8')).trim();
      assert.match(pushedDigest, /^sha256:[0-9a-f]{64}$/);
      const res = await http(registry!.url, 'GET', '/v2/acme/podman/manifests/v1', {
        headers: { accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers['docker-content-digest'], pushedDigest);
      assert.equal(sha256(res.body), pushedDigest);
      const manifest = res.json<Manifest>();
      assert.equal(manifest.config.digest, local.configDigest, 'podman pushed the config unchanged');
      // Each layer the registry serves must gunzip to the diff ID the config names.
      const config = JSON.parse((await http(registry!.url, 'GET', `/v2/acme/podman/blobs/${local.configDigest}`)).body.toString()) as { rootfs: { diff_ids: string[] } };
      assert.equal(manifest.layers.length, 3);
      for (const [i, layer] of manifest.layers.entries()) {
        const blob = await http(registry!.url, 'GET', `/v2/acme/podman/blobs/${layer.digest}`);
        assert.equal(blob.status, 200);
        assert.equal(sha256(blob.body), layer.digest);
        assert.equal(sha256(gunzipSync(blob.body)), config.rootfs.diff_ids[i]);
      }
    });

    test('after removing it locally, podman pull brings back the same image', async () => {
      await podman('rmi', '--all', '--force');
      assert.equal((await podman('images', '--quiet')).stdout.trim(), '', 'the private store is empty');
      await podman('pull', '--tls-verify=false', `docker://${host}/acme/podman:v1`);
      const info = await inspect(`${host}/acme/podman:v1`);
      assert.equal(`sha256:${info.Id}`, local.configDigest, 'same image ID (config digest)');
      assert.equal(info.Digest, pushedDigest, 'same manifest digest as pushed');
      assert.ok(info.RepoDigests.includes(`${host}/acme/podman@${pushedDigest}`), JSON.stringify(info.RepoDigests));
      assert.ok(info.RepoTags.includes(`${host}/acme/podman:v1`), JSON.stringify(info.RepoTags));
      const config = JSON.parse((await readFile(join(image!.layoutDir, 'blobs', 'sha256', local.configDigest.slice(7)))).toString()) as { rootfs: { diff_ids: string[] } };
      assert.deepEqual(info.RootFS.Layers, config.rootfs.diff_ids, 'same uncompressed layers');
    });
  });
}

podmanSuite('sqlite');
podmanSuite('postgres');
