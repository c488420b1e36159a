// `npm run bench -- cloud`: 1 GiB blob push and pull through S3Storage (a real s3rver) and
// AzureStorage (a real azurite) compared with LocalStorage, and replication S3 → Azure, with real
// `wharf serve` processes (dist/).
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { type Azurite, startAzurite } from '../../test/support/azurite.js';
import { pseudoRandomDigest, pseudoRandomStream } from '../../test/support/multi-region.js';
import type { TestDatabase } from '../../test/support/postgres.js';
import { type S3rver, S3RVER_ACCESS_KEY, S3RVER_SECRET_KEY, startS3rver } from '../../test/support/s3rver.js';
import { fmt, machineLine, positiveInt, sleep, stats, table, writeResult, type Suite } from '../support/figures.js';
import type { RegistryProcess } from '../support/processes.js';
import { pgClient, postgresServer, postgresVersion, redisServer, redisTarget } from '../support/services.js';
import { requireFreshBuild, startServe } from '../support/wharf.js';

const HELP = `usage: npm run bench -- cloud [--size MiB] [--rounds N] [--postgres URL] [--redis URL]

Pushes and pulls blobs of --size MiB (default 1024, pseudo-random, incompressible, a new one per
push) through real \`wharf serve --roles web\` processes (dist/: run \`npm run build\` first) on
three storages: LocalStorage (a folder), S3Storage on a real s3rver and AzureStorage on a real
azurite (test/support/s3rver.ts, azurite.ts; both emulators are node servers writing files).
  push: one monolithic \`POST /v2/<repo>/blobs/uploads/?digest=\` streaming the body (Content-Length
        set), timed from the request to the 201 (the registry verifies the digest);
  pull: \`GET /v2/<repo>/blobs/<digest>\` following the 307 to the emulator's presigned URL
        (FEATURE_PROXY_STORAGE false), and again through a FEATURE_PROXY_STORAGE: true instance
        (the bytes stream through the registry); the client hashes what it reads and checks it.
  replication S3 → Azure: a push to an instance preferring s3 with
        DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS [s3, azure] and a \`wharf serve --roles replication\`
        worker running; timed from the push's 201 to the azure placement's created_at (its own
        throwaway database, so the worker never sees the other blobs).
Rounds are interleaved (push phase, pull phase, replication; the order alternates per round).
Prints MB/s medians and ratios vs LocalStorage; writes bench/results/<timestamp>-cloud.json.

  --size MiB      blob size (default 1024)
  --rounds N      measured rounds (default 2)
  --replication-timeout S  give up on a replication after S seconds from the push's 201
                  (default 600); it is then reported as failed
  --postgres URL  server for the throwaway databases (default: WHARF_TEST_POSTGRES_URL, else
                  postgresql://postgres@127.0.0.1:5432/postgres)
  --redis URL     Redis (default: WHARF_TEST_REDIS_URL, else redis://127.0.0.1:6379); a fresh
                  WHARF_REDIS_PREFIX per setup`;

const STORAGES = ['local', 's3', 'azure'] as const;
type StorageName = (typeof STORAGES)[number];
const BUCKET = 'wharf-bench';
const REPO = 'bench/cloud';

interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly bytes: number;
  readonly digest: string;
  readonly text: string;
}

/** One HTTP/1.1 request; `body` is streamed (with Content-Length `length`), the answer is hashed, never kept. */
function httpCall(method: string, url: string, body?: { stream: Readable; length: number }): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = body ? { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length } : {};
    const req = request(url, { method, headers }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      let text = '';
      res.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        bytes += chunk.length;
        if (text.length < 2000) text += chunk.toString('utf8', 0, Math.min(chunk.length, 2000));
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, bytes, digest: `sha256:${hash.digest('hex')}`, text }));
      res.once('error', reject);
    });
    req.once('error', reject);
    if (body) body.stream.pipe(req);
    else req.end();
  });
}

/** Monolithic push of `pseudoRandomStream(bytes, seed)`; seconds from the request to the 201, and when that came. */
async function push(origin: string, digest: string, bytes: number, seed: string): Promise<{ seconds: number; ackAt: number }> {
  const started = performance.now();
  const res = await httpCall('POST', `${origin}/v2/${REPO}/blobs/uploads/?digest=${digest}`, { stream: pseudoRandomStream(bytes, seed), length: bytes });
  const ackAt = Date.now();
  if (res.status !== 201 || res.headers['docker-content-digest'] !== digest) throw new Error(`push to ${origin}: ${res.status} ${res.text.slice(0, 500)}`);
  return { seconds: (performance.now() - started) / 1000, ackAt };
}

/** GET of the blob, following one 307; seconds to the last byte; the bytes are hashed and checked. */
async function pull(origin: string, digest: string, bytes: number, expectRedirect: boolean): Promise<number> {
  const started = performance.now();
  let res = await httpCall('GET', `${origin}/v2/${REPO}/blobs/${digest}`);
  const redirected = res.status === 307;
  if (redirected) res = await httpCall('GET', String(res.headers.location));
  const seconds = (performance.now() - started) / 1000;
  if (res.status !== 200 || res.bytes !== bytes || res.digest !== digest) throw new Error(`pull from ${origin}: ${res.status}, ${res.bytes} bytes, ${res.digest}: ${res.text.slice(0, 300)}`);
  if (redirected !== expectRedirect) throw new Error(`pull from ${origin}: redirected ${redirected}, expected ${expectRedirect}`);
  return seconds;
}

/**
 * A new empty database named wharf_cloudbench_* (not wharf_test_*, which test clean-ups may drop
 * while the bench runs); drop() removes it.
 */
async function benchDatabase(serverUrl: string): Promise<TestDatabase> {
  const name = `wharf_cloudbench_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = await pgClient(serverUrl);
  await admin.query(`create database "${name}"`).finally(() => admin.end());
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const drop = async () => {
    const client = await pgClient(serverUrl);
    await client.query(`drop database if exists "${name}" with (force)`).finally(() => client.end());
  };
  return { url: url.toString(), reset: () => Promise.reject(new Error('not supported')), drop };
}

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { size: { type: 'string', default: '1024' }, rounds: { type: 'string', default: '2' }, 'replication-timeout': { type: 'string', default: '600' }, postgres: { type: 'string' }, redis: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return void console.log(HELP);
  const bytes = positiveInt('size', values.size) * 2 ** 20;
  const rounds = positiveInt('rounds', values.rounds);
  const replicationTimeoutMs = positiveInt('replication-timeout', values['replication-timeout']) * 1000;
  requireFreshBuild();
  const work = await mkdtemp(join(tmpdir(), 'wharf-bench-cloud-'));
  const processes: RegistryProcess[] = [];
  const databases: TestDatabase[] = [];
  let s3rver: S3rver | undefined;
  let azurite: Azurite | undefined;
  let kept = true;
  const series = new Map<string, number[]>();
  const add = (name: string, x: number) => series.set(name, [...(series.get(name) ?? []), x]);
  let pgVersion = 'unknown';
  /** Series that failed (first error kept): figures of the others are still reported. */
  const failures = new Map<string, string>();
  const attempt = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!failures.has(name)) failures.set(name, message);
      console.error(`${name} failed: ${message}`);
      return undefined;
    }
  };
  try {
    console.error('starting s3rver, azurite, PostgreSQL databases ...');
    [s3rver, azurite] = await Promise.all([startS3rver([BUCKET]), startAzurite()]);
    const container = await azurite.createContainer();
    const server = postgresServer(values.postgres);
    const [mainDb, replDb] = [await benchDatabase(server), await benchDatabase(server)];
    databases.push(mainDb, replDb);
    const client = await pgClient(replDb.url);
    let clientError: Error | undefined;
    client.on('error', (err) => (clientError = err)); // e.g. the database dropped under us: fail the round, clean up
    pgVersion = await postgresVersion(client);
    const storage: Record<StorageName, [string, Record<string, unknown>]> = {
      local: ['LocalStorage', { storage_path: join(work, 'local') }],
      s3: ['S3Storage', { s3_bucket: BUCKET, storage_path: '/registry', s3_access_key: S3RVER_ACCESS_KEY, s3_secret_key: S3RVER_SECRET_KEY, endpoint_url: s3rver.endpoint, s3_force_path_style: true }],
      azure: ['AzureStorage', azurite.params(container, { storage_path: '/registry' })],
    };
    const writeConfig = async (file: string, db: string, defaults: readonly StorageName[], proxy: boolean): Promise<string> => {
      const redis = redisTarget(redisServer(values.redis));
      const config = {
        DB_URI: db,
        AUTHENTICATION_TYPE: 'Open',
        FEATURE_STORAGE_REPLICATION: true,
        FEATURE_PROXY_STORAGE: proxy,
        DISTRIBUTED_STORAGE_CONFIG: storage,
        DISTRIBUTED_STORAGE_PREFERENCE: STORAGES,
        ...(defaults.length > 0 ? { DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: defaults } : {}),
        USER_EVENTS_REDIS: { host: redis.host, port: redis.port },
        WHARF_REDIS_PREFIX: redis.prefix,
      };
      const path = join(work, file);
      await writeFile(path, `${JSON.stringify(config, null, 2)}\n`); // JSON is YAML
      return path;
    };
    const [plain, proxied, repl] = [await writeConfig('plain.yaml', mainDb.url, [], false), await writeConfig('proxy.yaml', mainDb.url, [], true), await writeConfig('repl.yaml', replDb.url, ['s3', 'azure'], false)];
    const preference = (first: StorageName) => [first, ...STORAGES.filter((s) => s !== first)].join(' ');
    const serve = async (name: string, config: string, roles: string, pref: StorageName) => {
      const p = await startServe({ name, config, cwd: work, roles, env: { QUAY_DISTRIBUTED_STORAGE_PREFERENCE: preference(pref) } });
      processes.push(p);
      return p;
    };
    const web: Record<StorageName, RegistryProcess> = { local: await serve('web-local', plain, 'web', 'local'), s3: await serve('web-s3', plain, 'web', 's3'), azure: await serve('web-azure', plain, 'web', 'azure') };
    const proxyWeb: Record<StorageName, RegistryProcess> = { local: await serve('proxy-local', proxied, 'web', 'local'), s3: await serve('proxy-s3', proxied, 'web', 's3'), azure: await serve('proxy-azure', proxied, 'web', 'azure') };
    const replWeb = await serve('web-repl', repl, 'web', 's3');
    await serve('worker', repl, 'replication', 'azure');

    const placedAt = async (digest: string, location: string): Promise<number | undefined> => {
      if (clientError) throw clientError;
      const { rows } = await client.query<{ t: string }>(
        'select p.created_at as t from blob b join blob_placement p on p.blob_id = b.id join storage_location l on l.id = p.location_id where b.digest = $1 and l.name = $2',
        [digest, location],
      );
      return rows[0] === undefined ? undefined : Number(rows[0].t);
    };
    const runId = `${process.pid}-${Date.now()}`;
    for (let round = 1; round <= rounds; round++) {
      const order = round % 2 === 1 ? [...STORAGES] : [...STORAGES].reverse();
      const pushed = new Map<StorageName, string>();
      for (const s of order) {
        const seed = `cloud-${runId}-${round}-${s}`;
        const digest = await pseudoRandomDigest(bytes, seed);
        const result = await attempt(`push ${s}`, () => push(web[s].baseUrl, digest, bytes, seed));
        if (result === undefined) continue;
        const { seconds } = result;
        pushed.set(s, digest);
        add(`push ${s}`, seconds);
        console.error(`round ${round}: push ${s} ${seconds.toFixed(2)} s`);
      }
      for (const s of order) {
        for (const proxy of round % 2 === 1 ? [false, true] : [true, false]) {
          const digest = pushed.get(s);
          const name = `pull ${s} ${proxy ? 'proxied' : 'redirect'}`;
          if (digest === undefined) {
            failures.set(name, `not measured: push ${s} failed`);
            continue;
          }
          const seconds = await attempt(name, () => pull((proxy ? proxyWeb : web)[s].baseUrl, digest, bytes, !proxy && s !== 'local'));
          if (seconds === undefined) continue;
          add(`pull ${s} ${proxy ? 'proxied' : 'redirect'}`, seconds);
          console.error(`round ${round}: pull ${s} ${proxy ? 'proxied' : 'redirect'} ${seconds.toFixed(2)} s`);
        }
      }
      const seed = `cloud-${runId}-${round}-replication`;
      const digest = await pseudoRandomDigest(bytes, seed);
      const pushedRepl = await attempt('push s3 (replication setup)', () => push(replWeb.baseUrl, digest, bytes, seed));
      if (pushedRepl === undefined) continue;
      const { seconds, ackAt } = pushedRepl;
      add('push s3 (replication setup)', seconds);
      let at: number | undefined;
      for (const deadline = ackAt + replicationTimeoutMs; (at = await placedAt(digest, 'azure')) === undefined; await sleep(20)) {
        if (Date.now() > deadline) break;
      }
      if (at === undefined) {
        const why = `no azure placement ${replicationTimeoutMs / 1000} s after the push (worker log: ${/"error":"([^"]{0,300})/.exec(readFileSync(join(work, 'worker.log'), 'utf8'))?.[1] ?? 'no error'})`;
        if (!failures.has('replication s3 → azure')) failures.set('replication s3 → azure', why);
        console.error(`round ${round}: replication s3 → azure failed: ${why}`);
        continue;
      }
      add('replication s3 → azure', (at - ackAt) / 1000);
      console.error(`round ${round}: replication s3 → azure ${((at - ackAt) / 1000).toFixed(2)} s (push ${seconds.toFixed(2)} s)`);
    }
    await client.end();
    kept = false;
  } finally {
    const stopped = await Promise.all(processes.map(async (p) => ({ name: p.name, ...(await p.stop()) })));
    for (const s of stopped) series.set(`rss ${s.name}`, [s.peakRssBytes ?? NaN]);
    await Promise.allSettled([s3rver?.stop(), azurite?.stop(), ...databases.map((d) => d.drop())]);
    if (kept) console.error(`bench: kept ${work} (logs, LocalStorage) for inspection`);
    else await rm(work, { recursive: true, force: true });
  }

  const rss = [...series].filter(([n]) => n.startsWith('rss ')).map(([n, v]) => [n.slice(4), v[0] ?? NaN] as const);
  const summary = [...series].filter(([n]) => !n.startsWith('rss ')).map(([name, seconds]) => ({ name, seconds, ...stats(seconds), mbps: bytes / 1e6 / stats(seconds).median }));
  const median = (name: string) => summary.find((s) => s.name === name)?.median ?? NaN;
  const base = (name: string) => (name.startsWith('push ') ? median('push local') : name.startsWith('pull ') ? median(name.replace(/ (s3|azure) /, ' local ')) : NaN);
  const rows = summary.map((s) => [s.name, fmt.s(s.median), fmt.s(s.min), fmt.s(s.max), fmt.mbps(bytes, s.median), s.name.startsWith('replication') ? '' : fmt.x(base(s.name) / s.median)]);
  console.log(`\n${values.size} MiB blobs through LocalStorage, S3Storage (s3rver) and AzureStorage (azurite); ${rounds} rounds interleaved, a new blob per push`);
  console.log(`  real \`wharf serve\` processes (dist/), ${pgVersion}; push = monolithic POST ?digest= streamed (digest verified by the registry);`);
  console.log('  pull = GET following the 307 to the emulator (redirect) or streamed by a FEATURE_PROXY_STORAGE instance (proxied), hashed and checked by the client;');
  console.log('  LocalStorage never redirects, so "pull local redirect" streams through the registry too');
  console.log(`  replication = push 201 → azure placement created_at, with a \`wharf serve --roles replication\` worker\n  ${machineLine()}\n`);
  console.log(table(['series', 'median', 'min', 'max', 'MB/s (median)', 'speed vs local'], rows));
  console.log('\n  speed vs local = LocalStorage median / this median (same operation; <1 is slower than LocalStorage).');
  console.log('  The emulators bound these figures: s3rver and azurite are single node.js processes that write every object');
  console.log('  to files (azurite also keeps metadata in its own store), on the same machine and CPUs as Wharf and the client;');
  console.log('  real S3 or Azure Blob Storage would behave differently (network, parallel servers). Page caches are not dropped.');
  if (failures.size > 0) {
    console.log('failed (not in the table, or fewer rounds than asked):');
    for (const [name, message] of failures) console.log(`  ${name}: ${message.slice(0, 400)}`);
  }
  console.log(`peak RSS: ${rss.map(([n, b]) => `${n} ${fmt.mib(b)}`).join(', ')}`);
  console.log('rounds (seconds, in run order):');
  for (const s of summary) console.log(`  ${s.name}: ${s.seconds.map((x) => x.toFixed(3)).join(' ')}`);
  const path = await writeResult('cloud', { bytes, rounds, series: summary, failures: Object.fromEntries(failures), peakRssBytes: Object.fromEntries(rss) });
  console.log(`\nwritten: ${path}`);
}

export const cloudSuite: Suite = { name: 'cloud', summary: '1 GiB push/pull via S3 (s3rver) and Azure (azurite) vs LocalStorage; replication S3 → Azure', help: HELP, run: main };
