// `npm run bench -- replication`: one large blob replicated us → eu by a real `wharf serve --roles
// replication` process, timed from enqueue to the placement, against `cp` of the same file.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPLICATE_BLOB } from '../../src/jobs/notifier.js';
import { loadConfig, openMetadata } from '../../src/main.js';
import type { BlobRow, MetadataStore } from '../../src/metadata/store.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createDriver } from '../../src/storage/drivers.js';
import { openNotifier } from '../../src/workers.js';
import { nodeStreamCopy, run, timed, writeRandomBlob } from '../support/copies.js';
import { fmt, machineLine, positiveInt, sleep, stats, table, writeResult, type Suite } from '../support/figures.js';
import { findExecutable, readCpuSeconds, readPeakRss } from '../support/processes.js';
import { pgClient, postgresServer, postgresVersion, throwawayDatabase } from '../support/services.js';
import { configYaml, requireFreshBuild, startServe } from '../support/wharf.js';

const HELP = `usage: npm run bench -- replication [--size MiB] [--rounds N] [--postgres URL] [--profile DIR]

Replicates one blob of --size MiB (default 1024, random bytes) from LocalStorage location us to
eu (two folders on the same filesystem) with a real \`wharf serve --roles replication\` process
(dist/: run \`npm run build\` first) on a throwaway PostgreSQL database (LISTEN/NOTIFY wakes the
worker). Per round the bench enqueues the job as a push does (ReplicationStore.enqueueMissing, then
notify) and times enqueue → the eu placement's created_at. The same round times, on the same
source file: the minimal node program that streams it through sha256 into a new file and fsyncs
it (what a verified streamed copy needs, node start-up excluded); \`cp\`; \`cp\` then \`sync FILE\`
(Wharf fsyncs what it writes); and hashing alone (\`openssl dgst -sha256\`, the code node hashes
with; sha256sum without openssl). Rounds are interleaved and all kept; \`sync\` (untimed) runs
before each measurement; page caches are not dropped. Prints medians, MB/s, ratios, the worker's
peak RSS and CPU seconds per replication; writes bench/results/<timestamp>-replication.json.

  --size MiB      blob size (default 1024)
  --rounds N      measured rounds (default 5)
  --postgres URL  server for the throwaway database (default: WHARF_TEST_POSTGRES_URL, else
                  postgresql://postgres@127.0.0.1:5432/postgres)
  --profile DIR   run the worker under node --cpu-prof, writing its .cpuprofile into DIR at stop`;

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { size: { type: 'string', default: '1024' }, rounds: { type: 'string', default: '5' }, postgres: { type: 'string' }, profile: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return void console.log(HELP);
  const bytes = positiveInt('size', values.size) * 2 ** 20;
  const rounds = positiveInt('rounds', values.rounds);
  requireFreshBuild();
  const work = await mkdtemp(join(tmpdir(), 'wharf-bench-replication-'));
  const database = await throwawayDatabase(postgresServer(values.postgres));
  const client = await pgClient(database.url);
  const config = join(work, 'config.yaml');
  const paths = { us: join(work, 'us'), eu: join(work, 'eu') };
  await writeFile(config, configYaml({ db: database.url, locations: Object.entries(paths).map(([name, path]) => ({ name, path })), preference: ['us', 'eu'], defaults: ['us', 'eu'] }));
  const nodeArgs = values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`];
  const worker = await startServe({ name: 'worker', config, cwd: work, roles: 'replication', nodeArgs });
  const startRss = readPeakRss(worker.pid);
  const cfg = loadConfig(config);
  const metadata: MetadataStore = await openMetadata(cfg);
  const notifier = await openNotifier(cfg, silentLogger());
  const hasher = findExecutable('openssl') ? 'openssl dgst -sha256' : 'sha256sum'; // openssl: the hash code node uses
  const NODE = 'node read→sha256→write+fsync';
  const series = new Map<string, number[]>(['wharf replication', NODE, 'cp', 'cp + sync FILE', hasher].map((n) => [n, []]));
  const cpu: number[] = [];
  const nodeCpu: number[] = [];
  const pgVersion = await postgresVersion(client);
  let kept = true;
  let stopped: Awaited<ReturnType<typeof worker.stop>> | undefined;
  try {
    const ids = new Map((await metadata.stores.locations.list()).map((l) => [l.name, l.id]));
    const [usId, euId] = [ids.get('us'), ids.get('eu')];
    if (usId === undefined || euId === undefined) throw new Error('the worker did not create the us and eu locations');
    const [us, eu] = [await createDriver('LocalStorage', { storage_path: paths.us }), await createDriver('LocalStorage', { storage_path: paths.eu })];
    console.error(`writing a ${values.size} MiB random blob to us ...`);
    const { digest, key } = await writeRandomBlob(us, bytes);
    const blob: BlobRow = await metadata.stores.blobs.record(digest, bytes);
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
    const measure: Record<string, () => Promise<number>> = {
      'wharf replication': replicate,
      [NODE]: async () => {
        const { seconds, cpuSeconds } = await nodeStreamCopy(source, copy);
        nodeCpu.push(cpuSeconds);
        return seconds;
      },
      cp: () => timed('cp', ['--', source, copy]),
      'cp + sync FILE': () => timed('sh', ['-c', 'cp -- "$0" "$1" && sync -- "$1"', source, copy]),
      [hasher]: () => (hasher === 'sha256sum' ? timed('sha256sum', ['--', source]) : timed('openssl', ['dgst', '-sha256', source])),
    };
    const names = [...series.keys()];
    for (let round = 1; round <= rounds; round++) {
      for (const name of round % 2 === 1 ? names : [...names].reverse()) {
        await metadata.stores.placements.remove(blob.id, euId);
        await eu.delete(key);
        await rm(copy, { force: true });
        await run('sync');
        series.get(name)?.push(await (measure[name] ?? (() => Promise.resolve(NaN)))());
      }
      console.error(`round ${round}/${rounds}: ${names.map((n) => `${n} ${series.get(n)?.at(-1)?.toFixed(3)} s`).join(', ')}`);
    }
    kept = false;
  } finally {
    await notifier.close();
    await metadata.close();
    await client.end();
    stopped = await worker.stop();
    await database.drop();
    if (kept) console.error(`bench: kept ${work} (worker.log, storage) for inspection`);
    else await rm(work, { recursive: true, force: true });
  }

  const summary = [...series].map(([name, seconds]) => ({ name, seconds, ...stats(seconds) }));
  const cpMedian = summary.find((s) => s.name === 'cp')?.median ?? NaN;
  const syncMedian = summary.find((s) => s.name === 'cp + sync FILE')?.median ?? NaN;
  const nodeMedian = summary.find((s) => s.name === NODE)?.median ?? NaN;
  const rows = summary.map((s) => [s.name, fmt.s(s.median), fmt.s(s.min), fmt.s(s.max), fmt.mbps(bytes, s.median), ...[cpMedian, syncMedian, nodeMedian].map((m) => fmt.x(s.median / m))]);
  const pgv = `${pgVersion} (LISTEN/NOTIFY wake-up)`;
  console.log(`\nreplication of one ${values.size} MiB blob, LocalStorage us → eu on one filesystem, vs cp; ${rounds} rounds interleaved`);
  console.log(`  wharf: a real \`wharf serve --roles replication\` process (dist/), ${pgv}; time = enqueue → eu placement created_at`);
  console.log(`  all rounds kept; \`sync\` before each measurement; page cache warm for every series\n  ${machineLine()}\n`);
  console.log(table(['series', 'median', 'min', 'max', 'MB/s (median)', '/ cp', '/ cp+sync', '/ node'], rows));
  const cpuMedian = stats(cpu).median;
  console.log(`\nworker: RSS after start ${fmt.mib(startRss)}, peak RSS ${fmt.mib(stopped?.peakRssBytes)}, CPU seconds per replication (median) ${cpuMedian.toFixed(2)}`);
  console.log(`node read→sha256→write+fsync: CPU seconds per copy (median) ${stats(nodeCpu).median.toFixed(2)} (user+system, all threads, as for the worker)`);
  console.log('rounds (seconds, in run order):');
  for (const s of summary) console.log(`  ${s.name}: ${s.seconds.map((x) => x.toFixed(3)).join(' ')}`);
  const path = await writeResult('replication', { mode: 'process', bytes, rounds, series: summary, worker: { startRssBytes: startRss, ...stopped, cpuSecondsPerReplication: cpu }, nodeCopyCpuSeconds: nodeCpu });
  console.log(`\nwritten: ${path}`);
}

export const replicationSuite: Suite = { name: 'replication', summary: 'replication of a 1 GiB blob between two LocalStorage locations vs cp', help: HELP, run: main };
