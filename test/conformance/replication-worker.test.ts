import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { digestOf, parseDigest } from '../../src/domain/index.js';
import { REPLICATE_BLOB } from '../../src/jobs/notifier.js';
import { MemoryNotifier } from '../../src/jobs/notifiers/memory.js';
import { replicateBlobHandler, replicationSessionId } from '../../src/jobs/replication/replicate-blob.js';
import { JobRunner, PermanentJobError, type JobHandler, type JobResult } from '../../src/jobs/runner.js';
import type { BlobRow, Id, JobRow, MetadataStore } from '../../src/metadata/store.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createDriver } from '../../src/storage/drivers.js';
import { blobKey, type StorageDriver } from '../../src/storage/index.js';
import { type Location, LocationSet } from '../../src/storage/locations/location-set.js';
import { forEachDialect, type OpenedMetadata } from '../support/metadata.js';

const NAMES = ['us', 'eu', 'ap'] as const; // this instance's preference: us, then eu, then ap
type Name = (typeof NAMES)[number];

await forEachDialect((dialect, open) => {
  describe(`blob replication worker on ${dialect}`, () => {
    let db: OpenedMetadata;
    let metadata: MetadataStore;
    let dirs: Record<Name, string>;
    let ids: Record<Name, Id>;
    let drivers: Record<Name, StorageDriver>;
    let required: Id[];
    let requiredCalls: number;
    beforeEach(async () => {
      db = await open();
      metadata = db.store;
      const rows = await metadata.stores.locations.sync([...NAMES]);
      dirs = {} as typeof dirs;
      ids = {} as typeof ids;
      drivers = {} as typeof drivers;
      for (const name of NAMES) {
        dirs[name] = await mkdtemp(path.join(tmpdir(), `wharf-replication-${name}-`));
        ids[name] = rows.get(name)!.id;
        drivers[name] = await createDriver('LocalStorage', { storage_path: dirs[name] });
      }
      required = [];
      requiredCalls = 0;
    });
    afterEach(async () => {
      await db.close();
      await Promise.all(NAMES.map((n) => rm(dirs[n], { recursive: true, force: true })));
    });

    /** Locations as this instance sees them; `wrap` swaps a driver (e.g. for a slow one). */
    const locationSet = (wrap: Partial<Record<Name, StorageDriver>> = {}) =>
      new LocationSet(NAMES.map((name): Location => ({ id: ids[name], name, driver: wrap[name] ?? drivers[name] })), [...NAMES]);
    const handler = (locations = locationSet()) =>
      replicateBlobHandler({
        metadata,
        locations,
        logger: silentLogger(),
        requiredLocations: async () => (requiredCalls++, [...required]),
      });
    const fileOf = (name: Name, blob: BlobRow) => path.join(dirs[name], blobKey(parseDigest(blob.digest)));
    const uploadsLeft = async (name: Name) => (await readdir(path.join(dirs[name], 'uploads')).catch(() => [])).length;
    const placed = async (blob: BlobRow) => (await metadata.stores.placements.locationsOf(blob.id)).sort((a, b) => a - b);
    const idsOf = (...names: Name[]) => names.map((n) => ids[n]).sort((a, b) => a - b);
    const exists = (file: string) => stat(file).then(() => true, () => false);

    /** A blob whose verified copies are at `at` (bytes written through the driver), with its placements. */
    async function blobAt(bytes: Buffer, ...at: Name[]): Promise<BlobRow> {
      const digest = digestOf(bytes);
      for (const name of at) {
        const state = await drivers[name].appendUpload(await drivers[name].startUpload(randomUUID()), Readable.from([bytes]));
        await drivers[name].commitUpload(state, blobKey(parseDigest(digest)));
      }
      const blob = await metadata.stores.blobs.record(digest, bytes.length);
      for (const name of at) await metadata.stores.placements.add(blob.id, ids[name]);
      return blob;
    }
    /** A claimed job for the blob, as the runner hands it over. */
    async function jobFor(blob: BlobRow): Promise<JobRow> {
      await metadata.stores.jobs.enqueue({ kind: REPLICATE_BLOB, key: blob.digest, payload: { blobId: blob.id } });
      return (await metadata.stores.jobs.claim(REPLICATE_BLOB, 'test', 60_000))!;
    }
    /** Runs the handler on a claimed job of the blob; the job is then deleted, whatever happened. */
    async function run(h: JobHandler, blob: BlobRow, signal = new AbortController().signal): Promise<void> {
      const job = await jobFor(blob);
      try {
        await h(job, { signal });
      } finally {
        await metadata.stores.jobs.complete(job.id, 'test');
      }
    }

    it('copies a blob to the location missing it, verifies it, and records the placement', async () => {
      const bytes = Buffer.from('a layer that must reach europe');
      const blob = await blobAt(bytes, 'us');
      required = [ids.us, ids.eu];
      await run(handler(), blob);
      assert.deepEqual(await readFile(fileOf('eu', blob)), bytes);
      assert.deepEqual(await placed(blob), idsOf('us', 'eu'));
      assert.equal(await uploadsLeft('eu'), 0);
      assert.equal(await exists(fileOf('ap', blob)), false); // not required there
      await run(handler(), blob); // nothing missing: a no-op
      assert.deepEqual(await placed(blob), idsOf('us', 'eu'));
    });

    it('discards the partial copy a crashed earlier attempt left under uploads/', async () => {
      const bytes = Buffer.from('a copy that was cut short by SIGKILL');
      const blob = await blobAt(bytes, 'us');
      const leftover = replicationSessionId(parseDigest(blob.digest), ids.eu);
      await drivers.eu.appendUpload(await drivers.eu.startUpload(leftover), Readable.from([bytes.subarray(0, 7)]));
      assert.equal(await uploadsLeft('eu'), 1);
      required = [ids.us, ids.eu];
      await run(handler(), blob);
      assert.deepEqual(await readFile(fileOf('eu', blob)), bytes);
      assert.equal(await uploadsLeft('eu'), 0);
    });

    it('falls back to the next holder when the nearest one lacks the object', async () => {
      const bytes = Buffer.from('held in two places, one of them lying');
      const blob = await blobAt(bytes, 'us', 'eu');
      await unlink(fileOf('us', blob)); // the placement at us lies
      required = [ids.ap];
      await run(handler(), blob);
      assert.deepEqual(await readFile(fileOf('ap', blob)), bytes);
      assert.deepEqual(await placed(blob), idsOf('us', 'eu', 'ap'));
    });

    it('falls back to the next holder when the nearest one serves wrong bytes', async () => {
      const bytes = Buffer.from('the good bytes');
      const blob = await blobAt(bytes, 'us', 'eu');
      await writeFile(fileOf('us', blob), Buffer.from('the BAD! bytes'));
      required = [ids.ap];
      await run(handler(), blob);
      assert.deepEqual(await readFile(fileOf('ap', blob)), bytes);
    });

    it('corrupted source bytes: no object and no placement at the destination; the job is retried, then buried', async () => {
      const blob = await blobAt(Buffer.from('original content'), 'us');
      await writeFile(fileOf('us', blob), Buffer.from('corrupt content!')); // same size, other digest
      required = [ids.eu];
      const results: JobResult[] = [];
      const notifier = new MemoryNotifier();
      const runner = new JobRunner({
        kind: REPLICATE_BLOB, workerId: 'test', jobs: metadata.stores.jobs, notifier, handler: handler(), logger: silentLogger(),
        pollMs: 10, maxAttempts: 2, backoff: { baseMs: 1, maxMs: 1 }, onResult: (r) => results.push(r),
      });
      await metadata.stores.jobs.enqueue({ kind: REPLICATE_BLOB, key: blob.digest, payload: { blobId: blob.id } });
      runner.start();
      try {
        for (let i = 0; results.length < 2 && i < 500; i++) await sleep(10);
      } finally {
        await runner.stop();
        await notifier.close();
      }
      assert.deepEqual(results.map((r) => r.outcome), ['retried', 'buried']);
      const [dead] = await metadata.stores.jobs.list(REPLICATE_BLOB, 'dead', 10);
      assert.match(dead?.lastError ?? '', /eu: .*the bytes hash to sha256:[0-9a-f]+, not sha256:/);
      assert.equal(await exists(fileOf('eu', blob)), false);
      assert.equal(await uploadsLeft('eu'), 0);
      assert.deepEqual(await placed(blob), idsOf('us'));
    });

    it('an abort mid-copy (lease lost) leaves no object, no session and no placement', async () => {
      const bytes = Buffer.alloc(8 * 1024 * 1024, 7);
      const blob = await blobAt(bytes, 'us');
      required = [ids.eu];
      let chunks = 0;
      const slow = withRead(drivers.us, async (key) =>
        Readable.from((async function* () {
          for await (const chunk of await drivers.us.read(key)) {
            chunks += 1;
            yield chunk as Buffer;
            await sleep(20);
          }
        })()),
      );
      const lease = new AbortController();
      const copying = run(handler(locationSet({ us: slow })), blob, lease.signal);
      while (chunks < 2) await sleep(5);
      assert.ok((await uploadsLeft('eu')) > 0, 'the copy is under way');
      const reason = new Error('lease lost');
      lease.abort(reason);
      await assert.rejects(copying, (err) => err === reason);
      assert.equal(await exists(fileOf('eu', blob)), false);
      assert.equal(await uploadsLeft('eu'), 0);
      assert.deepEqual(await placed(blob), idsOf('us'));
    });

    it('an object already at the destination is verified in place; a wrong one is replaced', async () => {
      const bytes = Buffer.from('committed by an earlier run that died before its placement');
      const blob = await blobAt(bytes, 'us');
      await blobAt(bytes, 'eu'); // the bytes at eu...
      await metadata.stores.placements.remove(blob.id, ids.eu); // ...without their placement
      const before = await stat(fileOf('eu', blob));
      required = [ids.eu];
      await run(handler(), blob);
      assert.deepEqual(await placed(blob), idsOf('us', 'eu'));
      assert.equal((await stat(fileOf('eu', blob))).ino, before.ino); // not copied again

      await metadata.stores.placements.remove(blob.id, ids.eu);
      await writeFile(fileOf('eu', blob), Buffer.from('rotten'));
      await run(handler(), blob);
      assert.deepEqual(await readFile(fileOf('eu', blob)), bytes);
      assert.deepEqual(await placed(blob), idsOf('us', 'eu'));
    });

    it('handles locations that became required during the run, in the same run', async () => {
      const blob = await blobAt(Buffer.from('a region is added mid-copy'), 'us');
      const h = replicateBlobHandler({
        metadata, locations: locationSet(), logger: silentLogger(),
        requiredLocations: async () => (++requiredCalls === 1 ? [ids.eu] : [ids.eu, ids.ap]),
      });
      await run(h, blob);
      assert.deepEqual(await placed(blob), idsOf('us', 'eu', 'ap'));
      assert.equal(requiredCalls, 3); // eu, then ap, then nothing left
    });

    it('a blob no location holds is a permanent failure; a collected blob is nothing to do', async () => {
      const orphan = await metadata.stores.blobs.record(digestOf(Buffer.from('nowhere')), 7);
      required = [ids.eu];
      await assert.rejects(run(handler(), orphan), (err) => err instanceof PermanentJobError && /no location holds a verified copy/.test(err.message));
      const gone: JobRow = { id: 1, kind: REPLICATE_BLOB, key: digestOf(Buffer.from('collected')), payload: { blobId: 999 }, state: 'running', attempts: 1, runAfter: 0, leaseUntil: undefined, lastError: undefined };
      await handler()(gone, { signal: new AbortController().signal });
      await assert.rejects(handler()({ ...gone, payload: {} }, { signal: new AbortController().signal }), PermanentJobError);
    });

    it('copies a 256 MiB blob in constant memory', async () => {
      const blob = await bigBlobAt(dirs.us, 256);
      await metadata.stores.placements.add((await metadata.stores.blobs.record(blob.digest, blob.size)).id, ids.us);
      const row = (await metadata.stores.blobs.find(blob.digest))!;
      required = [ids.eu];
      const baseline = process.memoryUsage.rss();
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
      try {
        await run(handler(), row);
      } finally {
        clearInterval(sampler);
      }
      peak = Math.max(peak, process.memoryUsage.rss());
      assert.equal((await stat(fileOf('eu', row))).size, 256 * 1024 * 1024);
      assert.deepEqual(await placed(row), idsOf('us', 'eu'));
      const growthMb = (peak - baseline) / 1024 / 1024;
      assert.ok(growthMb < 100, `RSS grew by ${growthMb.toFixed(1)} MB`);
    });
  });
});

/** A driver that behaves like `driver` except for `read`. */
function withRead(driver: StorageDriver, read: StorageDriver['read']): StorageDriver {
  return new Proxy(driver, {
    get(target, prop) {
      if (prop === 'read') return read;
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Writes `mib` MiB of varied bytes straight to a LocalStorage folder, 1 MiB at a time. */
async function bigBlobAt(storagePath: string, mib: number): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  const tmp = path.join(storagePath, 'big.tmp');
  const out = createWriteStream(tmp);
  const chunk = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < mib; i++) {
    chunk.fill(i % 251);
    chunk.writeUInt32BE(i, 0);
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  const digest = `sha256:${hash.digest('hex')}`;
  const file = path.join(storagePath, blobKey(parseDigest(digest)));
  await mkdir(path.dirname(file), { recursive: true });
  await rename(tmp, file);
  return { digest, size: mib * 1024 * 1024 };
}
