import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { sqliteCommitCounter } from '../metadata/dialects/sqlite.js';
import { silentLogger } from '../observability/logger.js';
import { REDIS_SKIP_MESSAGE, testRedisPrefix, testRedisUrl } from '../../test/support/redis.js';
import { databaseFileVersions, localVersions, noVersions, redisVersions, type RepositoryVersions } from './repository-versions.js';

describe('localVersions', () => {
  it('is synchronous, and changes on invalidate (one repository) and invalidateAll (every one)', async () => {
    const v = localVersions();
    const a0 = v.current('a/x');
    const b0 = v.current('b/y');
    assert.ok(typeof a0 === 'number' && typeof b0 === 'number');
    await v.invalidate('a/x');
    const a1 = v.current('a/x');
    assert.notEqual(a1, a0);
    assert.equal(v.current('b/y'), b0);
    await v.invalidateAll();
    assert.notEqual(v.current('a/x'), a1);
    assert.notEqual(v.current('b/y'), b0);
  });
});

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('databaseFileVersions', () => {
  it('is synchronous, stays put without commits, and changes from the next turn on after a commit by another connection or process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wharf-versions-'));
    const path = join(dir, 'wharf.db');
    const writer = new Database(path);
    try {
      writer.pragma('journal_mode = WAL');
      writer.exec('create table t (x integer)');
      const v = databaseFileVersions(sqliteCommitCounter(path));
      const v0 = v.current('a/x');
      assert.equal(typeof v0, 'number');
      assert.equal(v.current('a/x'), v0, 'no commit, same version');
      assert.equal(v.current('b/y'), v0, 'one version for every repository');
      writer.prepare('insert into t values (1)').run();
      assert.equal(v.current('a/x'), v0, 'the counter is read once per turn of the event loop');
      await nextTurn();
      const v1 = v.current('a/x');
      assert.notEqual(v1, v0, 'a commit by another connection changes the version');
      // A commit by another process (what `serve --workers N` and operator commands do).
      const script = `const D = require('better-sqlite3'); const d = new D(${JSON.stringify(path)}); d.prepare('insert into t values (2)').run(); d.close();`;
      execFileSync(process.execPath, ['-e', script], { cwd: process.cwd() });
      await nextTurn();
      const v2 = v.current('a/x');
      assert.notEqual(v2, v1, 'a commit by another process changes the version');
      await v.invalidate('a/x');
      assert.notEqual(v.current('a/x'), v2, 'invalidate alone changes it too');
      await v.close();
    } finally {
      writer.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('noVersions', () => {
  it('never allows caching', async () => {
    const v = noVersions();
    assert.equal(v.current('a/x'), undefined);
    await v.invalidate('a/x');
    assert.equal(v.current('a/x'), undefined);
  });
});

describe('redisVersions', { skip: testRedisUrl() ? false : REDIS_SKIP_MESSAGE }, () => {
  const url = new URL(testRedisUrl() ?? 'redis://127.0.0.1:6379');
  const prefix = testRedisPrefix();
  const config = { host: url.hostname, port: Number(url.port || 6379), password: undefined, db: 0, tls: false, prefix };
  const opened: RepositoryVersions[] = [];
  const open = async () => {
    const v = redisVersions(config, { logger: silentLogger() });
    opened.push(v);
    // Reads before the connection is ready answer "no cache".
    for (let i = 0; i < 100 && (await v.current('warm/up')) === undefined; i++) await new Promise((r) => setTimeout(r, 20));
    return v;
  };
  const raw = new Redis(url.toString());
  after(async () => {
    for (const v of opened) await v.close();
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
  });

  it('two processes agree on a version, and an invalidation by one is seen by the other', async () => {
    const [a, b] = [await open(), await open()];
    const first = await a.current('ns/repo');
    assert.equal(typeof first, 'string');
    assert.equal(await b.current('ns/repo'), first);
    await b.invalidate('ns/repo');
    const second = await a.current('ns/repo');
    assert.notEqual(second, first);
    assert.equal(await b.current('ns/repo'), second);
    await a.invalidateAll();
    assert.notEqual(await b.current('ns/repo'), second);
  });

  it('reads of one turn of the event loop share one answer; a lost key gets a fresh token', async () => {
    const v = await open();
    const answers = await Promise.all([v.current('ns/one'), v.current('ns/one'), v.current('ns/two')]);
    assert.equal(answers[0], answers[1]);
    assert.notEqual(answers[0], answers[2]);
    await raw.del(`${prefix}cache:v:repo:ns/one`);
    const after = await v.current('ns/one');
    assert.ok(typeof after === 'string' && after !== answers[0]);
  });
});
