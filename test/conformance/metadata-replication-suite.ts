/**
 * The replication part of the metadata conformance suite (ReplicationStore, RegionStore), run
 * by metadataSuite on SQLite and PostgreSQL against a fresh, migrated database per test.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { sql } from 'kysely';
import { digestOf, parseRepositoryName } from '../../src/domain/index.js';
import { REPLICATE_BLOB } from '../../src/jobs/notifier.js';
import { REPLICATION_JOB_KIND } from '../../src/metadata/sql/replication-sql.js';
import { LastCopyError, UnknownLocationError, type BlobRow, type Id, type Stores } from '../../src/metadata/store.js';
import type { MetadataUnderTest } from './metadata-suite.js';

export interface World {
  readonly s: Stores;
  readonly us: Id;
  readonly eu: Id;
  readonly ap: Id;
  blob(content: string, at?: Id[], repo?: string): Promise<BlobRow>;
  jobKeys(state?: 'pending' | 'dead'): Promise<string[]>;
}

export async function world(ctx: MetadataUnderTest): Promise<World> {
  const s = ctx.store.stores;
  const locs = await s.locations.sync(['us', 'eu', 'ap']);
  const id = (name: string) => locs.get(name)!.id;
  return {
    s,
    us: id('us'),
    eu: id('eu'),
    ap: id('ap'),
    async blob(content, at = [id('us')], repo) {
      const b = await s.blobs.record(digestOf(Buffer.from(content)), Buffer.byteLength(content));
      for (const l of at) await s.placements.add(b.id, l);
      if (repo) await s.blobs.link((await s.repositories.ensure(parseRepositoryName(repo))).id, b.id);
      return b;
    },
    async jobKeys(state = 'pending') {
      return (await s.jobs.list(REPLICATE_BLOB, state, 10_000)).map((j) => j.key).sort();
    },
  };
}

/** These tests need the second handle (to age jobs, to add a referencing table). */
function inspect(ctx: MetadataUnderTest) {
  assert.ok(ctx.inspect, 'the replication suite needs MetadataUnderTest.inspect');
  return ctx.inspect;
}

export function replicationSuite(get: () => MetadataUnderTest): void {
  describe('replication: required locations and enqueue', () => {
    it('uses the job kind of jobs/notifier.ts', () => assert.equal(REPLICATION_JOB_KIND, REPLICATE_BLOB));

    it('required = defaults, plus the regions of namespaces linking the blob', async () => {
      const w = await world(get());
      const b = await w.blob('b', [w.us], 'acme/app');
      assert.deepEqual(await w.s.replication.requiredLocations(b.id, []), []);
      assert.deepEqual(await w.s.replication.requiredLocations(b.id, [w.eu, 999_999]), [w.eu]); // unknown ids ignored
      assert.equal(await w.s.regions.add('other', 'ap'), true); // a namespace not linking the blob
      assert.deepEqual(await w.s.replication.requiredLocations(b.id, [w.eu]), [w.eu]);
      assert.equal(await w.s.regions.add('acme', 'ap'), true);
      assert.equal(await w.s.regions.add('acme', 'eu'), true);
      assert.deepEqual(await w.s.replication.requiredLocations(b.id, [w.eu]), [w.eu, w.ap].sort((x, y) => x - y));
    });

    it('enqueueMissing: one job per blob missing a default, keyed by digest, payload {blobId}', async () => {
      const w = await world(get());
      const missing = await w.blob('missing', [w.us]);
      const complete = await w.blob('complete', [w.us, w.eu]);
      const noCopy = await w.blob('no copy', []);
      assert.equal(await w.s.replication.enqueueMissing([missing.id, complete.id, noCopy.id], []), 0); // nothing required
      assert.equal(await w.s.replication.enqueueMissing([missing.id, complete.id, noCopy.id, missing.id], [w.eu]), 1);
      const [job] = await w.s.jobs.list(REPLICATE_BLOB, 'pending', 10);
      assert.deepEqual([job?.key, job?.payload, job?.state], [missing.digest, { blobId: missing.id }, 'pending']);
      assert.equal(await w.s.replication.enqueueMissing([missing.id], [w.eu]), 0); // deduped while pending
      assert.equal(await w.s.replication.enqueueMissing([], [w.eu]), 0);
    });

    it('enqueueMissing: a namespace region makes a blob miss; an existing pending job dedupes', async () => {
      const w = await world(get());
      const linked = await w.blob('linked', [w.us, w.eu], 'acme/app');
      const unlinked = await w.blob('unlinked', [w.us]);
      await w.s.regions.add('acme', 'ap');
      assert.equal(await w.s.jobs.enqueue({ kind: REPLICATE_BLOB, key: unlinked.digest, payload: { blobId: unlinked.id } }), true);
      assert.equal(await w.s.replication.enqueueMissing([linked.id, unlinked.id], [w.eu]), 2 - 1);
      assert.deepEqual(await w.jobKeys(), [linked.digest, unlinked.digest].sort());
      const racers = [...Array(6)].map((_, i) => w.blob(`racer ${i}`));
      const ids = (await Promise.all(racers)).map((b) => b.id);
      const added = await Promise.all([...Array(5)].map(() => w.s.replication.enqueueMissing(ids, [w.eu])));
      assert.equal(added.reduce((x, y) => x + y, 0), 6); // concurrent callers never duplicate a live job
    });

    it('enqueueMissing works in batches beyond the parameter limits, inside a transaction', async () => {
      const w = await world(get());
      const ids: Id[] = [];
      for (let i = 0; i < 1100; i++) ids.push((await w.s.blobs.record(digestOf(Buffer.from(`many ${i}`)), 1)).id);
      await get().store.transaction(async (tx) => {
        for (const part of [ids.slice(0, 600), ids.slice(600)]) for (const id of part) await tx.placements.add(id, w.us);
        assert.equal(await tx.replication.enqueueMissing(ids, [w.us, w.eu]), 1100);
      });
      assert.equal((await w.jobKeys()).length, 1100);
    });
  });

  describe('replication: backfill', () => {
    it('pages by id, dry run enqueues nothing, a real run enqueues, a second run is a no-op', async () => {
      const w = await world(get());
      const bs = [await w.blob('a'), await w.blob('b', [w.us, w.eu]), await w.blob('c'), await w.blob('d', []), await w.blob('e')];
      const run = async (dryRun: boolean, limit = 2) => {
        const batches = [];
        for (let after = 0; ; ) {
          const batch = await w.s.replication.backfill(after, limit, [w.eu], dryRun);
          if (batch.lastId === undefined) return batches;
          assert.ok(batch.scanned <= limit);
          batches.push(batch);
          after = batch.lastId;
        }
      };
      const dry = await run(true);
      assert.deepEqual(dry.map((b) => b.scanned), [2, 2, 1]);
      assert.deepEqual(dry.map((b) => b.lastId), [bs[1]!.id, bs[3]!.id, bs[4]!.id]);
      assert.deepEqual(dry.flatMap((b) => b.blobs.map((x) => x.uuid)), [bs[0]!.uuid, bs[2]!.uuid, bs[4]!.uuid]);
      assert.deepEqual(dry.flatMap((b) => b.lost.map((x) => x.id)), [bs[3]!.id]);
      assert.equal(dry.reduce((n, b) => n + b.enqueued, 0), 0);
      assert.deepEqual(await w.jobKeys(), []);

      const real = await run(false);
      assert.equal(real.reduce((n, b) => n + b.enqueued, 0), 3);
      assert.deepEqual(await w.jobKeys(), [bs[0]!.digest, bs[2]!.digest, bs[4]!.digest].sort());
      const again = await run(false, 100);
      assert.deepEqual(again.map((b) => [b.scanned, b.blobs.length, b.enqueued, b.alreadyQueued]), [[5, 0, 0, 3]]);
      assert.deepEqual((await w.s.replication.backfill(bs[4]!.id, 10, [w.eu], false)).lastId, undefined);
      assert.equal(await w.s.replication.blobCount(), 5);
    });
  });

  describe('replication: status', () => {
    it('counts required, present, missing, queued, dead and the oldest pending age per location', async () => {
      const ctx = get();
      const w = await world(ctx);
      const a = await w.blob('a', [w.us], 'acme/app'); // missing eu (queued) and ap (region, queued)
      await w.blob('b', [w.us, w.eu]); // complete
      const c = await w.blob('c', [w.us]); // missing eu, dead job
      await w.blob('d', []); // no copy at all: missing eu, lost
      await w.s.regions.add('acme', 'ap');
      await w.s.jobs.enqueue({ kind: REPLICATE_BLOB, key: a.digest, payload: { blobId: a.id } });
      await w.s.jobs.enqueue({ kind: REPLICATE_BLOB, key: c.digest, payload: { blobId: c.id } });
      await inspect(ctx).updateTable('job').set({ state: 'dead', last_error: 'copy failed' }).where('key', '=', c.digest).execute();
      const st = await w.s.replication.status([w.eu]);
      const row = (name: string) => st.locations.find((l) => l.name === name)!;
      assert.deepEqual(st.locations.map((l) => l.name), ['us', 'eu', 'ap']);
      assert.deepEqual([row('us').required, row('us').present, row('us').missing], [0, 3, 0]);
      assert.deepEqual([row('eu').required, row('eu').present, row('eu').missing, row('eu').queued], [4, 1, 3, 1]);
      assert.deepEqual([row('ap').required, row('ap').present, row('ap').missing, row('ap').queued, row('ap').dead], [1, 0, 1, 1, 0]);
      assert.deepEqual(st.locations.map((l) => l.unqueued), [0, 0, 0]); // d has no copy: backfill cannot queue it
      await w.blob('e', [w.us]); // a copy, no job
      assert.deepEqual((await w.s.replication.status([w.eu])).locations.map((l) => [l.name, l.unqueued, l.missing]), [['us', 0, 0], ['eu', 1, 4], ['ap', 0, 1]]);
      assert.ok(row('eu').oldestPendingAgeMs! >= 0 && row('eu').oldestPendingAgeMs! < 60_000);
      assert.equal(row('us').oldestPendingAgeMs, undefined);
      assert.deepEqual([st.lost, st.unreplicable], [1, 1]);
      assert.equal((await w.s.replication.status([])).unreplicable, 0); // d is required nowhere then
      assert.equal(row('eu').dead, 1);
      assert.deepEqual(st.jobs, { pending: 1, running: 0, done: 0, dead: 1 });
      assert.deepEqual(st.deadJobs.map((j) => [j.blob.digest, j.lastError]), [[c.digest, 'copy failed']]);
    });
  });

  describe('replication: placements and removing a location', () => {
    it('placements lists blobs in id order with their locations; dropPlacements reports blobs left with none', async () => {
      const w = await world(get());
      const [a, b, c] = [await w.blob('a', [w.eu, w.us]), await w.blob('b', []), await w.blob('c', [w.us])];
      const page = await w.s.replication.placements(0, 2);
      assert.deepEqual(page.map((p) => [p.id, p.size, p.locationIds]), [[a.id, 1, [w.us, w.eu].sort((x, y) => x - y)], [b.id, 1, []]]);
      assert.deepEqual((await w.s.replication.placements(b.id, 10)).map((p) => p.digest), [c.digest]);
      assert.deepEqual(await w.s.replication.placements(c.id, 10), []);
      const dropped = await w.s.replication.dropPlacements([{ blobId: a.id, locationId: w.us }, { blobId: c.id, locationId: w.us }, { blobId: c.id, locationId: w.eu }]);
      assert.deepEqual([dropped.removed, dropped.withoutCopy.map((x) => x.uuid)], [2, [c.uuid]]);
      assert.deepEqual(await w.s.placements.locationsOf(a.id), [w.eu]);
    });

    it('removeLocation refuses an unknown location and a last copy (changing nothing); --force removes it all', async () => {
      const ctx = get();
      const w = await world(ctx);
      const shared = await w.blob('shared', [w.us, w.eu], 'acme/app');
      const only = await w.blob('only', [w.eu]);
      await w.s.regions.add('acme', 'eu');
      await w.s.uploads.create({ id: randomUUID(), repositoryId: (await w.s.repositories.find('acme/app'))!.id, locationId: w.eu, driverState: {} });
      await w.s.jobs.enqueue({ kind: REPLICATE_BLOB, key: only.digest, payload: { blobId: only.id } });
      await assert.rejects(w.s.replication.removeLocation('mars', { force: true }), (e) => e instanceof UnknownLocationError);
      await assert.rejects(w.s.replication.removeLocation('eu', { force: false }), (e) => e instanceof LastCopyError && e.blobs === 1);
      assert.deepEqual(await w.s.placements.locationsOf(only.id), [w.eu]);
      assert.equal((await w.s.regions.list('acme')).length, 1);

      const removed = await w.s.replication.removeLocation('eu', { force: true });
      assert.deepEqual(removed.placementIds, [shared.id, only.id]);
      assert.deepEqual([removed.uploadsRemoved, removed.regionsRemoved, removed.jobsDropped], [1, 1, 1]);
      assert.deepEqual(removed.orphanedBlobs.map((b) => b.uuid), [only.uuid]);
      assert.deepEqual((await w.s.locations.list()).map((l) => l.name), ['us', 'ap']);
      assert.deepEqual(await w.s.placements.locationsOf(shared.id), [w.us]);
      assert.deepEqual(await w.s.regions.list(), []);
      assert.deepEqual(await w.jobKeys(), []);
    });

    it('removeLocation rolls back every step when a later one fails, or when the caller’s transaction does', async () => {
      const ctx = get();
      const w = await world(ctx);
      const b = await w.blob('b', [w.us, w.eu], 'acme/app');
      await w.s.regions.add('acme', 'eu');
      await w.s.uploads.create({ id: randomUUID(), repositoryId: (await w.s.repositories.find('acme/app'))!.id, locationId: w.eu, driverState: {} });
      const unchanged = async () => {
        assert.deepEqual(await w.s.placements.locationsOf(b.id), [w.us, w.eu].sort((x, y) => x - y));
        assert.equal((await w.s.regions.list()).length, 1);
        assert.equal((await w.s.uploads.listStale(Date.now() + 1, 10)).length, 1);
        assert.equal((await w.s.locations.list()).length, 3);
      };
      const boom = new Error('boom');
      await assert.rejects(
        ctx.store.transaction(async (tx) => {
          await tx.replication.removeLocation('eu', { force: false });
          throw boom;
        }),
        (e) => e === boom,
      );
      await unchanged();
      // Something else still references the location: the last step fails, the earlier ones roll back.
      await sql`create table blocker (location_id bigint references storage_location(id))`.execute(inspect(ctx));
      await sql`insert into blocker values (${w.eu})`.execute(inspect(ctx));
      await assert.rejects(w.s.replication.removeLocation('eu', { force: true }), /^Error: replication\.removeLocation: /);
      await unchanged();
    });
  });

  describe('namespace regions', () => {
    it('add creates the namespace, is idempotent; remove and list', async () => {
      const w = await world(get());
      assert.equal(await w.s.regions.add('newns', 'eu'), true);
      assert.equal(await w.s.regions.add('newns', 'eu'), false);
      await w.s.regions.add('newns', 'ap');
      await w.s.regions.add('acme', 'us');
      await assert.rejects(w.s.regions.add('acme', 'mars'), (e) => e instanceof UnknownLocationError);
      assert.deepEqual(await w.s.regions.list(), [
        { namespace: 'acme', location: 'us' },
        { namespace: 'newns', location: 'ap' },
        { namespace: 'newns', location: 'eu' },
      ]);
      assert.deepEqual(await w.s.regions.list('acme'), [{ namespace: 'acme', location: 'us' }]);
      assert.equal(await w.s.regions.remove('newns', 'eu'), true);
      assert.equal(await w.s.regions.remove('newns', 'eu'), false);
      assert.equal(await w.s.regions.remove('nobody', 'mars'), false);
      assert.equal((await w.s.regions.list('newns')).length, 1);
      // A namespace created here is an organization, as for pushes.
      const repo = await w.s.repositories.ensure(parseRepositoryName('newns/app'));
      assert.ok(repo.namespaceId > 0);
    });
  });
}
