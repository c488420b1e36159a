// `npm run bench -- replication`: one large blob replicated us → eu by a real `wharf serve --roles
// replication` process, timed from enqueue to the placement, against `cp` of the same file.
import { parseArgs } from 'node:util';
import { fmt, machineLine, positiveInt, stats, table, writeResult, type Suite } from '../support/figures.js';
import { runReplication } from '../support/replication.js';
import { postgresServer } from '../support/services.js';
import { requireFreshBuild } from '../support/wharf.js';

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
  const nodeArgs = values.profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values.profile}`];
  const result = await runReplication({ bytes, rounds, postgres: postgresServer(values.postgres), nodeArgs });

  const summary = result.series.map(({ label, seconds }) => ({ name: label, seconds, ...stats(seconds) }));
  const median = (key: string) => stats(result.series.find((s) => s.key === key)?.seconds ?? []).median;
  const [cpMedian, syncMedian, nodeMedian] = [median('cp'), median('cp+sync'), median('node')];
  const rows = summary.map((s) => [s.name, fmt.s(s.median), fmt.s(s.min), fmt.s(s.max), fmt.mbps(bytes, s.median), ...[cpMedian, syncMedian, nodeMedian].map((m) => fmt.x(s.median / m))]);
  const pgv = `${result.pgVersion} (LISTEN/NOTIFY wake-up)`;
  console.log(`\nreplication of one ${values.size} MiB blob, LocalStorage us → eu on one filesystem, vs cp; ${rounds} rounds interleaved`);
  console.log(`  wharf: a real \`wharf serve --roles replication\` process (dist/), ${pgv}; time = enqueue → eu placement created_at`);
  console.log(`  all rounds kept; \`sync\` before each measurement; page cache warm for every series\n  ${machineLine()}\n`);
  console.log(table(['series', 'median', 'min', 'max', 'MB/s (median)', '/ cp', '/ cp+sync', '/ node'], rows));
  const cpuMedian = stats(result.cpuSecondsPerReplication).median;
  console.log(`\nworker: RSS after start ${fmt.mib(result.worker.startRssBytes)}, peak RSS ${fmt.mib(result.worker.peakRssBytes)}, CPU seconds per replication (median) ${cpuMedian.toFixed(2)}`);
  console.log(`node read→sha256→write+fsync: CPU seconds per copy (median) ${stats(result.nodeCopyCpuSeconds).median.toFixed(2)} (user+system, all threads, as for the worker)`);
  console.log('rounds (seconds, in run order):');
  for (const s of summary) console.log(`  ${s.name}: ${s.seconds.map((x) => x.toFixed(3)).join(' ')}`);
  const path = await writeResult('replication', { mode: 'process', bytes, rounds, series: summary, worker: { ...result.worker, cpuSecondsPerReplication: result.cpuSecondsPerReplication }, nodeCopyCpuSeconds: result.nodeCopyCpuSeconds });
  console.log(`\nwritten: ${path}`);
}

export const replicationSuite: Suite = { name: 'replication', summary: 'replication of a 1 GiB blob between two LocalStorage locations vs cp', help: HELP, run: main };
