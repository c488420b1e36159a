// One blob replicated us → eu by a real `wharf serve --roles replication` process on a throwaway
// PostgreSQL database, timed from the enqueue to the placement, round after round, interleaved
// with reference copies of the same file. Shared by the replication and compare suites.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPLICATE_BLOB } from '../../src/jobs/notifier.js';
import { loadConfig, openMetadata } from '../../src/main.js';
import type { BlobRow, MetadataStore } from '../../src/metadata/store.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createDriver } from '../../src/storage/drivers.js';
import { openNotifier } from '../../src/workers.js';
import { nodeStreamCopy, run, timed, writeRandomBlob } from './copies.js';
import { sleep } from './figures.js';
import { findExecutable, readCpuSeconds, readPeakRss, type StopResult } from './processes.js';
import { pgClient, postgresVersion, throwawayDatabase } from './services.js';
import { configYaml, startServe } from './wharf.js';

/** The series a replication run can time, by key; `label` is what tables print. */
export const REPLICATION_SERIES = ['wharf', 'node', 'cp', 'cp+sync', 'hash'] as const;
export type ReplicationSeriesKey = (typeof REPLICATION_SERIES)[number];

export interface ReplicationOptions {
  readonly bytes: number;
  readonly rounds: number;
  /** Server for the throwaway database. */
  readonly postgres: string;
  /** Which series to time (default: all), in this order on odd rounds, reversed on even ones. */
  readonly series?: readonly ReplicationSeriesKey[];
  /** Node options for the worker, e.g. --cpu-prof. */
  readonly nodeArgs?: readonly string[];
  readonly log?: (line: string) => void;
}

export interface ReplicationRun {
  readonly series: readonly { readonly key: ReplicationSeriesKey; readonly label: string; readonly seconds: number[] }[];
  readonly pgVersion: string;
  /** The worker: RSS right after start, and its figures at stop (peak RSS over the whole run). */
  readonly worker: { readonly startRssBytes: number | undefined } & StopResult;
  /** CPU seconds of the worker per replication, and of the node copy per copy. */
  readonly cpuSecondsPerReplication: number[];
  readonly nodeCopyCpuSeconds: number[];
  /** Where the worker's log was while it ran (the folder is kept only on failure). */
  readonly work: string;
}

export async function runReplication(options: ReplicationOptions): Promise<ReplicationRun> {
  const log = options.log ?? ((line: string) => console.error(line));
  const keys = options.series ?? REPLICATION_SERIES;
  const work = await mkdtemp(join(tmpdir(), 'wharf-bench-replication-'));
  const database = await throwawayDatabase(options.postgres);
  const client = await pgClient(database.url);
  const config = join(work, 'config.yaml');
  const paths = { us: join(work, 'us'), eu: join(work, 'eu') };
  await writeFile(config, configYaml({ db: database.url, locations: Object.entries(paths).map(([name, path]) => ({ name, path })), preference: ['us', 'eu'], defaults: ['us', 'eu'] }));
  const worker = await startServe({ name: 'worker', config, cwd: work, roles: 'replication', nodeArgs: options.nodeArgs ?? [] });
  const startRssBytes = readPeakRss(worker.pid);
  const cfg = loadConfig(config);
  const metadata: MetadataStore = await openMetadata(cfg);
  const notifier = await openNotifier(cfg, silentLogger());
  const hasher = findExecutable('openssl') ? 'openssl dgst -sha256' : 'sha256sum'; // openssl: the hash code node uses
  const labels: Record<ReplicationSeriesKey, string> = { wharf: 'wharf replication', node: 'node read→sha256→write+fsync', cp: 'cp', 'cp+sync': 'cp + sync FILE', hash: hasher };
  const series = keys.map((key) => ({ key, label: labels[key], seconds: [] as number[] }));
  const cpu: number[] = [];
  const nodeCpu: number[] = [];
  const pgVersion = await postgresVersion(client);
  let kept = true;
  let stopped: StopResult | undefined;
  try {
    const ids = new Map((await metadata.stores.locations.list()).map((l) => [l.name, l.id]));
    const [usId, euId] = [ids.get('us'), ids.get('eu')];
    if (usId === undefined || euId === undefined) throw new Error('the worker did not create the us and eu locations');
    const [us, eu] = [await createDriver('LocalStorage', { storage_path: paths.us }), await createDriver('LocalStorage', { storage_path: paths.eu })];
    log(`writing a ${(options.bytes / 2 ** 20).toFixed(0)} MiB random blob to us ...`);
    const { digest, key } = await writeRandomBlob(us, options.bytes);
    const blob: BlobRow = await metadata.stores.blobs.record(digest, options.bytes);
    await metadata.stores.placements.add(blob.id, usId);
    const source = join(paths.us, key);
    const copy = join(paths.eu, 'cp-copy');

    const replicate = async (): Promise<number> => {
      const cpu0 = readCpuSeconds(worker.pid) ?? NaN;
      const enqueuedAt = Date.now();
      if ((await metadata.stores.replication.enqueueMissing([blob.id], [usId, euId])) !== 1) throw new Error('no replication job was enqueued');
      await notifier.notify(REPLICATE_BLOB);
      let placedAt: number | undefined;
      for (const deadline = Date.now() + 600_000; placedAt === undefined; await sleep(10)) {
        const { rows } = await client.query<{ t: string }>('select created_at as t from blob_placement where blob_id = $1 and location_id = $2', [blob.id, euId]);
        placedAt = rows[0] === undefined ? undefined : Number(rows[0].t);
        const jobs = await metadata.stores.jobs.counts(REPLICATE_BLOB);
        if (jobs.dead > 0 || Date.now() > deadline) throw new Error(`no placement at eu (jobs ${JSON.stringify(jobs)}); see ${work}/worker.log`);
      }
      for (let j = await metadata.stores.jobs.counts(REPLICATE_BLOB); j.pending + j.running > 0; j = await metadata.stores.jobs.counts(REPLICATE_BLOB)) await sleep(10); // done: the next enqueue is no duplicate
      cpu.push((readCpuSeconds(worker.pid) ?? NaN) - cpu0);
      return (placedAt - enqueuedAt) / 1000;
    };
    const measure: Record<ReplicationSeriesKey, () => Promise<number>> = {
      wharf: replicate,
      node: async () => {
        const { seconds, cpuSeconds } = await nodeStreamCopy(source, copy);
        nodeCpu.push(cpuSeconds);
        return seconds;
      },
      cp: () => timed('cp', ['--', source, copy]),
      'cp+sync': () => timed('sh', ['-c', 'cp -- "$0" "$1" && sync -- "$1"', source, copy]),
      hash: () => (hasher === 'sha256sum' ? timed('sha256sum', ['--', source]) : timed('openssl', ['dgst', '-sha256', source])),
    };
    for (let round = 1; round <= options.rounds; round++) {
      for (const s of round % 2 === 1 ? series : [...series].reverse()) {
        await metadata.stores.placements.remove(blob.id, euId);
        await eu.delete(key);
        await rm(copy, { force: true });
        await run('sync');
        s.seconds.push(await measure[s.key]());
      }
      log(`round ${round}/${options.rounds}: ${series.map((s) => `${s.label} ${s.seconds.at(-1)?.toFixed(3)} s`).join(', ')}`);
    }
    kept = false;
  } finally {
    await notifier.close();
    await metadata.close();
    await client.end();
    stopped = await worker.stop();
    await database.drop();
    if (kept) log(`bench: kept ${work} (worker.log, storage) for inspection`);
    else await rm(work, { recursive: true, force: true });
  }
  return { series, pgVersion, worker: { startRssBytes, ...stopped }, cpuSecondsPerReplication: cpu, nodeCopyCpuSeconds: nodeCpu, work };
}
