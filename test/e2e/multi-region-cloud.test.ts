/**
 * Geo-replication end to end on cloud drivers (issue 4, "Tests"): the multi-region topology of
 * multi-region.test.ts, with `us` on S3Storage (a real s3rver) and `eu` on AzureStorage (a real
 * azurite) instead of LocalStorage folders:
 *
 *   us instance  "us eu"  --roles web          eu instance  "eu us"  --roles web
 *                 \                                          /
 *                  one PostgreSQL database, one Redis (per-run prefix)
 *                 /                                          \
 *   s3rver (S3Storage, us)     replication worker process    azurite (AzureStorage, eu)
 *
 * Pulls redirect (307) to a presigned URL of the nearest holder's emulator; replication crosses
 * driver types (no server-side copy possible: a verified stream); when s3rver is stopped, reads
 * and writes of the us instance fail over to eu; with FEATURE_PROXY_STORAGE the bytes stream
 * through the registry. The tests run in order and build on each other.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { type Azurite, AZURITE_ACCOUNT, AZURITE_KEY, startAzurite } from '../support/azurite.js';
import { http } from '../support/http.js';
import { type CliRun, MultiRegion, type WharfNode } from '../support/multi-region.js';
import { buildOciImage, type LayoutImage, layoutBlobPath, type OciImage, readLayout } from '../support/oci-image.js';
import { POSTGRES_SKIP_MESSAGE } from '../support/postgres.js';
import { REDIS_SKIP_MESSAGE } from '../support/redis.js';
import { type S3rver, S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, startS3rver } from '../support/s3rver.js';
import { requireTools, run, toolPath } from '../support/tools.js';

const TOOLS = ['skopeo', 'umoci'] as const;
const COPY_TLS = ['--src-tls-verify=false', '--dest-tls-verify=false'];
const BUCKET = 'wharf-us';
/** storage_path of each location: objects are at `<storage_path>/sha256/<2 hex>/<hex>`. */
const US_PATH = 'registry/us';
const EU_PATH = 'registry/eu';

const hostOf = (node: WharfNode) => new URL(node.origin).host;
const sha256 = (data: Buffer) => `sha256:${createHash('sha256').update(data).digest('hex')}`;
const objectKey = (storagePath: string, digest: string) => {
  const hex = digest.slice('sha256:'.length);
  return `${storagePath}/sha256/${hex.slice(0, 2)}/${hex}`;
};

function skopeo(...args: string[]) {
  return run('skopeo', args, { timeout: 60_000 });
}

function exits(res: CliRun, code: number, what: string): void {
  assert.equal(res.code, code, `${what}: exit ${res.code}\nstdout:\n${res.stdout}\nstderr:\n${res.stderr}`);
}

interface BlobGet {
  status: number;
  /** X-Wharf-Storage-Location: which location served (or was redirected to). */
  location: string | undefined;
  /** The Location header of a redirect. */
  redirect: string | undefined;
  body: Buffer;
}

/** GET /v2/<repo>/blobs/<digest> without following redirects. */
async function getBlob(node: WharfNode, repo: string, digest: string): Promise<BlobGet> {
  const res = await http(node.origin, 'GET', `/v2/${repo}/blobs/${digest}`);
  return { status: res.status, location: res.headers['x-wharf-storage-location'], redirect: res.headers.location, body: res.body };
}

/** Fetches a redirect target (a presigned S3 URL or an Azure SAS URL) as a plain client would. */
async function follow(url: string): Promise<{ status: number; body: Buffer }> {
  const u = new URL(url);
  const res = await http(u.origin, 'GET', `${u.pathname}${u.search}`);
  return { status: res.status, body: res.body };
}

describe('multi-region on cloud drivers: us on S3 (s3rver), eu on Azure (azurite)', () => {
  let mr: MultiRegion | undefined;
  let skipReason = '';
  let s3rver: S3rver | undefined;
  let azurite: Azurite | undefined;
  let container = '';
  let config = '';
  let proxyConfig = '';
  let scratch = '';
  const images: OciImage[] = [];
  let image: OciImage;
  let layout: LayoutImage;
  let us: WharfNode;
  let eu: WharfNode;
  let worker: WharfNode | undefined;

  before(async () => {
    if (TOOLS.some((name) => !toolPath(name))) return; // each test reports the missing tool
    mr = await MultiRegion.create();
    if (!mr) {
      skipReason = process.env.WHARF_TEST_REDIS_URL ? POSTGRES_SKIP_MESSAGE : REDIS_SKIP_MESSAGE;
      return;
    }
    const seed = randomBytes(8).toString('hex');
    const [s3, az, ...built] = await Promise.all([
      startS3rver([BUCKET]),
      startAzurite(),
      buildOciImage({ layers: 3, layerSize: 128 * 1024, seed: `cloud-app-${seed}` }),
      buildOciImage({ layers: 3, layerSize: 64 * 1024, seed: `cloud-failover-${seed}` }),
    ]);
    [s3rver, azurite] = [s3, az];
    images.push(...built);
    container = await az.createContainer();
    image = images[0]!;
    layout = await readLayout(image.layoutDir);
    scratch = await mkdtemp(join(tmpdir(), 'wharf-multi-region-cloud-pull-'));
    const shape = {
      locations: ['us', 'eu'],
      defaults: ['us', 'eu'],
      storage: {
        us: [
          'S3Storage',
          {
            s3_bucket: BUCKET,
            storage_path: `/${US_PATH}`,
            s3_access_key: S3RVER_ACCESS_KEY,
            s3_secret_key: S3RVER_SECRET_KEY,
            endpoint_url: s3.endpoint,
            s3_force_path_style: true,
          },
        ],
        eu: ['AzureStorage', az.params(container, { storage_path: `/${EU_PATH}` })],
      },
    } as const;
    config = await mr.writeConfig('config.yaml', { ...shape, proxyStorage: false });
    proxyConfig = await mr.writeConfig('config-proxy.yaml', { ...shape, proxyStorage: true });
  });
  after(async () => {
    await mr?.destroy();
    await Promise.allSettled([s3rver?.stop(), azurite?.stop(), ...images.map((i) => i.cleanup())]);
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  const test = (name: string, fn: (t: TestContext) => Promise<void>) =>
    it(name, { timeout: 90_000 }, async (t) => {
      if (!requireTools(TOOLS, t)) return;
      if (!mr) return t.skip(skipReason);
      await fn(t);
    });

  const s3Prefix = () => `${s3rver!.endpoint}/${BUCKET}/${US_PATH}/sha256/`;
  const azurePrefix = () => `${azurite!.accountUrl}/${container}/${EU_PATH}/sha256/`;

  /** The bytes of `digest` in the source image layout. */
  const original = (source: OciImage, digest: string) => readFile(layoutBlobPath(source.layoutDir, digest));

  /** A raw blob GET answers 307 to `prefix` (an emulator), and that URL serves exactly the blob. */
  const assertRedirect = async (node: WharfNode, repo: string, digest: string, source: OciImage, where: { location: string; prefix: string }) => {
    const res = await getBlob(node, repo, digest);
    assert.equal(res.status, 307, `GET ${repo}@${digest} on ${node.name}: ${res.status} ${res.body.toString()}`);
    assert.equal(res.location, where.location, `X-Wharf-Storage-Location of ${digest} on ${node.name}`);
    const url = res.redirect ?? '';
    assert.ok(url.startsWith(where.prefix), `${node.name} redirects ${digest} to ${url}, expected ${where.prefix}…`);
    const target = await follow(url);
    assert.equal(target.status, 200, `GET ${url}: ${target.status} ${target.body.toString()}`);
    assert.ok(target.body.equals(await original(source, digest)), `${url} serves other bytes than ${digest}`);
  };
  const s3 = () => ({ location: 'us', prefix: s3Prefix() });
  const azure = () => ({ location: 'eu', prefix: azurePrefix() });

  /** Pulls with skopeo from `node` (following the redirects) and checks every blob is byte-identical. */
  const skopeoPull = async (node: WharfNode, ref: string, source: OciImage, expected: LayoutImage) => {
    const out = join(scratch, randomBytes(4).toString('hex'));
    await skopeo('copy', ...COPY_TLS, `docker://${hostOf(node)}/${ref}`, `oci:${out}:pulled`);
    const pulled = await readLayout(out, 'pulled');
    assert.equal(pulled.manifestDigest, expected.manifestDigest);
    for (const digest of expected.blobDigests) {
      const [mine, theirs] = await Promise.all([original(source, digest), readFile(layoutBlobPath(out, digest))]);
      assert.ok(mine.equals(theirs), `blob ${digest} pulled from ${node.name} differs`);
    }
    await rm(out, { recursive: true, force: true });
  };

  test('skopeo push to us (S3); pulls redirect to s3rver from both instances, then eu redirects to azurite after replication', async (t) => {
    const m = mr!;
    [us, eu] = await Promise.all([m.web('us', config, 'us eu'), m.web('eu', config, 'eu us')]);
    await skopeo('copy', ...COPY_TLS, image.ref, `docker://${hostOf(us)}/acme/app:v1`);
    assert.equal(layout.blobDigests.length, 4, 'config + 3 layers');
    for (const digest of layout.blobDigests) assert.deepEqual(await m.placements(digest), ['us'], digest);

    // Before replication: only s3rver holds the blobs, so both instances redirect there.
    for (const digest of layout.blobDigests) {
      await assertRedirect(us, 'acme/app', digest, image, s3());
      await assertRedirect(eu, 'acme/app', digest, image, s3());
    }
    await Promise.all([skopeoPull(us, 'acme/app:v1', image, layout), skopeoPull(eu, 'acme/app:v1', image, layout)]);

    // The worker copies us → eu; status --wait sees it converge.
    worker = await m.worker('worker', config, 'eu us');
    exits(await m.wharf(['replication', 'status', '--wait', '--timeout', '60', '--interval', '0.2'], config), 0, 'replication status --wait');
    for (const digest of layout.blobDigests) assert.deepEqual(await m.placements(digest), ['eu', 'us'], digest);

    // After: each instance redirects to its own region's emulator.
    for (const digest of layout.blobDigests) {
      await assertRedirect(eu, 'acme/app', digest, image, azure());
      await assertRedirect(us, 'acme/app', digest, image, s3());
    }
    await Promise.all([skopeoPull(us, 'acme/app:v1', image, layout), skopeoPull(eu, 'acme/app:v1', image, layout)]);
    t.diagnostic(`redirects: us → ${s3Prefix()}…, eu → ${azurePrefix()}…`);
  });

  test('replication across driver types: both emulators hold every blob at <storage_path>/sha256/<2>/<hex> (a verified stream, no server-side copy)', async () => {
    const s3Client = new S3Client({
      endpoint: s3rver!.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: S3RVER_ACCESS_KEY, secretAccessKey: S3RVER_SECRET_KEY },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const azureContainer = new ContainerClient(`${azurite!.accountUrl}/${container}`, new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY));
    try {
      for (const digest of layout.blobDigests) {
        const inS3 = await s3Client.send(new GetObjectCommand({ Bucket: BUCKET, Key: objectKey(US_PATH, digest) }));
        assert.equal(sha256(Buffer.from(await inS3.Body!.transformToByteArray())), digest, `s3rver ${BUCKET}/${objectKey(US_PATH, digest)}`);
        const inAzure = await azureContainer.getBlobClient(objectKey(EU_PATH, digest)).downloadToBuffer();
        assert.equal(sha256(inAzure), digest, `azurite ${container}/${objectKey(EU_PATH, digest)}`);
      }
    } finally {
      s3Client.destroy();
    }
    // The worker's log: every blob reached eu by a verified stream from us.
    const replicated = worker!
      .logs()
      .split('\n')
      .filter((l) => l.includes('"blob replicated"'))
      .map((l) => JSON.parse(l) as { digest: string; to: string; how: string; from?: string });
    for (const digest of layout.blobDigests) {
      const entry = replicated.find((r) => r.digest === digest);
      assert.deepEqual(entry && [entry.to, entry.how, entry.from], ['eu', 'copied', 'us'], `replication of ${digest}: ${JSON.stringify(entry)}`);
    }
  });

  test('FEATURE_PROXY_STORAGE: true: a blob GET answers 200 with the bytes streamed from the nearest holder (no redirect)', async () => {
    const proxy = await mr!.web('us-proxy', proxyConfig, 'us eu');
    try {
      for (const digest of layout.blobDigests) {
        const res = await getBlob(proxy, 'acme/app', digest);
        assert.equal(res.status, 200, `GET ${digest}: ${res.status} ${res.body.toString()}`);
        assert.equal(res.redirect, undefined);
        assert.equal(res.location, 'us');
        assert.ok(res.body.equals(await original(image, digest)), `streamed bytes of ${digest}`);
      }
      await skopeoPull(proxy, 'acme/app:v1', image, layout);
    } finally {
      await proxy.stop();
    }
  });

  test('s3rver stopped: the us instance serves pulls from eu (307 to azurite), and a push to it lands in eu', async (t) => {
    const m = mr!;
    await s3rver!.stop();
    const started = Date.now();
    for (const digest of layout.blobDigests) await assertRedirect(us, 'acme/app', digest, image, azure());
    t.diagnostic(`${layout.blobDigests.length} blob GETs + redirect fetches on us with s3rver down: ${Date.now() - started} ms`);
    await skopeoPull(us, 'acme/app:v1', image, layout);

    // Writes fail over too: the upload sessions open in eu, since us storage is down.
    const second = images[1]!;
    const secondLayout = await readLayout(second.layoutDir);
    await skopeo('copy', ...COPY_TLS, second.ref, `docker://${hostOf(us)}/acme/failover:v1`);
    for (const digest of secondLayout.blobDigests) {
      assert.deepEqual(await m.placements(digest), ['eu'], digest);
      await assertRedirect(us, 'acme/failover', digest, second, azure());
    }
    await Promise.all([skopeoPull(us, 'acme/failover:v1', second, secondLayout), skopeoPull(eu, 'acme/failover:v1', second, secondLayout)]);

    // With FEATURE_PROXY_STORAGE, the us-preferring instance streams from eu as well.
    const proxy = await m.web('us-proxy', proxyConfig, 'us eu');
    try {
      const digest = layout.blobDigests[0]!;
      const res = await getBlob(proxy, 'acme/app', digest);
      assert.deepEqual([res.status, res.location, res.redirect], [200, 'eu', undefined], res.body.toString());
      assert.ok(res.body.equals(await original(image, digest)));
    } finally {
      await proxy.stop();
    }
  });
});
