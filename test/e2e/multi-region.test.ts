/**
 * Geo-replication end to end (issue 3, "Tests"): real `wharf serve` processes sharing one
 * PostgreSQL database and one Redis, the same config, two (then three) LocalStorage locations
 * in separate folders, each instance with its own QUAY_DISTRIBUTED_STORAGE_PREFERENCE:
 *
 *   us instance  "us eu"  --roles web          eu instance  "eu us"  --roles web
 *                 \                                          /
 *                  one PostgreSQL database, one Redis (per-run prefix)
 *                 /                                          \
 *   <tmp>/us (LocalStorage)    replication worker process    <tmp>/eu (LocalStorage)
 *                              (`--roles replication`), started and killed by the tests
 *
 * Web instances run without the replication role so that "before replication" is a state the
 * test controls: it starts (and SIGKILLs) the worker as a separate process. What a location
 * holds is read three ways: the registry's answer (`X-Wharf-Storage-Location` on a blob GET),
 * the database (placements, jobs) and the storage folders themselves.
 *
 * The tests run in order and build on each other (one topology, evolving: add `ap`, remove it,
 * kill a worker, put nginx in front); a failure early makes later ones fail too.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it, type TestContext } from 'node:test';
import { getGlobalDispatcher } from 'undici';
import { http, pushBlob, sha256 } from '../support/http.js';
import {
  blobFile,
  blobsIn,
  type CliRun,
  fileDigest,
  MultiRegion,
  type Nginx,
  nginxPath,
  percentile,
  pseudoRandomDigest,
  pseudoRandomStream,
  uploadsIn,
  type WharfNode,
} from '../support/multi-region.js';
import { buildOciImage, type LayoutImage, layoutBlobPath, type OciImage, readLayout } from '../support/oci-image.js';
import { POSTGRES_SKIP_MESSAGE } from '../support/postgres.js';
import { REDIS_SKIP_MESSAGE } from '../support/redis.js';
import { requireTool, requireTools, run, toolPath } from '../support/tools.js';

const TOOLS = ['skopeo', 'umoci'] as const;
const COPY_TLS = ['--src-tls-verify=false', '--dest-tls-verify=false'];
const MiB = 1024 * 1024;
/** The blob the replication worker is killed in the middle of copying. */
const KILL_BLOB_BYTES = Number(process.env.WHARF_TEST_KILL_BLOB_MB ?? 512) * MiB;
/** Small blobs pushed in one burst to measure replication lag. */
const BURST = 200;
/**
 * STORAGE_REPLICATION_PROCESSING_SECONDS of every config: how long the job of a killed worker
 * waits to be taken over. Short, so the test waits for the real expiry; a lease is renewed
 * every third of it, so a killed worker's job stays leased for 2/3 to all of it after the kill.
 */
const LEASE_SECONDS = 8;

const hostOf = (node: WharfNode | Nginx) => new URL(node.origin).host;
const lines = (text: string) => text.split('\n').filter((l) => l.length > 0);

function skopeo(...args: string[]) {
  return run('skopeo', args, { timeout: 120_000 });
}

/** A blob GET: status, which location served it, and the digest of the bytes received. */
async function pull(node: WharfNode | Nginx, repo: string, digest: string): Promise<{ status: number; location: string | undefined; digest: string }> {
  const res = await getGlobalDispatcher().request({ origin: node.origin, path: `/v2/${repo}/blobs/${digest}`, method: 'GET' });
  const hash = createHash('sha256');
  for await (const chunk of res.body) hash.update(chunk as Buffer);
  const location = res.headers['x-wharf-storage-location'];
  return { status: res.statusCode, location: Array.isArray(location) ? location[0] : location, digest: `sha256:${hash.digest('hex')}` };
}

/** Asserts a CLI run's exit code, showing its output when it differs. */
function exits(res: CliRun, code: number, what: string): void {
  assert.equal(res.code, code, `${what}: exit ${res.code}\nstdout:\n${res.stdout}\nstderr:\n${res.stderr}`);
}

interface StatusJson {
  missing: number;
  converged: boolean;
  outcome?: string;
  locations: { name: string; required: number; present: number; missing: number; queued: number; dead: number; unqueued: number }[];
}

interface VerifyJson {
  blobs: number;
  placements: number;
  verified: number;
  findings: { blob: { digest: string }; location: string; kind: string; detail: string }[];
  dropped: number;
  enqueued: number;
  withoutCopy: unknown[];
}

describe('multi-region: two wharf serve processes on one PostgreSQL + Redis', () => {
  let mr: MultiRegion | undefined;
  let skipReason = '';
  const images: OciImage[] = [];
  let scratch = '';
  /** config-2.yaml: us, eu; config-3.yaml: + ap; config-no-ap.yaml: us, eu again. */
  let twoLocations = '';
  let threeLocations = '';
  let withoutAp = '';
  let us: WharfNode;
  let eu: WharfNode;
  let worker: WharfNode | undefined;
  let image: OciImage;
  let layout: LayoutImage;

  before(async () => {
    if (TOOLS.some((name) => !toolPath(name))) return; // each test reports the missing tool
    mr = await MultiRegion.create();
    if (!mr) {
      skipReason = process.env.WHARF_TEST_REDIS_URL ? POSTGRES_SKIP_MESSAGE : REDIS_SKIP_MESSAGE;
      return;
    }
    twoLocations = await mr.writeConfig('config-2.yaml', { locations: ['us', 'eu'], defaults: ['us', 'eu'], leaseSeconds: LEASE_SECONDS });
    // A fresh seed per run: the layer digests are new to skopeo's blob-info cache.
    const seed = randomBytes(8).toString('hex');
    for (const name of ['app', 'lb', 'lb-hostname']) images.push(await buildOciImage({ layers: 3, layerSize: 256 * 1024, seed: `multi-region-${name}-${seed}` }));
    image = images[0]!;
    layout = await readLayout(image.layoutDir);
    scratch = await mkdtemp(join(tmpdir(), 'wharf-multi-region-pull-'));
  });
  after(async () => {
    await mr?.destroy();
    for (const i of images) await i.cleanup();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  const test = (name: string, fn: (t: TestContext) => Promise<void>) =>
    it(name, { timeout: 150_000 }, async (t) => {
      if (!requireTools(TOOLS, t)) return;
      if (!mr) return t.skip(skipReason);
      await fn(t);
    });

  const status = async (config: string): Promise<StatusJson> => {
    const res = await mr!.wharf(['replication', 'status', '--json'], config);
    exits(res, 0, 'replication status --json');
    return JSON.parse(res.stdout) as StatusJson;
  };
  const waitConverged = async (config: string, timeout = 30) => {
    const res = await mr!.wharf(['replication', 'status', '--wait', '--timeout', String(timeout), '--interval', '0.2', '--json'], config);
    exits(res, 0, 'replication status --wait');
    const json = JSON.parse(res.stdout) as StatusJson;
    assert.equal(json.outcome, 'converged');
    assert.equal(json.missing, 0);
  };
  const verify = async (config: string, args: string[] = []): Promise<{ res: CliRun; report: VerifyJson }> => {
    const res = await mr!.wharf(['verify-placements', '--json', ...args], config);
    return { res, report: JSON.parse(res.stdout || '{}') as VerifyJson };
  };
  /** Pulls the image with skopeo from `host` into an OCI layout and checks every blob is byte-identical. */
  const skopeoPull = async (host: string, repo: string, source: OciImage, expected: LayoutImage) => {
    const out = join(scratch, `${repo.replace(/[/:]/g, '_')}-${randomBytes(4).toString('hex')}`);
    await skopeo('copy', ...COPY_TLS, `docker://${host}/${repo}`, `oci:${out}:pulled`);
    const pulled = await readLayout(out, 'pulled');
    assert.equal(pulled.manifestDigest, expected.manifestDigest);
    for (const digest of expected.blobDigests) {
      const [mine, theirs] = await Promise.all([readFile(layoutBlobPath(source.layoutDir, digest)), readFile(layoutBlobPath(out, digest))]);
      assert.ok(mine.equals(theirs), `blob ${digest} pulled from ${host} differs`);
    }
    await rm(out, { recursive: true, force: true });
  };

  test('a push to us lands only in us; eu serves it from us until the worker replicates it, then from eu', async () => {
    const m = mr!;
    // Both boot at once on the empty database (each migrates it at start).
    [us, eu] = await Promise.all([m.web('us', twoLocations, 'us eu'), m.web('eu', twoLocations, 'eu us')]);
    await skopeo('copy', ...COPY_TLS, image.ref, `docker://${hostOf(us)}/acme/app:v1`);

    // Only in us: placements, folders, status.
    for (const digest of layout.blobDigests) {
      assert.deepEqual(await m.placements(digest), ['us'], digest);
      assert.equal((await fileDigest(blobFile(m.dir('us'), digest))).digest, digest);
    }
    assert.deepEqual(await blobsIn(m.dir('eu')), [], 'eu holds blobs before any worker ran');
    const before = (await status(twoLocations)).locations.find((l) => l.name === 'eu')!;
    assert.deepEqual([before.required, before.present, before.missing, before.queued], [4, 0, 4, 4]);

    // A pull from eu before replication: every blob served from us, correct bytes; skopeo too.
    for (const digest of layout.blobDigests) {
      assert.deepEqual(await pull(eu, 'acme/app', digest), { status: 200, location: 'us', digest });
    }
    await skopeoPull(hostOf(eu), 'acme/app:v1', image, layout);

    // A worker replicates what the push queued; `status --wait` sees it converge.
    worker = await m.worker('worker', twoLocations, 'eu us');
    await waitConverged(twoLocations);
    for (const digest of layout.blobDigests) {
      assert.deepEqual(await m.placements(digest), ['eu', 'us'], digest);
      assert.equal((await fileDigest(blobFile(m.dir('eu'), digest))).digest, digest);
      assert.deepEqual(await pull(eu, 'acme/app', digest), { status: 200, location: 'eu', digest });
      assert.deepEqual(await pull(us, 'acme/app', digest), { status: 200, location: 'us', digest });
    }
    await skopeoPull(hostOf(eu), 'acme/app:v1', image, layout);
    assert.deepEqual(await uploadsIn(m.dir('eu')), [], 'replication left upload sessions in eu');
  });

  test('with a worker running, a push is replicated at once (woken through Redis, no poll interval)', async (t) => {
    const m = mr!;
    // One at a time, both directions: push acknowledged → placement recorded at the other location.
    const single: number[] = [];
    for (let i = 0; i < 6; i++) {
      const [from, to] = i % 2 === 0 ? [us, 'eu'] : [eu, 'us'];
      const digest = await pushBlob(from.origin, 'acme/latency', randomBytes(64 * 1024));
      const acked = Date.now();
      let placed: number | undefined;
      for (const deadline = acked + 20_000; placed === undefined && Date.now() < deadline; ) {
        placed = await m.placedAt(digest, to);
        if (placed === undefined) await sleep(5);
      }
      assert.ok(placed !== undefined, `${digest} was not replicated to ${to} within 20 s`);
      single.push(Math.max(0, placed - acked));
      assert.deepEqual(await m.placements(digest), ['eu', 'us']);
    }

    // A burst, half to each instance, 16 at a time.
    const acks = new Map<string, { at: number; to: string }>();
    const blobs = Array.from({ length: BURST }, (_, i) => ({ i, data: randomBytes(1024) }));
    const started = Date.now();
    for (let k = 0; k < blobs.length; k += 16) {
      await Promise.all(
        blobs.slice(k, k + 16).map(async ({ i, data }) => {
          const [from, to] = i % 2 === 0 ? [us, 'eu'] : [eu, 'us'];
          const digest = await pushBlob(from.origin, 'acme/burst', data);
          acks.set(digest, { at: Date.now(), to });
        }),
      );
    }
    const pushed = Date.now() - started;
    await waitConverged(twoLocations);
    const lags: number[] = [];
    for (const to of ['eu', 'us']) {
      const digests = [...acks].filter(([, a]) => a.to === to).map(([d]) => d);
      const placed = await m.placedAtAll(digests, to);
      for (const d of digests) {
        assert.ok(placed.has(d), `${d} has no placement at ${to}`);
        lags.push(Math.max(0, placed.get(d)! - acks.get(d)!.at));
      }
    }
    t.diagnostic(`replication lag, one push at a time (push 201 → placement at the other location): ${single.map((ms) => `${ms} ms`).join(', ')}`);
    t.diagnostic(`replication lag, burst of ${BURST} 1 KiB blobs pushed in ${pushed} ms: p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms, max ${percentile(lags, 100)} ms`);
  });

  test('an object deleted behind the registry’s back in one location: pulls from both instances still succeed', async () => {
    const m = mr!;
    const [gone, goneToo] = layout.layerDigests;
    assert.ok(gone && goneToo);
    await unlink(blobFile(m.dir('us'), gone));
    await unlink(blobFile(m.dir('eu'), goneToo));

    // us lacks `gone`: it falls back to eu; eu lacks `goneToo`: it falls back to us.
    assert.deepEqual(await pull(us, 'acme/app', gone), { status: 200, location: 'eu', digest: gone });
    assert.deepEqual(await pull(eu, 'acme/app', gone), { status: 200, location: 'eu', digest: gone });
    assert.deepEqual(await pull(eu, 'acme/app', goneToo), { status: 200, location: 'us', digest: goneToo });
    assert.deepEqual(await pull(us, 'acme/app', goneToo), { status: 200, location: 'us', digest: goneToo });
    await skopeoPull(hostOf(us), 'acme/app:v1', image, layout);
    await skopeoPull(hostOf(eu), 'acme/app:v1', image, layout);

    // verify-placements finds exactly the two missing objects; --repair re-replicates them.
    const found = await verify(twoLocations);
    exits(found.res, 2, 'verify-placements (drift, no --repair)');
    assert.deepEqual(
      found.report.findings.map((f) => [f.blob.digest, f.location, f.kind]).sort(),
      [
        [gone, 'us', 'missing'],
        [goneToo, 'eu', 'missing'],
      ].sort(),
    );
    const repaired = await verify(twoLocations, ['--repair']);
    exits(repaired.res, 0, 'verify-placements --repair');
    assert.deepEqual([repaired.report.dropped, repaired.report.enqueued], [2, 2]);
    await waitConverged(twoLocations);
    assert.equal((await fileDigest(blobFile(m.dir('us'), gone))).digest, gone);
    assert.equal((await fileDigest(blobFile(m.dir('eu'), goneToo))).digest, goneToo);
    assert.deepEqual(await pull(us, 'acme/app', gone), { status: 200, location: 'us', digest: gone });
    assert.deepEqual(await pull(eu, 'acme/app', goneToo), { status: 200, location: 'eu', digest: goneToo });
  });

  test('a third location ap: restart with it, backfill-replication, status --wait converges, every folder holds every blob', async () => {
    const m = mr!;
    await Promise.all([us.stop(), eu.stop(), worker!.stop()]);
    threeLocations = await m.writeConfig('config-3.yaml', { locations: ['us', 'eu', 'ap'], defaults: ['us', 'eu', 'ap'], leaseSeconds: LEASE_SECONDS });
    [us, eu, worker] = await Promise.all([m.web('us', threeLocations, 'us eu'), m.web('eu', threeLocations, 'eu us'), m.worker('worker', threeLocations, 'eu us')]);
    const all = await m.blobDigests();

    // Nothing queues the existing blobs for ap by itself: that is backfill's job.
    const apBefore = (await status(threeLocations)).locations.find((l) => l.name === 'ap')!;
    assert.deepEqual([apBefore.required, apBefore.present, apBefore.missing, apBefore.queued, apBefore.unqueued], [all.length, 0, all.length, 0, all.length]);

    const backfill = await m.wharf(['backfill-replication'], threeLocations);
    exits(backfill, 0, 'backfill-replication');
    const out = lines(backfill.stdout);
    assert.equal(out.filter((l) => /^Enqueueing blob [0-9a-f-]{36} to be replicated$/.test(l)).length, all.length);
    assert.match(backfill.stdout, new RegExp(`Scanned ${all.length} blob\\(s\\): ${all.length} enqueued, 0 already queued, 0 complete, 0 without any copy\\n$`));
    await waitConverged(threeLocations);
    for (const location of ['us', 'eu', 'ap']) assert.deepEqual(await blobsIn(m.dir(location)), all, `blobs in ${location}`);
    for (const digest of layout.blobDigests) assert.equal((await fileDigest(blobFile(m.dir('ap'), digest))).digest, digest);

    const again = await m.wharf(['backfill-replication'], threeLocations);
    exits(again, 0, 'backfill-replication (again)');
    assert.match(again.stdout, new RegExp(`Scanned ${all.length} blob\\(s\\): 0 enqueued, 0 already queued, ${all.length} complete`));
  });

  test('remove-location ap refuses while a blob’s only copy is there, and succeeds after replication', async () => {
    const m = mr!;
    const [ap] = await Promise.all([m.web('ap', threeLocations, 'ap us eu'), worker!.stop()]);
    worker = undefined;
    const only = await pushBlob(ap.origin, 'acme/ap-only', randomBytes(32 * 1024));
    assert.deepEqual(await m.placements(only), ['ap']);
    assert.ok(existsSync(blobFile(m.dir('ap'), only)) && !existsSync(blobFile(m.dir('us'), only)) && !existsSync(blobFile(m.dir('eu'), only)));

    // The operator takes ap out of the config (remove-location refuses a location still configured).
    withoutAp = await m.writeConfig('config-no-ap.yaml', { locations: ['us', 'eu'], defaults: ['us', 'eu'], leaseSeconds: LEASE_SECONDS });
    const [configured, refused] = await Promise.all([m.wharf(['remove-location', 'ap', '--yes'], threeLocations), m.wharf(['remove-location', 'ap', '--yes'], withoutAp)]);
    exits(configured, 1, 'remove-location ap with ap still configured');
    assert.match(configured.stderr, /^Error removing storage location: ap is still listed in DISTRIBUTED_STORAGE_CONFIG/);
    exits(refused, 1, 'remove-location ap while a blob has its only copy there');
    assert.match(refused.stderr, /^Error removing storage location: 1 blob\(s\) have their only verified copy at ap;/);
    assert.doesNotMatch(refused.stdout, /Deleted/);
    assert.deepEqual(await m.locationNames(), ['ap', 'eu', 'us']);
    assert.deepEqual(await m.placements(only), ['ap']);

    // A worker that still has ap configured replicates the blob out of it.
    worker = await m.worker('worker', threeLocations, 'eu us ap');
    await waitConverged(threeLocations);
    assert.deepEqual(await m.placements(only), ['ap', 'eu', 'us']);

    // Every process goes back to the config without ap, then the removal goes through.
    await Promise.all([ap.stop(), worker.stop(), us.stop(), eu.stop()]);
    worker = undefined;
    [us, eu] = await Promise.all([m.web('us', withoutAp, 'us eu'), m.web('eu', withoutAp, 'eu us')]);
    const atAp = (await m.blobDigests()).length; // backfill put every blob in ap
    const removed = await m.wharf(['remove-location', 'ap', '--yes'], withoutAp);
    exits(removed, 0, 'remove-location ap after replication');
    const out = lines(removed.stdout);
    assert.equal(out[0], 'Removed 0 temporary blobs from blobupload table.');
    assert.equal(out.filter((l) => /^Deleted placement \d+$/.test(l)).length, atAp);
    assert.equal(out.at(-1), 'Deleted location ap');
    assert.deepEqual(await m.locationNames(), ['eu', 'us']);
    assert.deepEqual(await m.placements(only), ['eu', 'us']);
    assert.deepEqual(await pull(us, 'acme/ap-only', only), { status: 200, location: 'us', digest: only });
    assert.deepEqual(await pull(eu, 'acme/ap-only', only), { status: 200, location: 'eu', digest: only });
    const [after, clean] = await Promise.all([status(withoutAp), verify(withoutAp)]);
    assert.deepEqual(after.locations.map((l) => l.name).sort(), ['eu', 'us']);
    assert.equal(after.converged, true);
    exits(clean.res, 0, 'verify-placements after remove-location');
  });

  test('SIGKILL of the worker in the middle of copying a large blob: no placement at partial bytes; after restart the copy completes byte-identical', async (t) => {
    const m = mr!;
    assert.equal(worker, undefined);
    const seed = `kill-${randomBytes(8).toString('hex')}`;
    const digest = await pseudoRandomDigest(KILL_BLOB_BYTES, seed);
    const push = await http(us.origin, 'POST', `/v2/acme/big/blobs/uploads/?digest=${digest}`, {
      body: pseudoRandomStream(KILL_BLOB_BYTES, seed),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(KILL_BLOB_BYTES) },
    });
    assert.equal(push.status, 201, push.body.toString());
    assert.deepEqual(await m.placements(digest), ['us']);
    const euFile = blobFile(m.dir('eu'), digest);

    // Start a worker; kill it once its upload session in eu holds part of the blob.
    worker = await m.worker('worker', withoutAp, 'eu us');
    let partial: { name: string; size: number } | undefined;
    for (const deadline = Date.now() + 60_000; !partial; await sleep(2)) {
      partial = (await uploadsIn(m.dir('eu'))).find((f) => f.size >= KILL_BLOB_BYTES / 4 && f.size < KILL_BLOB_BYTES);
      assert.ok(!existsSync(euFile), 'the copy finished before the test could kill the worker (make WHARF_TEST_KILL_BLOB_MB larger)');
      assert.ok(Date.now() < deadline, `no partial copy appeared in ${m.dir('eu')}/uploads within 60 s: ${worker.logs().slice(-3000)}`);
    }
    const killedPid = worker.child.pid;
    await worker.kill();
    const killedAt = Date.now();
    // A new worker starts at once; the checks below run while the dead worker's lease lasts.
    const restarted = m.worker('worker', withoutAp, 'eu us');
    const left = await uploadsIn(m.dir('eu'));
    t.diagnostic(`worker SIGKILLed with ${Math.round(partial.size / MiB)} MiB of ${KILL_BLOB_BYTES / MiB} MiB in eu/uploads/${partial.name}`);

    // No placement points at missing or partial bytes.
    assert.ok(!existsSync(euFile), `a partial copy is at the final key ${euFile}`);
    assert.deepEqual(await m.placements(digest), ['us']);
    const [checked, queued, job] = await Promise.all([verify(withoutAp, ['--full']), status(withoutAp), m.job(digest)]);
    exits(checked.res, 0, 'verify-placements --full after the kill');
    assert.deepEqual(checked.report.findings, []);
    assert.equal(queued.locations.find((l) => l.name === 'eu')?.queued, 1);
    assert.equal(job?.state, 'running', 'the killed worker’s job is still leased to it');
    assert.match(job.leaseOwner ?? '', new RegExp(`:${killedPid}#\\d+$`));
    assert.equal(job.attempts, 1);

    // The new worker takes the job over only once the dead worker's lease has run out: its claim
    // time (its lease end minus the lease) is not before the old lease end.
    worker = await restarted;
    let takeover: typeof job | undefined;
    for (const deadline = Date.now() + (LEASE_SECONDS + 30) * 1000; !takeover; await sleep(25)) {
      const now = await m.job(digest);
      assert.ok(now, 'the job ended before the test saw who ran it');
      if (now.leaseOwner !== job.leaseOwner) takeover = now;
      assert.ok(Date.now() < deadline, `the job was not taken over: ${JSON.stringify(now)}`);
    }
    assert.equal(takeover.attempts, 2);
    const claimedAt = takeover.leaseUntil! - LEASE_SECONDS * 1000;
    assert.ok(claimedAt >= job.leaseUntil!, `claimed at ${claimedAt}, the old lease ran until ${job.leaseUntil}`);
    t.diagnostic(`lease ${LEASE_SECONDS} s: the dead worker's lease ran out ${job.leaseUntil! - killedAt} ms after the kill, the new worker claimed the job ${claimedAt - killedAt} ms after it`);
    await waitConverged(withoutAp, 120);
    assert.deepEqual(await m.placements(digest), ['eu', 'us']);
    assert.equal(await m.job(digest), undefined, 'the job is done');
    const [inUs, inEu, pulled, full] = await Promise.all([fileDigest(blobFile(m.dir('us'), digest)), fileDigest(euFile), pull(eu, 'acme/big', digest), verify(withoutAp, ['--full'])]);
    assert.deepEqual(inUs, { digest, size: KILL_BLOB_BYTES });
    assert.deepEqual(inEu, { digest, size: KILL_BLOB_BYTES });
    assert.deepEqual(pulled, { status: 200, location: 'eu', digest });
    exits(full.res, 0, 'verify-placements --full after the restart');
    assert.deepEqual(full.report.findings, []);
    const orphans = (await uploadsIn(m.dir('eu'))).filter((f) => left.some((l) => l.name === f.name));
    if (orphans.length > 0) t.diagnostic(`left behind by the killed worker (nothing removes it): ${orphans.map((o) => `eu/uploads/${o.name} (${o.size} bytes)`).join(', ')}`);
  });

  test('nginx in front of both instances: skopeo push and pull through one entry point, chunks on both, correct Location URLs', async (t) => {
    const m = mr!;
    if (!nginxPath()) return void requireTool('nginx', t);
    const [, lbImage, hostnameImage] = images;
    const lbLayout = await readLayout(lbImage!.layoutDir);
    const hostnameLayout = await readLayout(hostnameImage!.layoutDir);
    let lb = await m.nginx([us, eu]);
    const upstreams = new Map([
      [hostOf(us), 'us'],
      [hostOf(eu), 'eu'],
    ]);

    // Without SERVER_HOSTNAME: Location URLs follow X-Forwarded-Host/-Proto (absolute on the
    // name the client used); direct requests get relative ones.
    const uploadUrl = new RegExp(`^${lb.origin}/v2/acme/lb/blobs/uploads/([0-9a-f-]{36})$`);
    const data = randomBytes(3 * 100 * 1024);
    const digest = sha256(data);
    const started = await http(lb.origin, 'POST', '/v2/acme/lb/blobs/uploads/');
    assert.equal(started.status, 202);
    const uuid = uploadUrl.exec(started.headers.location ?? '')?.[1];
    assert.ok(uuid, `Location ${started.headers.location}`);
    let location = started.headers.location!;
    for (let offset = 0; offset < data.length; offset += 100 * 1024) {
      const chunk = data.subarray(offset, offset + 100 * 1024);
      const res = await http(lb.origin, 'PATCH', new URL(location).pathname, {
        body: chunk,
        headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}`, 'content-length': String(chunk.length) },
      });
      assert.equal(res.status, 202, res.body.toString());
      assert.match(res.headers.location ?? '', uploadUrl);
      location = res.headers.location!;
    }
    const done = await http(lb.origin, 'PUT', `${new URL(location).pathname}?digest=${digest}`);
    assert.equal(done.status, 201, done.body.toString());
    assert.equal(done.headers.location, `${lb.origin}/v2/acme/lb/blobs/${digest}`);
    assert.equal((await pull(lb, 'acme/lb', digest)).digest, digest);
    const sessionUpstreams = (await lb.accessLog()).filter((r) => r.uri.includes(uuid)).map((r) => upstreams.get(r.upstream));
    assert.deepEqual(new Set(sessionUpstreams), new Set(['us', 'eu']), `one upload session's requests went to ${sessionUpstreams.join(', ')}`);

    const otherName = await http(lb.origin, 'POST', '/v2/acme/lb/blobs/uploads/', { headers: { host: 'registry.example:8443' } });
    assert.match(otherName.headers.location ?? '', /^http:\/\/registry\.example:8443\/v2\/acme\/lb\/blobs\/uploads\/[0-9a-f-]{36}$/);
    const direct = await http(us.origin, 'POST', '/v2/acme/lb/blobs/uploads/');
    assert.match(direct.headers.location ?? '', /^\/v2\/acme\/lb\/blobs\/uploads\/[0-9a-f-]{36}$/);
    for (const session of [otherName, direct]) assert.equal((await http(us.origin, 'DELETE', new URL(session.headers.location!, us.origin).pathname)).status, 204);

    // skopeo through nginx: every blob's upload requests are spread over both instances.
    // (skopeo uploads blobs concurrently, so which requests of a session land where varies:
    // the uploads as a whole must reach both; the sequential session above proves it per session.)
    const skopeoThrough = async (proxy: Nginx, repo: string, source: OciImage, expected: LayoutImage) => {
      const before = (await proxy.accessLog()).length;
      await skopeo('copy', ...COPY_TLS, source.ref, `docker://${proxy.host}/${repo}:v1`);
      const uploads = (await proxy.accessLog()).slice(before).filter((r) => r.uri.startsWith(`/v2/${repo}/blobs/uploads/`));
      assert.deepEqual(new Set(uploads.map((r) => upstreams.get(r.upstream))), new Set(['us', 'eu']), `upload requests: ${JSON.stringify(uploads)}`);
      const sessions = new Map<string, Set<string | undefined>>();
      for (const r of uploads) {
        const id = /uploads\/([0-9a-f-]{36})/.exec(r.uri)?.[1];
        if (id) sessions.set(id, (sessions.get(id) ?? new Set()).add(upstreams.get(r.upstream)));
      }
      const spread = [...sessions.values()].filter((s) => s.size === 2).length;
      t.diagnostic(`skopeo push of ${repo} through nginx: ${uploads.length} upload requests, ${spread} of ${sessions.size} upload sessions served by both instances`);
      await skopeoPull(proxy.host, `${repo}:v1`, source, expected);
      await waitConverged(withoutAp);
      for (const d of expected.blobDigests) assert.deepEqual(await m.placements(d), ['eu', 'us']);
    };
    await skopeoThrough(lb, 'acme/lb', lbImage!, lbLayout);

    // With SERVER_HOSTNAME (the entry point's name): Location URLs are absolute on it, whatever
    // the request says, also on a request that reaches an instance directly.
    await lb.stop();
    await Promise.all([us.stop(), eu.stop()]);
    const named = await m.writeConfig('config-hostname.yaml', { locations: ['us', 'eu'], defaults: ['us', 'eu'], serverHostname: lb.host, leaseSeconds: LEASE_SECONDS });
    [us, eu] = await Promise.all([m.web('us', named, 'us eu'), m.web('eu', named, 'eu us')]);
    upstreams.clear();
    upstreams.set(hostOf(us), 'us').set(hostOf(eu), 'eu');
    lb = await m.nginx([us, eu], lb.port);
    const onName = new RegExp(`^${lb.origin}/v2/acme/named/blobs/uploads/[0-9a-f-]{36}$`);
    for (const [node, headers] of [
      [us, {}],
      [lb, {}],
      [lb, { host: 'registry.example:8443' }],
    ] as const) {
      const res = await http(node.origin, 'POST', '/v2/acme/named/blobs/uploads/', { headers });
      assert.match(res.headers.location ?? '', onName, `POST to ${node.origin} with ${JSON.stringify(headers)}`);
      assert.equal((await http(lb.origin, 'DELETE', new URL(res.headers.location!).pathname)).status, 204);
    }
    await skopeoThrough(lb, 'acme/named', hostnameImage!, hostnameLayout);
    await lb.stop();
  });
});
