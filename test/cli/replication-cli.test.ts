/**
 * The geo-replication operator commands as an operator runs them: the real `wharf` CLI as a
 * child process, on SQLite with LocalStorage locations, seeded with real blobs and placements.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { REPLICATE_BLOB } from '../../src/jobs/notifier.js';
import { loadConfig } from '../../src/main.js';
import type { BlobRow } from '../../src/metadata/store.js';
import { pushImage } from '../support/http.js';
import { startTestRegistry } from '../support/registry.js';
import { replicationFixture, wharf, type Fixture } from '../support/replication-fixture.js';

const PROMPT = (name: string) => `WARNING: This is a destructive operation. Are you sure you want to remove ${name} from your storage locations? [y/n] `;
const REASK = "Please respond with 'yes' or 'no' (or 'y' or 'n').";
const lines = (text: string) => text.split('\n').filter((l) => l.length > 0);

describe('wharf replication commands', () => {
  let f: Fixture;
  let config = '';
  let run: (args: string[], input?: string) => ReturnType<typeof wharf>;
  let blobs: BlobRow[];
  before(async () => {
    f = await replicationFixture(['us', 'eu']);
    config = await f.config({ locations: ['us', 'eu'], defaults: ['us', 'eu'] });
    run = (args, input) => wharf([...args, '--config', config], { cwd: f.dir, input });
    blobs = [await f.blob('one', ['us']), await f.blob('two', ['us', 'eu']), await f.blob('three', ['us']), await f.blob('four', ['us'], 'acme/app')];
  });
  after(async () => f.destroy());
  const missingUuids = () => [blobs[0]!, blobs[2]!, blobs[3]!].map((b) => b.uuid);

  it('every command has --help', async () => {
    for (const args of [['backfill-replication'], ['remove-location'], ['replication', 'status'], ['verify-placements'], ['namespace-region', 'add'], ['namespace-region', 'list']]) {
      const res = await wharf([...args, '--help'], { cwd: f.dir });
      assert.equal(res.code, 0, args.join(' '));
      assert.match(res.stdout, /Usage: wharf .*--config <file>/s, args.join(' '));
    }
  });

  it('backfill-replication refuses when replication is off (Quay’s message, exit 1)', async () => {
    const off = await f.config({ locations: ['us', 'eu'], defaults: ['eu'], replication: false }, 'off.yaml');
    const res = await wharf(['backfill-replication', '--config', off], { cwd: f.dir });
    assert.equal(res.code, 1);
    assert.equal(res.stderr, 'Storage replication is not enabled. Exiting.\n');
    const remove = await wharf(['remove-location', 'eu', '--yes', '--config', off], { cwd: f.dir });
    assert.equal(remove.code, 1);
    assert.match(remove.stderr, /^Error removing storage location: Storage replication is not enabled\. Exiting\./);
  });

  it('backfill-replication: a dry run lists, a real run enqueues, a second run adds nothing', async () => {
    const dry = await run(['backfill-replication', '--dry-run', '--batch-size', '2']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(lines(dry.stdout).slice(0, -1), missingUuids().map((u) => `Would enqueue blob ${u} to be replicated`));
    assert.match(dry.stdout, /Dry run: scanned 4 blob\(s\): 3 would be enqueued, 0 already queued, 1 complete, 0 without any copy\n$/);
    assert.deepEqual(await f.store.stores.jobs.list(REPLICATE_BLOB, 'pending', 10), []);

    const real = await run(['backfill-replication', '--batch-size', '3']);
    assert.equal(real.code, 0, real.stderr);
    assert.deepEqual(lines(real.stdout).slice(0, -1), missingUuids().map((u) => `Enqueueing blob ${u} to be replicated`));
    assert.match(real.stdout, /Scanned 4 blob\(s\): 3 enqueued, 0 already queued, 1 complete/);
    const jobs = await f.store.stores.jobs.list(REPLICATE_BLOB, 'pending', 10);
    assert.deepEqual(jobs.map((j) => j.payload).sort(), [blobs[0], blobs[2], blobs[3]].map((b) => ({ blobId: b!.id })).sort());

    const again = await run(['backfill-replication', '--json']);
    assert.equal(again.code, 0, again.stderr);
    const summary = JSON.parse(again.stdout) as { scanned: number; enqueued: number; alreadyQueued: number; blobs: unknown[] };
    assert.deepEqual([summary.scanned, summary.enqueued, summary.alreadyQueued, summary.blobs.length], [4, 0, 3, 0]);
  });

  it('replication status: a table, --json numbers, --wait exits 2 on timeout', async () => {
    const text = await run(['replication', 'status']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^LOCATION\s+REQUIRED\s+PRESENT\s+MISSING\s+QUEUED\s+DEAD\s+OLDEST PENDING\n/);
    assert.match(text.stdout, /\neu\s+4\s+1\s+3\s+3\s+0\s+\d+(ms|s)\n/);
    assert.match(text.stdout, /replication jobs: 3 pending, 0 running, 0 dead/);
    const json = JSON.parse((await run(['replication', 'status', '--json'])).stdout) as { missing: number; locations: { name: string; required: number; present: number; missing: number; queued: number }[] };
    assert.deepEqual(json.locations.map((l) => [l.name, l.required, l.present, l.missing, l.queued]), [['us', 4, 4, 0, 0], ['eu', 4, 1, 3, 3]]);
    assert.equal(json.missing, 3);

    const started = Date.now();
    const wait = await run(['replication', 'status', '--wait', '--timeout', '0.4', '--interval', '0.1']);
    assert.equal(wait.code, 2, wait.stderr);
    assert.ok(Date.now() - started >= 400);
    assert.match(wait.stderr, /timed out with 3 placement\(s\) still missing: eu: 3 missing \(3 queued\)/);
  });

  it('replication status --wait exits 0 once converged and 1 early on dead jobs', async () => {
    const usOnly = await f.config({ locations: ['us', 'eu'], defaults: ['us'] }, 'us-only.yaml');
    const done = await wharf(['replication', 'status', '--wait', '--json', '--config', usOnly], { cwd: f.dir });
    assert.equal(done.code, 0, done.stderr);
    assert.equal((JSON.parse(done.stdout) as { outcome: string }).outcome, 'converged');

    const db = await import('../../src/metadata/dialects/sqlite.js');
    const inspect = db.createSqliteDb<import('../../src/metadata/sql/schema.js').Database>(join(f.dir, 'wharf.db'));
    await inspect.updateTable('job').set({ state: 'dead', attempts: 5, last_error: 'copy failed: disk full' }).where('key', '=', blobs[0]!.digest).execute();
    await inspect.destroy();
    const dead = await run(['replication', 'status', '--wait', '--timeout', '30']);
    assert.equal(dead.code, 1);
    assert.match(dead.stderr, new RegExp(`blob ${blobs[0]!.uuid} .* after 5 attempt\\(s\\): copy failed: disk full`));
  });

  it('namespace-region add, list, remove; a region makes backfill replicate the namespace', async () => {
    const g = await replicationFixture(['us', 'eu']);
    try {
      const cfg = await g.config({ locations: ['us', 'eu'], defaults: ['us'] });
      const r = (args: string[]) => wharf([...args, '--config', cfg], { cwd: g.dir });
      const b = await g.blob('acme layer', ['us'], 'acme/app');
      await g.blob('other layer', ['us'], 'other/app');
      assert.match((await r(['namespace-region', 'add', 'acme', 'mars'])).stderr, /"mars" is not defined in DISTRIBUTED_STORAGE_CONFIG/);
      const add = await r(['namespace-region', 'add', 'acme', 'eu']);
      assert.equal(add.code, 0, add.stderr);
      assert.match(add.stdout, /^Added region eu to namespace acme\n/);
      assert.match((await r(['namespace-region', 'add', 'acme', 'eu'])).stdout, /already has region eu/);
      assert.deepEqual(JSON.parse((await r(['namespace-region', 'list', '--json'])).stdout), [{ namespace: 'acme', location: 'eu' }]);
      const backfill = await r(['backfill-replication']);
      assert.deepEqual(lines(backfill.stdout).slice(0, -1), [`Enqueueing blob ${b.uuid} to be replicated`]);
      assert.equal((await r(['namespace-region', 'remove', 'acme', 'eu'])).code, 0);
      const again = await r(['namespace-region', 'remove', 'acme', 'eu']);
      assert.deepEqual([again.code, again.stderr], [1, 'wharf: namespace acme has no region eu\n']);
      assert.equal((await r(['namespace-region', 'list'])).stdout, 'no namespace regions\n');
    } finally {
      await g.destroy();
    }
  });

  describe('remove-location', () => {
    let g: Fixture;
    let cfg = '';
    let a: BlobRow, b: BlobRow, c: BlobRow;
    const r = (args: string[], input?: string) => wharf([...args, '--config', cfg], { cwd: g.dir, input });
    before(async () => {
      g = await replicationFixture(['us', 'eu', 'ap']); // ap: in the database, no longer configured
      cfg = await g.config({ locations: ['us', 'eu'], defaults: ['us'] });
      [a, b, c] = [await g.blob('a', ['us', 'eu', 'ap']), await g.blob('b', ['us', 'ap']), await g.blob('c', ['ap'])];
      const repo = await g.store.stores.repositories.ensure({ value: 'acme/app', namespace: 'acme' });
      await g.store.stores.uploads.create({ id: '0b3c6a43-5e33-4c1f-9a53-0a4f2f7f6d11', repositoryId: repo.id, locationId: g.ids.get('ap')!, driverState: {} });
    });
    after(async () => g.destroy());

    it('refuses a configured location, an unknown one, and a last copy (with the count)', async () => {
      const configured = await r(['remove-location', 'eu', '--yes']);
      assert.equal(configured.code, 1);
      assert.match(configured.stderr, /^Error removing storage location: eu is still listed in DISTRIBUTED_STORAGE_CONFIG .*--force/);
      const unknown = await r(['remove-location', 'mars', '--yes']);
      assert.deepEqual([unknown.code, unknown.stderr], [1, 'Error removing storage location: storage location "mars" does not exist\n']);
      const last = await r(['remove-location', 'ap', '--yes']);
      assert.equal(last.code, 1);
      assert.match(last.stderr, /^Error removing storage location: 1 blob\(s\) have their only verified copy at ap; .*--force/);
      assert.deepEqual(await g.store.stores.placements.locationsOf(c.id), [g.ids.get('ap')]);
    });

    it('asks again on other answers, cancels on no, refuses without an answer', async () => {
      const cancel = await r(['remove-location', 'ap', '--force'], 'maybe\nNo\n');
      assert.equal(cancel.code, 1);
      assert.equal(cancel.stdout, `${PROMPT('ap')}${REASK}\n${PROMPT('ap')}Canceling operation...\n`);
      const silent = await r(['remove-location', 'ap', '--force']);
      assert.equal(silent.code, 1);
      assert.match(silent.stderr, /no confirmation: standard input ended without an answer; pass --yes/);
      assert.equal((await g.store.stores.locations.list()).length, 3);
    });

    it('removes on yes, with Quay’s lines, and names the blobs that lost their only copy', async () => {
      const res = await r(['remove-location', 'ap', '--force'], 'Ye\n');
      assert.equal(res.code, 0, res.stderr);
      assert.equal(
        res.stdout,
        `${PROMPT('ap')}Removed 1 temporary blobs from blobupload table.\n` +
          [a, b, c].map((x) => `Deleted placement ${x.id}\n`).join('') +
          'Deleted location ap\n',
      );
      assert.match(res.stderr, new RegExp(`^WARNING: 1 blob\\(s\\) had their only verified copy at ap and now have none:\\n  blob ${c.uuid}`));
      const quiet = await r(['remove-location', 'eu', '--yes', '--force', '--quiet']);
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.equal(quiet.stdout, 'Removed 0 temporary blobs from blobupload table.\nDeleted 1 placements\nDeleted location eu\n');
      assert.match(quiet.stderr, /^warning: eu is still listed in DISTRIBUTED_STORAGE_CONFIG/);
      assert.deepEqual((await g.store.stores.locations.list()).map((l) => l.name), ['us']);
    });
  });

  describe('verify-placements', () => {
    it('reports a deleted object and a corrupted one; --repair drops them and re-enqueues', async () => {
      const g = await replicationFixture(['us', 'eu']);
      try {
        const cfg = await g.config({ locations: ['us', 'eu'], defaults: ['us', 'eu'] });
        const r = (args: string[]) => wharf([...args, '--config', cfg], { cwd: g.dir });
        const [ok, gone, bad, only] = [await g.blob('ok', ['us', 'eu']), await g.blob('gone', ['us', 'eu']), await g.blob('bad!', ['us', 'eu']), await g.blob('only', ['eu'])];
        await (await g.driver('eu')).delete(g.keyOf(gone));
        await (await g.driver('eu')).delete(g.keyOf(only));
        await writeFile(join(g.dir, 'us', g.keyOf(bad)), 'BAD!'); // same size, other bytes
        const check = await r(['verify-placements']);
        assert.equal(check.code, 2, check.stderr);
        assert.match(check.stdout, new RegExp(`DRIFT missing: blob ${gone.uuid} .* at eu: no object at`));
        assert.match(check.stdout, /Verified 7 placement\(s\) of 4 blob\(s\): 5 ok, 2 drift, 0 error\(s\)/);
        const full = await r(['verify-placements', '--full', '--json']);
        assert.equal(full.code, 2);
        const report = JSON.parse(full.stdout) as { findings: { kind: string; blob: { uuid: string } }[] };
        assert.deepEqual(report.findings.map((x) => [x.kind, x.blob.uuid]).sort(), [['digest', bad.uuid], ['missing', gone.uuid], ['missing', only.uuid]].sort());

        const repair = await r(['verify-placements', '--full', '--repair']);
        assert.equal(repair.code, 1); // `only` has no copy left
        assert.match(repair.stdout, /Dropped 3 bad placement\(s\); enqueued 2 blob\(s\) for replication/);
        assert.match(repair.stderr, new RegExp(`ERROR: blob ${only.uuid} .* has NO verified copy in any location`));
        assert.deepEqual((await g.store.stores.jobs.list(REPLICATE_BLOB, 'pending', 10)).map((j) => j.key).sort(), [gone.digest, bad.digest].sort());
        assert.equal((await g.store.stores.placements.locationsOf(ok.id)).length, 2);
        const after = await r(['verify-placements', '--full']);
        assert.deepEqual([after.code, /4 ok, 0 drift/.test(after.stdout)], [1, true]); // clean, but `only` is still lost
      } finally {
        await g.destroy();
      }
    });
  });

  it('blobs pushed over HTTP are replicated by the worker: status --wait converges, verify --full is clean', async () => {
    const g = await replicationFixture(['us', 'eu']);
    const cfg = await g.config({ locations: ['us', 'eu'], defaults: ['us', 'eu'] });
    const registry = await startTestRegistry({ dialect: 'sqlite', reuse: { dataDir: g.dir, config: loadConfig(cfg, {}) } });
    try {
      await pushImage(registry!.url, 'acme/app', 'v1', 'replicated');
      const r = (args: string[]) => wharf([...args, '--config', cfg], { cwd: g.dir });
      const wait = await r(['replication', 'status', '--wait', '--json', '--timeout', '30', '--interval', '0.2']);
      assert.equal(wait.code, 0, wait.stdout + wait.stderr);
      const status = JSON.parse(wait.stdout) as { outcome: string; locations: { name: string; present: number; missing: number }[] };
      assert.deepEqual(status.locations.map((l) => [l.name, l.present, l.missing]), [['us', 2, 0], ['eu', 2, 0]]);
      const verify = await r(['verify-placements', '--full']);
      assert.equal(verify.code, 0, verify.stdout + verify.stderr);
      assert.match(verify.stdout, /Verified 4 placement\(s\) of 2 blob\(s\): 4 ok, 0 drift/);
      assert.match((await r(['backfill-replication'])).stdout, /^Scanned 2 blob\(s\): 0 enqueued, 0 already queued, 2 complete/);
    } finally {
      await registry?.stop();
      await g.destroy();
    }
  });
});
