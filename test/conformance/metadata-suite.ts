import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { digestOf, parseRepositoryName } from '../../src/domain/index.js';
import { migrations } from '../../src/metadata/migrations/index.js';
import type { Database } from '../../src/metadata/sql/schema.js';
import type { Id, ManifestRow, MetadataStore, NewManifest, Stores } from '../../src/metadata/store.js';
import { accessSuite } from './metadata-access-suite.js';
import { replicationSuite } from './metadata-replication-suite.js';

export interface MetadataUnderTest {
  readonly store: MetadataStore;
  /** A second handle on the same database, for checks the contract does not expose (history). */
  readonly inspect?: Kysely<Database>;
  cleanup(): Promise<void>;
}

/** Byte-wise order, what `_catalog` and tag lists promise. */
const byteOrder = (names: string[]): string[] => [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));

/** Names whose byte order differs from linguistic (locale) order: case, `-`, `.`, `_`, `/`. */
const TRICKY_TAGS = ['latest', 'Latest', 'LATEST', 'v1.0', 'v1-0', 'v1_0', 'v10', 'v1.0-rc1', 'V1', '1', '_x', 'a', 'B'];
const TRICKY_REPOS = ['a/b', 'a-b/c', 'a.b/c', 'a_b/c', 'ab/c', 'a/b/c', 'a/b-c', 'z', '0abc', 'a'];

/**
 * The conformance suite every MetadataStore runs (SQLite and PostgreSQL). Each test gets a
 * fresh, empty database from `open`; the suite migrates it.
 */
export function metadataSuite(name: string, open: () => Promise<MetadataUnderTest>): void {
  describe(`MetadataStore conformance: ${name}`, () => {
    let ctx: MetadataUnderTest;
    let s: Stores;
    let applied: string[];
    beforeEach(async () => {
      ctx = await open();
      applied = await ctx.store.migrate();
      s = ctx.store.stores;
    });
    afterEach(async () => ctx.cleanup());

    const repo = (value: string) => s.repositories.ensure(parseRepositoryName(value));
    const blob = (content: string) => s.blobs.record(digestOf(Buffer.from(content)), Buffer.byteLength(content));
    const manifest = (repositoryId: Id, content: string, more: Partial<NewManifest> = {}) =>
      s.manifests.put({
        repositoryId,
        digest: digestOf(Buffer.from(content)),
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        payload: Buffer.from(content),
        subject: undefined,
        artifactType: undefined,
        blobIds: [],
        childIds: [],
        ...more,
      });
    /** Every page of a paginated listing, `n` at a time. */
    async function allPages(list: (last: string | undefined) => Promise<string[]>, n: number): Promise<string[][]> {
      const pages: string[][] = [];
      let last: string | undefined;
      for (;;) {
        const page = await list(last);
        assert.ok(page.length <= n);
        if (page.length === 0) return pages;
        pages.push(page);
        last = page[page.length - 1];
      }
    }

    describe('migrations', () => {
      it('applies every migration once, in order', async () => {
        assert.deepEqual(applied, Object.keys(migrations).sort());
        assert.deepEqual(await ctx.store.migrate(), []);
        assert.ok(['sqlite', 'postgres'].includes(ctx.store.dialect));
      });
    });

    describe('repositories', () => {
      it('find of a missing repository is undefined', async () => {
        assert.equal(await s.repositories.find('nope/nothing'), undefined);
      });

      it('ensure creates the repository and its namespace, and returns the same row twice', async () => {
        const first = await repo('acme/web/api');
        assert.equal(first.name, 'acme/web/api');
        assert.equal(typeof first.id, 'number');
        assert.deepEqual(await repo('acme/web/api'), first);
        assert.deepEqual(await s.repositories.find('acme/web/api'), first);
        const sibling = await repo('acme/db');
        assert.equal(sibling.namespaceId, first.namespaceId);
        assert.notEqual(sibling.id, first.id);
      });

      it('puts single-component names in the library namespace', async () => {
        const [ubuntu, alpine, other] = [await repo('ubuntu'), await repo('alpine'), await repo('acme/x')];
        assert.equal(ubuntu.namespaceId, alpine.namespaceId);
        assert.notEqual(ubuntu.namespaceId, other.namespaceId);
        if (ctx.inspect) {
          const ns = await ctx.inspect.selectFrom('namespace').selectAll().where('id', '=', ubuntu.namespaceId).executeTakeFirstOrThrow();
          assert.equal(ns.name, 'library');
        }
      });

      it('ensure is safe under concurrent calls', async () => {
        const rows = await Promise.all([...Array(12)].map((_, i) => repo(i % 2 ? 'race/one' : `race/r${i}`)));
        const ones = rows.filter((r) => r.name === 'race/one');
        assert.equal(new Set(ones.map((r) => r.id)).size, 1);
        assert.equal(new Set(rows.map((r) => r.namespaceId)).size, 1);
        assert.equal(new Set(rows.map((r) => r.id)).size, 7);
      });

      it('lists the catalog in byte order, page by page with last and n', async () => {
        for (const name of TRICKY_REPOS) await repo(name);
        const expected = byteOrder(TRICKY_REPOS);
        assert.deepEqual(await s.repositories.list({ n: 100 }), expected);
        const pages = await allPages((last) => s.repositories.list({ last, n: 3 }), 3);
        assert.deepEqual(pages.map((p) => p.length), [3, 3, 3, 1]);
        assert.deepEqual(pages.flat(), expected);
        assert.deepEqual(await s.repositories.list({ last: 'a/b', n: 2 }), expected.slice(expected.indexOf('a/b') + 1).slice(0, 2));
        assert.deepEqual(await s.repositories.list({ last: 'zzz', n: 5 }), []);
        assert.deepEqual(await s.repositories.list({ last: 'a/a', n: 1 }), ['a/b']); // `last` need not exist
      });
    });

    describe('blobs', () => {
      it('record creates a blob once, with a uuid, and returns it again', async () => {
        const digest = digestOf(Buffer.from('layer'));
        assert.equal(await s.blobs.find(digest), undefined);
        const row = await s.blobs.record(digest, 5);
        assert.equal(row.digest, digest);
        assert.equal(row.size, 5);
        assert.match(row.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        assert.deepEqual(await s.blobs.record(digest, 5), row);
        assert.deepEqual(await s.blobs.find(digest), row);
        assert.notEqual((await blob('other')).uuid, row.uuid);
      });

      it('keeps sizes beyond 32 bits as numbers', async () => {
        const size = 5 * 1024 ** 3 + 7;
        const row = await s.blobs.record(digestOf(Buffer.from('big')), size);
        assert.equal(row.size, size);
        assert.equal((await s.blobs.find(row.digest))?.size, size);
      });

      it('record is safe under concurrent calls', async () => {
        const digest = digestOf(Buffer.from('raced'));
        const rows = await Promise.all([...Array(16)].map(() => s.blobs.record(digest, 5)));
        assert.equal(new Set(rows.map((r) => r.id)).size, 1);
        assert.equal(new Set(rows.map((r) => r.uuid)).size, 1);
      });

      it('link, findInRepository, unlink', async () => {
        const [r1, r2] = [await repo('acme/one'), await repo('acme/two')];
        const b = await blob('linked');
        assert.equal(await s.blobs.findInRepository(r1.id, b.digest), undefined);
        await s.blobs.link(r1.id, b.id);
        await s.blobs.link(r1.id, b.id); // idempotent
        assert.deepEqual(await s.blobs.findInRepository(r1.id, b.digest), b);
        assert.equal(await s.blobs.findInRepository(r2.id, b.digest), undefined);
        assert.equal(await s.blobs.unlink(r1.id, b.id), true);
        assert.equal(await s.blobs.unlink(r1.id, b.id), false);
        assert.equal(await s.blobs.findInRepository(r1.id, b.digest), undefined);
        assert.deepEqual(await s.blobs.find(b.digest), b); // the blob record itself stays
      });

      it('findManyInRepository returns only the linked blobs, for long lists too', async () => {
        const r = await repo('acme/many');
        const [a, b, c] = [await blob('a'), await blob('b'), await blob('c')];
        await s.blobs.link(r.id, a.id);
        await s.blobs.link(r.id, c.id);
        assert.deepEqual(await s.blobs.findManyInRepository(r.id, []), new Map());
        const missing = [...Array(1200)].map((_, i) => digestOf(Buffer.from(`missing ${i}`)));
        const found = await s.blobs.findManyInRepository(r.id, [...missing, a.digest, b.digest, c.digest, a.digest]);
        assert.deepEqual(found, new Map([[a.digest, a], [c.digest, c]]));
      });
    });

    describe('locations and placements', () => {
      it('sync inserts missing names, never deletes, and keeps ids', async () => {
        const first = await s.locations.sync(['usstorage', 'eustorage']);
        assert.deepEqual([...first.keys()].sort(), ['eustorage', 'usstorage']);
        const second = await s.locations.sync(['eustorage', 'apstorage', 'eustorage']);
        assert.deepEqual([...second.keys()].sort(), ['apstorage', 'eustorage', 'usstorage']);
        assert.deepEqual(second.get('usstorage'), first.get('usstorage'));
        assert.deepEqual(second.get('eustorage'), first.get('eustorage'));
        assert.deepEqual(await s.locations.sync([]), second);
        assert.deepEqual(await s.locations.list(), [...second.values()].sort((x, y) => x.id - y.id));
      });

      it('add is idempotent; locationsOf and remove', async () => {
        const locs = await s.locations.sync(['us', 'eu']);
        const [us, eu] = [locs.get('us')!.id, locs.get('eu')!.id];
        const b = await blob('placed');
        assert.deepEqual(await s.placements.locationsOf(b.id), []);
        await s.placements.add(b.id, eu);
        await s.placements.add(b.id, us);
        await Promise.all([s.placements.add(b.id, us), s.placements.add(b.id, us)]);
        assert.deepEqual(await s.placements.locationsOf(b.id), [us, eu].sort((x, y) => x - y));
        assert.equal(await s.placements.remove(b.id, us), true);
        assert.equal(await s.placements.remove(b.id, us), false);
        assert.deepEqual(await s.placements.locationsOf(b.id), [eu]);
      });
    });

    describe('uploads', () => {
      async function newUpload(driverState: unknown = { parts: [] }) {
        const r = await repo('acme/up');
        const loc = (await s.locations.sync(['us'])).get('us')!;
        return s.uploads.create({ id: randomUUID(), repositoryId: r.id, locationId: loc.id, driverState });
      }

      it('create starts at offset 0 and find returns the session with its driver state', async () => {
        const state = { id: 'x', size: 0, parts: [{ n: 1, etag: '"e"' }], nested: { ok: true } };
        const before = Date.now();
        const up = await newUpload(state);
        assert.equal(up.offset, 0);
        assert.deepEqual(up.driverState, state);
        assert.ok(up.createdAt >= before && up.createdAt <= Date.now());
        assert.equal(up.updatedAt, up.createdAt);
        assert.deepEqual(await s.uploads.find(up.id), up);
        assert.equal(await s.uploads.find(randomUUID()), undefined);
      });

      it('advance is a compare-and-set on the offset', async () => {
        const up = await newUpload();
        assert.equal(await s.uploads.advance(up.id, 0, 10, { size: 10 }), true);
        assert.equal(await s.uploads.advance(up.id, 0, 5, { size: 5 }), false); // stale offset
        const now = await s.uploads.find(up.id);
        assert.equal(now?.offset, 10);
        assert.deepEqual(now?.driverState, { size: 10 });
        assert.ok(now!.updatedAt >= up.updatedAt);
        assert.equal(await s.uploads.advance(randomUUID(), 0, 1, {}), false);
        const raced = await Promise.all([...Array(6)].map((_, i) => s.uploads.advance(up.id, 10, 20 + i, { i })));
        assert.equal(raced.filter(Boolean).length, 1);
      });

      it('keeps offsets beyond 32 bits', async () => {
        const up = await newUpload();
        const big = 6 * 1024 ** 3;
        assert.equal(await s.uploads.advance(up.id, 0, big, null), true);
        assert.equal((await s.uploads.find(up.id))?.offset, big);
        assert.equal((await s.uploads.find(up.id))?.driverState, null);
      });

      it('delete, and listStale oldest first', async () => {
        const a = await newUpload();
        await sleep(5);
        const b = await newUpload();
        await sleep(5);
        assert.deepEqual((await s.uploads.listStale(Date.now() + 1, 10)).map((u) => u.id), [a.id, b.id]);
        assert.deepEqual((await s.uploads.listStale(Date.now() + 1, 1)).map((u) => u.id), [a.id]);
        assert.deepEqual(await s.uploads.listStale(a.updatedAt, 10), []); // strictly before
        await s.uploads.advance(a.id, 0, 1, {}); // touching it makes it fresh
        assert.deepEqual((await s.uploads.listStale(Date.now() + 1, 10)).map((u) => u.id), [b.id, a.id]);
        assert.equal(await s.uploads.delete(a.id), true);
        assert.equal(await s.uploads.delete(a.id), false);
        assert.equal(await s.uploads.find(a.id), undefined);
      });
    });

    describe('manifests', () => {
      it('put stores the exact bytes and references; find and findMany return them', async () => {
        const r = await repo('acme/m');
        const [cfg, layer] = [await blob('config'), await blob('layer')];
        const payload = Buffer.from('{"schemaVersion":2,  "odd spacing":true}\n');
        const m = await manifest(r.id, payload.toString(), { blobIds: [cfg.id, layer.id, layer.id], artifactType: 'application/x-thing' });
        assert.deepEqual(m.payload, payload);
        assert.ok(Buffer.isBuffer(m.payload));
        assert.equal(m.size, payload.length);
        assert.equal(m.digest, digestOf(payload));
        assert.equal(m.subject, undefined);
        assert.equal(m.artifactType, 'application/x-thing');
        assert.deepEqual(await s.manifests.find(r.id, m.digest), m);
        assert.equal(await s.manifests.find(r.id, digestOf(Buffer.from('absent'))), undefined);
        assert.equal(await s.manifests.find((await repo('acme/other')).id, m.digest), undefined);
        const found = await s.manifests.findMany(r.id, [m.digest, digestOf(Buffer.from('absent'))]);
        assert.deepEqual(found, new Map([[m.digest, m]]));
        if (ctx.inspect) {
          const refs = await ctx.inspect.selectFrom('manifest_blob').select('blob_id').where('manifest_id', '=', m.id).execute();
          assert.deepEqual(refs.map((x) => x.blob_id).sort(), [cfg.id, layer.id].sort());
        }
      });

      it('put of an existing digest returns the stored row unchanged, also under concurrent calls', async () => {
        const r = await repo('acme/m');
        const m = await manifest(r.id, 'same');
        assert.deepEqual(await manifest(r.id, 'same', { mediaType: 'application/other' }), m);
        const raced = await Promise.all([...Array(8)].map(() => manifest(r.id, 'raced')));
        assert.equal(new Set(raced.map((x) => x.id)).size, 1);
        const elsewhere = await manifest((await repo('acme/n')).id, 'same');
        assert.notEqual(elsewhere.id, m.id);
      });

      it('put is atomic: a bad reference leaves no manifest behind', async () => {
        const r = await repo('acme/m');
        await assert.rejects(manifest(r.id, 'broken', { blobIds: [987654321] }), /^Error: manifests\.put: /);
        assert.equal(await s.manifests.find(r.id, digestOf(Buffer.from('broken'))), undefined);
      });

      it('an index records its children; deleting a manifest removes its rows and every tag on it', async () => {
        const r = await repo('acme/idx');
        const [c1, c2] = [await manifest(r.id, 'child 1'), await manifest(r.id, 'child 2')];
        const idx = await manifest(r.id, 'index', { mediaType: 'application/vnd.oci.image.index.v1+json', childIds: [c1.id, c2.id] });
        const other = await manifest(r.id, 'other');
        await s.tags.put(r.id, 'old', idx.id);
        await s.tags.put(r.id, 'old', other.id); // idx is now only in old's history
        await s.tags.put(r.id, 'current', idx.id);
        await s.tags.put(r.id, 'keep', other.id);
        assert.equal(await s.manifests.delete(r.id, idx.digest), true);
        assert.equal(await s.manifests.delete(r.id, idx.digest), false);
        assert.equal(await s.manifests.find(r.id, idx.digest), undefined);
        assert.equal(await s.tags.resolve(r.id, 'current'), undefined);
        assert.deepEqual(await s.tags.list(r.id, { n: 10 }), ['keep', 'old']);
        assert.deepEqual(await s.manifests.find(r.id, c1.digest), c1); // children stay
        if (ctx.inspect) {
          const tags = await ctx.inspect.selectFrom('tag').select('id').where('manifest_id', '=', idx.id).execute();
          const children = await ctx.inspect.selectFrom('manifest_child').select('manifest_id').where('manifest_id', '=', idx.id).execute();
          assert.deepEqual([tags.length, children.length], [0, 0]);
        }
      });

      it('referrers: by subject, optionally by artifact type, ordered by digest', async () => {
        const [r, r2] = [await repo('acme/ref'), await repo('acme/ref2')];
        const subject = await manifest(r.id, 'subject');
        const refs: ManifestRow[] = [];
        for (const [i, type] of ['sig', 'sbom', 'sig', 'sbom', 'sig'].entries()) {
          refs.push(await manifest(r.id, `ref ${i}`, { subject: subject.digest, artifactType: `application/${type}` }));
        }
        await manifest(r2.id, 'elsewhere', { subject: subject.digest, artifactType: 'application/sig' });
        await manifest(r.id, 'unrelated', { subject: digestOf(Buffer.from('x')), artifactType: 'application/sig' });
        const byDigest = (rows: typeof refs) => rows.map((x) => x.digest).sort();
        const all = await s.manifests.referrers(r.id, subject.digest);
        assert.deepEqual(all.map((x) => x.digest), byDigest(refs));
        assert.equal(all[0]?.subject, subject.digest);
        const sigs = await s.manifests.referrers(r.id, subject.digest, 'application/sig');
        assert.deepEqual(sigs.map((x) => x.digest), byDigest(refs.filter((x) => x.artifactType === 'application/sig')));
        assert.deepEqual(await s.manifests.referrers(r.id, subject.digest, 'application/none'), []);
        assert.deepEqual(await s.manifests.referrers(r.id, digestOf(Buffer.from('nothing'))), []);
      });
    });

    describe('tags', () => {
      it('put, resolve, move: one current tag, the old lifetime kept as history', async () => {
        const r = await repo('acme/t');
        const [m1, m2] = [await manifest(r.id, 'one'), await manifest(r.id, 'two')];
        assert.equal(await s.tags.resolve(r.id, 'latest'), undefined);
        await s.tags.put(r.id, 'latest', m1.id);
        assert.deepEqual(await s.tags.resolve(r.id, 'latest'), m1);
        await s.tags.put(r.id, 'latest', m2.id);
        assert.deepEqual(await s.tags.resolve(r.id, 'latest'), m2);
        assert.deepEqual(await s.tags.list(r.id, { n: 10 }), ['latest']);
        assert.equal(await s.tags.resolve((await repo('acme/u')).id, 'latest'), undefined);
        if (ctx.inspect) {
          const rows = await ctx.inspect.selectFrom('tag').selectAll().where('repository_id', '=', r.id).orderBy('id').execute();
          assert.deepEqual(rows.map((t) => t.manifest_id), [m1.id, m2.id]);
          assert.equal(rows[0]?.lifetime_end, rows[1]?.lifetime_start);
          assert.equal(rows[1]?.lifetime_end, null);
        }
      });

      it('delete ends the current lifetime; the tag can be pushed again', async () => {
        const r = await repo('acme/t');
        const m = await manifest(r.id, 'one');
        await s.tags.put(r.id, 'a', m.id);
        await s.tags.put(r.id, 'b', m.id);
        assert.equal(await s.tags.delete(r.id, 'a'), true);
        assert.equal(await s.tags.delete(r.id, 'a'), false);
        assert.equal(await s.tags.delete(r.id, 'never'), false);
        assert.equal(await s.tags.resolve(r.id, 'a'), undefined);
        assert.deepEqual(await s.tags.list(r.id, { n: 10 }), ['b']);
        await s.tags.put(r.id, 'a', m.id);
        assert.deepEqual(await s.tags.resolve(r.id, 'a'), m);
        assert.deepEqual(await s.manifests.find(r.id, m.digest), m); // the manifest stays
      });

      it('lists current tags in byte order, page by page with last and n', async () => {
        const r = await repo('acme/t');
        const m = await manifest(r.id, 'one');
        for (const tag of TRICKY_TAGS) await s.tags.put(r.id, tag, m.id);
        await s.tags.put(r.id, 'gone', m.id);
        await s.tags.delete(r.id, 'gone');
        await s.tags.put((await repo('acme/u')).id, 'elsewhere', (await manifest((await repo('acme/u')).id, 'u')).id);
        const expected = byteOrder(TRICKY_TAGS);
        assert.deepEqual(await s.tags.list(r.id, { n: 100 }), expected);
        const pages = await allPages((last) => s.tags.list(r.id, { last, n: 5 }), 5);
        assert.deepEqual(pages.map((p) => p.length), [5, 5, 3]);
        assert.deepEqual(pages.flat(), expected);
        assert.deepEqual(await s.tags.list(r.id, { last: 'v1-0', n: 2 }), expected.slice(expected.indexOf('v1-0') + 1).slice(0, 2));
      });

      it('concurrent puts of one tag leave exactly one current tag and the full history', async () => {
        const r = await repo('acme/t');
        const ms = await Promise.all([...Array(8)].map((_, i) => manifest(r.id, `m${i}`)));
        await Promise.all(ms.map((m) => s.tags.put(r.id, 'hot', m.id)));
        assert.deepEqual(await s.tags.list(r.id, { n: 10 }), ['hot']);
        const current = await s.tags.resolve(r.id, 'hot');
        assert.ok(ms.some((m) => m.id === current?.id));
        if (ctx.inspect) {
          const rows = await ctx.inspect.selectFrom('tag').selectAll().where('name', '=', 'hot').execute();
          assert.equal(rows.length, 8);
          assert.deepEqual(rows.filter((t) => t.lifetime_end === null).map((t) => t.manifest_id), [current?.id]);
        }
      });
    });

    describe('jobs', () => {
      it('enqueue dedupes while a job with the same kind and key is pending or running', async () => {
        const before = Date.now();
        assert.equal(await s.jobs.enqueue({ kind: 'replicate', key: 'blob:1', payload: { blobId: 1, to: ['eu'] } }), true);
        assert.equal(await s.jobs.enqueue({ kind: 'replicate', key: 'blob:1', payload: { other: true } }), false);
        assert.equal(await s.jobs.enqueue({ kind: 'gc', key: 'blob:1', payload: null }), true);
        assert.equal(await s.jobs.enqueue({ kind: 'replicate', key: 'blob:2', payload: [1, 'two'], runAfter: before + 60_000 }), true);
        const pending = await s.jobs.list('replicate', 'pending', 10);
        assert.deepEqual(pending.map((j) => [j.key, j.payload, j.state, j.attempts]), [
          ['blob:1', { blobId: 1, to: ['eu'] }, 'pending', 0],
          ['blob:2', [1, 'two'], 'pending', 0],
        ]);
        assert.ok(pending[0]!.runAfter >= before && pending[0]!.runAfter <= Date.now());
        assert.equal(pending[1]?.runAfter, before + 60_000);
        assert.equal(pending[0]?.leaseUntil, undefined);
        assert.equal(pending[0]?.lastError, undefined);
        assert.deepEqual((await s.jobs.list('replicate', 'pending', 1)).map((j) => j.key), ['blob:1']);
        assert.deepEqual(await s.jobs.list('replicate', 'dead', 10), []);
        if (ctx.inspect) {
          const id = pending[0]!.id;
          const setState = (state: 'running' | 'done' | 'dead') =>
            ctx.inspect!.updateTable('job').set({ state, lease_until: 123, last_error: 'boom' }).where('id', '=', id).execute();
          await setState('running');
          assert.equal(await s.jobs.enqueue({ kind: 'replicate', key: 'blob:1', payload: {} }), false);
          await setState('dead');
          const [dead] = await s.jobs.list('replicate', 'dead', 10);
          assert.deepEqual([dead?.leaseUntil, dead?.lastError], [123, 'boom']);
          assert.equal(await s.jobs.enqueue({ kind: 'replicate', key: 'blob:1', payload: {} }), true);
        }
      });

      it('enqueue is safe under concurrent calls', async () => {
        const added = await Promise.all([...Array(10)].map(() => s.jobs.enqueue({ kind: 'k', key: 'same', payload: {} })));
        assert.equal(added.filter(Boolean).length, 1);
        assert.equal((await s.jobs.list('k', 'pending', 10)).length, 1);
      });

      it('claim takes due jobs of its kind oldest first, never one that is not due yet', async () => {
        const t = Date.now();
        await s.jobs.enqueue({ kind: 'k', key: 'later', payload: 1, runAfter: t - 1_000 });
        await s.jobs.enqueue({ kind: 'k', key: 'first', payload: 2, runAfter: t - 5_000 });
        await s.jobs.enqueue({ kind: 'k', key: 'future', payload: 3, runAfter: t + 60_000 });
        await s.jobs.enqueue({ kind: 'other', key: 'first', payload: 4, runAfter: t - 9_000 });
        const a = await s.jobs.claim('k', 'w1', 30_000);
        assert.deepEqual([a?.key, a?.payload, a?.state, a?.attempts], ['first', 2, 'running', 1]);
        assert.ok(a!.leaseUntil! >= t + 30_000 && a!.leaseUntil! <= Date.now() + 30_000);
        assert.equal((await s.jobs.claim('k', 'w2', 30_000))?.key, 'later');
        assert.equal(await s.jobs.claim('k', 'w3', 30_000), undefined); // both leased, the third not due
        assert.deepEqual((await s.jobs.list('k', 'running', 10)).map((j) => j.key), ['later', 'first']); // list: oldest enqueued first
        assert.deepEqual((await s.jobs.list('k', 'pending', 10)).map((j) => j.key), ['future']);
      });

      it('a job whose lease expired is claimed again, with attempts + 1; its old owner has lost it', async () => {
        await s.jobs.enqueue({ kind: 'k', key: 'crash', payload: {} });
        const first = await s.jobs.claim('k', 'dead-worker', 1);
        await sleep(5);
        const again = await s.jobs.claim('k', 'w2', 30_000);
        assert.equal(again?.id, first?.id);
        assert.equal(again?.attempts, 2);
        assert.equal(await s.jobs.renew(first!.id, 'dead-worker', 30_000), false);
        assert.equal(await s.jobs.complete(first!.id, 'dead-worker'), false);
        assert.equal(await s.jobs.claim('k', 'w3', 30_000), undefined);
      });

      it('renew, retry, bury and complete succeed only for the worker holding the lease', async () => {
        await s.jobs.enqueue({ kind: 'k', key: 'owned', payload: {} });
        const job = (await s.jobs.claim('k', 'w1', 1_000))!;
        assert.equal(await s.jobs.renew(job.id, 'w2', 60_000), false);
        assert.equal(await s.jobs.renew(job.id, 'w1', 60_000), true);
        assert.ok((await s.jobs.list('k', 'running', 1))[0]!.leaseUntil! >= Date.now() + 59_000);
        assert.equal(await s.jobs.renew(987654, 'w1', 60_000), false);

        const due = Date.now() - 1;
        assert.equal(await s.jobs.retry(job.id, 'w2', 'nope', due), false);
        assert.equal(await s.jobs.retry(job.id, 'w1', 'disk on fire', due), true);
        const [pending] = await s.jobs.list('k', 'pending', 10);
        assert.deepEqual([pending?.runAfter, pending?.lastError, pending?.leaseUntil, pending?.attempts], [due, 'disk on fire', undefined, 1]);
        assert.equal(await s.jobs.retry(job.id, 'w1', 'twice', due), false); // pending now: nobody owns it
        assert.equal(await s.jobs.complete(job.id, 'w1'), false);

        const again = (await s.jobs.claim('k', 'w2', 60_000))!;
        assert.deepEqual([again.id, again.attempts, again.lastError], [job.id, 2, 'disk on fire']);
        assert.equal(await s.jobs.bury(job.id, 'w1', 'not yours'), false);
        assert.equal(await s.jobs.bury(job.id, 'w2', 'x'.repeat(10_000)), true);
        const [dead] = await s.jobs.list('k', 'dead', 10);
        assert.deepEqual([dead?.id, dead?.state, dead?.leaseUntil], [job.id, 'dead', undefined]);
        assert.ok(dead!.lastError!.startsWith('xxx') && dead!.lastError!.length < 5_000); // kept, bounded
        assert.equal(await s.jobs.complete(job.id, 'w2'), false); // dead jobs stay until an operator acts
        assert.equal(await s.jobs.claim('k', 'w3', 60_000), undefined);

        await s.jobs.enqueue({ kind: 'k', key: 'done', payload: {} });
        const done = (await s.jobs.claim('k', 'w3', 60_000))!;
        assert.equal(await s.jobs.complete(done.id, 'w1'), false);
        assert.equal(await s.jobs.complete(done.id, 'w3'), true);
        assert.deepEqual(await s.jobs.list('k', 'running', 10), []);
        assert.deepEqual(await s.jobs.list('k', 'done', 10), []); // complete deletes the row
      });

      it('dedupes while running; a new job with the key is accepted after complete or bury', async () => {
        const job = { kind: 'k', key: 'blob', payload: {} };
        assert.equal(await s.jobs.enqueue(job), true);
        const first = (await s.jobs.claim('k', 'w', 60_000))!;
        assert.equal(await s.jobs.enqueue(job), false);
        await s.jobs.complete(first.id, 'w');
        assert.equal(await s.jobs.enqueue(job), true);
        const second = (await s.jobs.claim('k', 'w', 60_000))!;
        await s.jobs.retry(second.id, 'w', 'later', Date.now() + 60_000);
        assert.equal(await s.jobs.enqueue(job), false); // waiting for its retry is still live
        assert.equal(await s.jobs.claim('k', 'w', 60_000), undefined);
        const other = { kind: 'k', key: 'other', payload: {} };
        await s.jobs.enqueue(other);
        const third = (await s.jobs.claim('k', 'w', 60_000))!;
        assert.equal(third.key, 'other');
        await s.jobs.bury(third.id, 'w', 'gave up');
        assert.equal(await s.jobs.enqueue(other), true);
        assert.deepEqual(await s.jobs.counts('k'), { pending: 2, running: 0, done: 0, dead: 1 });
      });

      it('counts jobs of a kind by state', async () => {
        assert.deepEqual(await s.jobs.counts('k'), { pending: 0, running: 0, done: 0, dead: 0 });
        for (const key of ['a', 'b', 'c', 'd']) await s.jobs.enqueue({ kind: 'k', key, payload: {} });
        await s.jobs.enqueue({ kind: 'other', key: 'a', payload: {} });
        const [x, y] = [(await s.jobs.claim('k', 'w', 60_000))!, (await s.jobs.claim('k', 'w', 60_000))!];
        await s.jobs.bury(y.id, 'w', 'boom');
        assert.deepEqual(await s.jobs.counts('k'), { pending: 2, running: 1, done: 0, dead: 1 });
        await s.jobs.complete(x.id, 'w');
        assert.deepEqual(await s.jobs.counts('k'), { pending: 2, running: 0, done: 0, dead: 1 });
        assert.deepEqual(await s.jobs.counts('other'), { pending: 1, running: 0, done: 0, dead: 0 });
      });

      it('works inside a transaction: a claim rolled back leaves the job pending', async () => {
        await s.jobs.enqueue({ kind: 'k', key: 'tx', payload: {} });
        await assert.rejects(
          ctx.store.transaction(async (tx) => {
            assert.equal((await tx.jobs.claim('k', 'w', 60_000))?.key, 'tx');
            throw new Error('rollback');
          }),
          /rollback/,
        );
        assert.deepEqual((await s.jobs.list('k', 'pending', 10)).map((j) => [j.key, j.attempts]), [['tx', 0]]);
      });

      it('parallel claimers never get the same job', async () => {
        const jobs = 60;
        for (let i = 0; i < jobs; i++) await s.jobs.enqueue({ kind: 'k', key: `j${i}`, payload: i });
        const claimed: number[] = [];
        const claimer = async (worker: string) => {
          for (let job = await s.jobs.claim('k', worker, 60_000); job; job = await s.jobs.claim('k', worker, 60_000)) {
            claimed.push(job.id);
            await sleep(Math.random() * 3); // hold the row a little, as a real handler does
          }
        };
        await Promise.all([...Array(8)].map((_, i) => claimer(`w${i}`)));
        assert.equal(claimed.length, jobs);
        assert.equal(new Set(claimed).size, jobs);
        assert.deepEqual(await s.jobs.counts('k'), { pending: 0, running: jobs, done: 0, dead: 0 });
      });
    });

    replicationSuite(() => ctx);
    accessSuite(() => ctx);

    describe('transactions and errors', () => {
      it('commits everything the callback did and returns its value', async () => {
        const result = await ctx.store.transaction(async (tx) => {
          const r = await tx.repositories.ensure(parseRepositoryName('acme/tx'));
          const b = await tx.blobs.record(digestOf(Buffer.from('tx')), 2);
          await tx.blobs.link(r.id, b.id);
          const m = await tx.manifests.put({ repositoryId: r.id, digest: digestOf(Buffer.from('m')), mediaType: 'x', payload: Buffer.from('m'), subject: undefined, artifactType: undefined, blobIds: [b.id], childIds: [] });
          await tx.tags.put(r.id, 'v1', m.id);
          assert.deepEqual(await tx.tags.resolve(r.id, 'v1'), m); // reads see the transaction's writes
          return r.id;
        });
        assert.equal((await s.repositories.find('acme/tx'))?.id, result);
        assert.equal((await s.tags.resolve(result, 'v1'))?.digest, digestOf(Buffer.from('m')));
      });

      it('rolls back everything when the callback throws, and rethrows that same error', async () => {
        const boom = new Error('boom');
        await assert.rejects(
          ctx.store.transaction(async (tx) => {
            const r = await tx.repositories.ensure(parseRepositoryName('acme/rollback'));
            const b = await tx.blobs.record(digestOf(Buffer.from('rb')), 2);
            await tx.blobs.link(r.id, b.id);
            const loc = (await tx.locations.sync(['us'])).get('us')!;
            await tx.placements.add(b.id, loc.id);
            await tx.uploads.create({ id: randomUUID(), repositoryId: r.id, locationId: loc.id, driverState: {} });
            const m = await tx.manifests.put({ repositoryId: r.id, digest: digestOf(Buffer.from('m')), mediaType: 'x', payload: Buffer.from('m'), subject: undefined, artifactType: undefined, blobIds: [b.id], childIds: [] });
            await tx.tags.put(r.id, 'v1', m.id);
            await tx.jobs.enqueue({ kind: 'replicate', key: b.digest, payload: {} });
            throw boom;
          }),
          (err) => err === boom,
        );
        assert.equal(await s.repositories.find('acme/rollback'), undefined);
        assert.equal(await s.blobs.find(digestOf(Buffer.from('rb'))), undefined);
        assert.deepEqual(await s.locations.list(), []);
        assert.deepEqual(await s.uploads.listStale(Date.now() + 1, 10), []);
        assert.deepEqual(await s.jobs.list('replicate', 'pending', 10), []);
        assert.deepEqual(await s.repositories.list({ n: 10 }), []);
      });

      it('refuses autocommit stores and nested transactions inside a transaction', async () => {
        await assert.rejects(ctx.store.transaction(() => s.repositories.find('x')), /inside transaction\(\)/);
        await assert.rejects(ctx.store.transaction(() => ctx.store.transaction(async () => 1)), /inside transaction\(\)/);
        assert.equal(await s.repositories.find('x'), undefined); // fine again afterwards
      });

      it('names the failed operation and keeps the driver error as cause', async () => {
        await assert.rejects(
          s.uploads.create({ id: randomUUID(), repositoryId: 424242, locationId: 424242, driverState: {} }),
          (err: Error) => /^uploads\.create: /.test(err.message) && err.cause instanceof Error,
        );
      });
    });
  });
}
