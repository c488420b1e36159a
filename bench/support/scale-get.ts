// Manifest GET by tag at scale: `wharf serve --roles web` on an empty PostgreSQL database holding
// one pushed image against the same on a copy of each generated database (a tag of a generated
// repository, and the same pushed image), wrk rounds interleaved across all of them. Twice: with
// Redis (the configuration the issue asks about: reads are served from the in-process cache,
// validated by a Redis version per request) and without Redis (nothing may be cached, so every
// GET runs the database lookups — the figure that shows whether the queries feel the size).
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropRedisPrefix } from './compare-targets.js';
import type { TestDatabase } from '../../test/support/postgres.js';
import { fmt, stats, table } from './figures.js';
import type { RegistryProcess, StopResult } from './processes.js';
import { cloneDatabase, redisTarget, throwawayDatabase } from './services.js';
import { checkManifest, DOCKER_ACCEPT, pushSmallImage, smallImage } from './small-image.js';
import { configYaml, startServe } from './wharf.js';
import { runWrk, type WrkOptions, type WrkResult } from './wrk.js';

/** Where the pushed image goes, on every server. */
export const PUSHED = { repository: 'scale/small', tag: 'latest' } as const;

export interface LoadedDatabase {
  /** e.g. "1,000,000 blobs / 100,000 repos". */
  readonly label: string;
  /** The generated database; copied (CREATE DATABASE ... TEMPLATE), never served itself. */
  readonly template: TestDatabase;
  /** A generated repository and tag to GET. */
  readonly sample: { readonly repository: string; readonly tag: string };
}

export interface GetOptions {
  readonly postgres: string;
  readonly redis: string;
  readonly loaded: readonly LoadedDatabase[];
  readonly rounds: number;
  readonly wrk: WrkOptions;
  readonly warmupSeconds: number;
  /** Also measure without Redis (every GET reads PostgreSQL). */
  readonly uncached: boolean;
}

type Cache = 'redis' | 'none';

/** wrk's figures without its raw output. */
type Run = Omit<WrkResult, 'output'>;

export interface GetRow {
  readonly cache: Cache;
  /** "empty" or a LoadedDatabase label. */
  readonly database: string;
  readonly path: string;
  readonly runs: Run[];
  /** Of the server answering this row (shared by the rows of one server). */
  stopped?: StopResult;
}

interface Server {
  readonly child: RegistryProcess;
  readonly rows: GetRow[];
}

const log = (line: string) => console.error(`manifest GET: ${line}`);
const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Checks that a GET by tag answers 200 with bytes matching Docker-Content-Digest. */
async function checkGenerated(baseUrl: string, repository: string, tag: string): Promise<void> {
  const url = `${baseUrl}/v2/${repository}/manifests/${tag}`;
  const response = await fetch(url, { headers: { Accept: DOCKER_ACCEPT } });
  const body = Buffer.from(await response.arrayBuffer());
  if (response.status !== 200) throw new Error(`GET ${url}: ${response.status} ${body.toString().slice(0, 300)}`);
  if (response.headers.get('docker-content-digest') !== sha256(body)) throw new Error(`GET ${url}: body does not match Docker-Content-Digest`);
}

/** Runs the figure; every database, Redis key and file it created is gone when it returns. */
export async function measureManifestGets(options: GetOptions): Promise<GetRow[]> {
  const work = await mkdtemp(join(tmpdir(), 'wharf-bench-scale-get-'));
  const databases: TestDatabase[] = [];
  const prefixes: string[] = [];
  const servers: Server[] = [];
  const image = smallImage();
  let serial = 0;

  const start = async (cache: Cache, database: TestDatabase, label: string, generated?: LoadedDatabase['sample']): Promise<void> => {
    const name = `${cache}-${++serial}`;
    const dir = join(work, name);
    await mkdir(dir, { recursive: true });
    const redis = cache === 'redis' ? redisTarget(options.redis) : undefined;
    if (redis) prefixes.push(redis.prefix);
    const config = join(dir, 'config.yaml');
    const locations = ['us', 'eu'].map((l) => ({ name: l, path: join(dir, l) }));
    await writeFile(config, configYaml({ db: database.url, locations, preference: ['us', 'eu'], defaults: ['us', 'eu'], ...(redis ? { redis } : {}) }));
    const child = await startServe({ name, config, cwd: dir, roles: 'web' });
    const server: Server = { child, rows: [] };
    servers.push(server);
    await pushSmallImage(child.baseUrl, PUSHED.repository, PUSHED.tag, image);
    await checkManifest(child.baseUrl, PUSHED.repository, PUSHED.tag, image);
    const row = (path: string): GetRow => ({ cache, database: label, path, runs: [] });
    if (generated) {
      await checkGenerated(child.baseUrl, generated.repository, generated.tag);
      server.rows.push(row(`${generated.repository}:${generated.tag}`));
    }
    server.rows.push(row(`${PUSHED.repository}:${PUSHED.tag}`));
  };

  const url = (server: Server, row: GetRow) => {
    const [repository, tag] = row.path.split(':');
    return `${server.child.baseUrl}/v2/${repository}/manifests/${tag}`;
  };
  const wrk = { ...options.wrk, headers: { Accept: DOCKER_ACCEPT } };

  try {
    for (const cache of options.uncached ? (['redis', 'none'] as const) : (['redis'] as const)) {
      const empty = await throwawayDatabase(options.postgres);
      databases.push(empty);
      await start(cache, empty, 'empty');
      for (const [i, loaded] of options.loaded.entries()) {
        const copy = await cloneDatabase(options.postgres, loaded.template, `get${cache}${i}`);
        databases.push(copy);
        await start(cache, copy, loaded.label, loaded.sample);
      }
    }
    const all = servers.flatMap((server) => server.rows.map((row) => ({ server, row })));
    for (const { server, row } of all) {
      const warm = await runWrk(url(server, row), { ...wrk, seconds: options.warmupSeconds });
      if (warm.invalid) log(`warm-up ${row.cache} ${row.database} ${row.path}: ${warm.invalid}`);
    }
    for (let round = 1; round <= options.rounds; round++) {
      // The order rotates every round, so drift on the shared machine spreads over every row.
      const shift = (round - 1) % all.length;
      for (const { server, row } of [...all.slice(shift), ...all.slice(0, shift)]) {
        const { output: _output, ...result } = await runWrk(url(server, row), wrk);
        row.runs.push(result);
        log(`round ${round}: ${row.cache} ${row.database} ${row.path}: ${result.requestsPerSecond.toFixed(0)} req/s, p99 ${result.latencyMs.p99} ms${result.invalid ? ` (invalid: ${result.invalid})` : ''}`);
      }
    }
  } finally {
    for (const server of servers) {
      const stopped = await server.child.stop();
      for (const row of server.rows) row.stopped = stopped;
    }
    for (const database of databases) await database.drop();
    for (const prefix of prefixes) await dropRedisPrefix(options.redis, prefix);
    await rm(work, { recursive: true, force: true });
  }
  return servers.flatMap((server) => server.rows);
}

/** The printed block: one row per (cache, database, path), with loaded/empty ratios of the medians. */
export function manifestGetTable(rows: readonly GetRow[]): string {
  const median = (row: GetRow, pick: (r: Run) => number) => stats(row.runs.map(pick)).median;
  const lines = rows.map((row) => {
    const rps = stats(row.runs.map((r) => r.requestsPerSecond));
    const empty = rows.find((r) => r.cache === row.cache && r.database === 'empty');
    const ratio = (pick: (r: Run) => number) => (empty && empty !== row ? fmt.x(median(row, pick) / median(empty, pick)) : '');
    const invalid = row.runs.filter((r) => r.invalid !== undefined).length;
    return [
      row.cache === 'redis' ? 'redis' : 'none (every GET reads PostgreSQL)',
      row.database,
      row.path,
      median(row, (r) => r.requestsPerSecond).toFixed(0),
      `${rps.min.toFixed(0)}..${rps.max.toFixed(0)}`,
      `${(rps.spread * 100).toFixed(0)}%`,
      `${median(row, (r) => r.latencyMs.p50).toFixed(2)} ms`,
      `${median(row, (r) => r.latencyMs.p99).toFixed(2)} ms`,
      ratio((r) => r.requestsPerSecond),
      ratio((r) => r.latencyMs.p99),
      fmt.mib(row.stopped?.peakRssBytes),
      invalid > 0 ? `${invalid} invalid` : '',
    ];
  });
  return table(['cache', 'database', 'GET by tag', 'req/s', 'min..max', 'spread', 'p50', 'p99', 'req/s loaded/empty', 'p99 loaded/empty', 'server peak RSS', ''], lines, [0, 1, 2, 11]);
}
