// `npm run bench -- scale`: the replication operator commands as child processes on PostgreSQL
// holding 100k (or more) synthetic blobs, and how their times grow with the blob count.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, machineLine, positiveInt, stats, table, writeResult, type Suite } from '../support/figures.js';
import type { TestDatabase } from '../../test/support/postgres.js';
import { generatedDatabase, shapeFor, type Shape } from '../support/scale-data.js';
import { cloneDatabase, pgClient, postgresServer, postgresVersion } from '../support/services.js';
import { configYaml, requireFreshBuild, runWharf, type CliRun } from '../support/wharf.js';

const HELP = `usage: npm run bench -- scale [--blobs N[,N...]] [--backlog J] [--repeat R] [--postgres URL] [--keep]

For each blob count N (default 100000; --blobs 100000,1000000 shows the scaling): creates a
throwaway PostgreSQL database, runs \`wharf migrate\`, generates N blobs with set-based SQL (every
blob at us, every second one at eu; N/100 repositories in N/1000 namespaces, a link per blob and a
second one for every 5th; eu as region of every 20th namespace; J pending jobs of blobs missing
eu, default 1% of N; dead jobs for 0.1%; VACUUM ANALYZE). Then R times (sizes interleaved), on a fresh copy
of that database (CREATE DATABASE ... TEMPLATE), times these child processes of dist/ (\`npm run
build\` first) in this order:
  wharf --help                                   (node + CLI start, for reference)
  wharf replication status --json
  wharf backfill-replication --dry-run
  wharf backfill-replication                     (enqueues a job per blob missing eu)
  wharf backfill-replication                     (again: nothing left to enqueue)
  wharf replication status --json                (with those jobs pending)
  wharf remove-location eu --yes --force         (with a config that no longer has eu)
The config has us and eu, DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS [us, eu]. Prints the median, min
and max seconds, the CLI process's own CPU seconds and peak RSS (/usr/bin/time; PostgreSQL's work
is not in them) and the outcome per command; with two or more counts, the growth exponent
log(t2/t1)/log(N2/N1) of each median minus the --help median (1 = linear). Writes
bench/results/<timestamp>-scale.json.

  --blobs N[,N]   blob counts (default 100000)
  --backlog J     pending replication jobs in the generated data (default: 1% of each count)
  --repeat R      runs per count, each on a fresh copy (default 3)
  --postgres URL  server for the throwaway databases (default: WHARF_TEST_POSTGRES_URL, else
                  postgresql://postgres@127.0.0.1:5432/postgres)
  --keep          keep the generated database of the last count (printed) for EXPLAIN ANALYZE`;

const STEPS: readonly { label: string; args: (config: string, withoutEu: string) => string[] }[] = [
  { label: '--help (start-up)', args: () => ['--help'] },
  { label: 'replication status --json', args: (c) => ['replication', 'status', '--json', '--config', c] },
  { label: 'backfill-replication --dry-run', args: (c) => ['backfill-replication', '--dry-run', '--config', c] },
  { label: 'backfill-replication', args: (c) => ['backfill-replication', '--config', c] },
  { label: 'backfill-replication (again)', args: (c) => ['backfill-replication', '--config', c] },
  { label: 'replication status --json (queued)', args: (c) => ['replication', 'status', '--json', '--config', c] },
  { label: 'remove-location eu --yes --force', args: (_, w) => ['remove-location', 'eu', '--yes', '--force', '--config', w] },
];

type Step = CliRun & { label: string };
interface Size {
  readonly shape: Shape;
  readonly rows: Record<string, number>;
  readonly generateSeconds: number;
  readonly runs: Step[][];
  readonly template: TestDatabase;
}

async function prepare(server: string, shape: Shape): Promise<Size> {
  console.error(`${fmt.n(shape.blobs)} blobs: generating ...`);
  return { shape, ...(await generatedDatabase(server, shape)), runs: [] };
}

async function runSteps(server: string, size: Size, round: number): Promise<Step[]> {
  const database = await cloneDatabase(server, size.template, `r${round}`);
  const work = await mkdtemp(join(tmpdir(), 'wharf-bench-scale-'));
  const locations = ['us', 'eu'].map((name) => ({ name, path: join(work, name) }));
  const [config, withoutEu] = [join(work, 'config.yaml'), join(work, 'config-without-eu.yaml')];
  await writeFile(config, configYaml({ db: database.url, locations, preference: ['us', 'eu'], defaults: ['us', 'eu'] }));
  await writeFile(withoutEu, configYaml({ db: database.url, locations: locations.slice(0, 1), preference: ['us'], defaults: ['us'] }));
  const steps: Step[] = [];
  try {
    for (const step of STEPS) {
      steps.push({ label: step.label, ...(await runWharf(step.args(config, withoutEu), work)) });
      console.error(`${fmt.n(size.shape.blobs)} blobs, run ${round}: ${step.label}: ${fmt.s(steps.at(-1)?.seconds)} (exit ${steps.at(-1)?.code})`);
    }
  } finally {
    await database.drop();
    await rm(work, { recursive: true, force: true });
  }
  return steps;
}

async function main(args: string[]): Promise<void> {
  const options = { blobs: { type: 'string', default: '100000' }, backlog: { type: 'string' }, repeat: { type: 'string', default: '3' }, postgres: { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;
  const { values } = parseArgs({ args, options });
  if (values.help) return void console.log(HELP);
  const counts = (values.blobs ?? '').split(',').map((n) => positiveInt('blobs', n.replace(/_/g, '')));
  const repeat = positiveInt('repeat', values.repeat);
  requireFreshBuild();
  const server = postgresServer(values.postgres);
  const version = await pgClient(server).then((c) => postgresVersion(c).finally(() => c.end()));
  const sizes: Size[] = [];
  try {
    const backlog = values.backlog === undefined ? undefined : positiveInt('backlog', values.backlog);
    for (const n of counts) sizes.push(await prepare(server, shapeFor(n, backlog)));
    for (let round = 1; round <= repeat; round++) {
      for (const size of round % 2 === 1 ? sizes : [...sizes].reverse()) size.runs.push(await runSteps(server, size, round));
    }
  } finally {
    for (const [i, size] of sizes.entries()) {
      if (values.keep && i === sizes.length - 1) console.error(`kept: generated database ${size.template.url}`);
      else await size.template.drop();
    }
  }

  console.log(`\nreplication operator commands on ${version}, synthetic data; wall clock per child process, ${repeat} run(s) per count, counts interleaved`);
  console.log(`  ${machineLine()}`);
  const medians = sizes.map((size) => STEPS.map((_, i) => stats(size.runs.map((r) => r[i]?.seconds ?? NaN)).median));
  for (const [s, size] of sizes.entries()) {
    const rows = Object.entries(size.rows).map(([t, n]) => `${t} ${fmt.n(n)}`).join(', ');
    console.log(`\n${fmt.n(size.shape.blobs)} blobs, ${fmt.n(size.shape.backlog)} pending jobs (${rows}); generated in ${fmt.s(size.generateSeconds)}`);
    const lines = STEPS.map((step, i) => {
      const all = size.runs.map((r) => r[i]).filter((x): x is Step => x !== undefined);
      const t = stats(all.map((x) => x.seconds));
      const last = all.at(-1);
      const cpu = stats(all.map((x) => x.cpuSeconds ?? NaN)).median;
      return [step.label, fmt.s(medians[s]?.[i]), fmt.s(t.min), fmt.s(t.max), fmt.s(cpu), fmt.mib(Math.max(...all.map((x) => x.peakRssBytes ?? NaN))), all.map((x) => x.code).join(','), fmt.n(last?.stdoutLines ?? 0), last ? outcome(last) : ''];
    });
    console.log(table(['command', 'median', 'min', 'max', 'CLI CPU', 'peak RSS', 'exit', 'out lines', 'outcome (last run)'], lines, [0, 8]));
  }
  const [first, last] = [medians[0], medians.at(-1)];
  const [n1, n2] = [sizes[0]?.shape.blobs ?? 0, sizes.at(-1)?.shape.blobs ?? 0];
  if (first && last && n2 !== n1) {
    console.log(`\ngrowth from ${fmt.n(n1)} to ${fmt.n(n2)} blobs (medians; exponent of time minus start-up; 1 = linear, above 1.1 flagged):`);
    const rows = STEPS.slice(1).map((step, j) => {
      const [a, b] = [first[j + 1] ?? NaN, last[j + 1] ?? NaN];
      const exponent = Math.log((b - (last[0] ?? 0)) / (a - (first[0] ?? 0))) / Math.log(n2 / n1);
      return [step.label, fmt.s(a), fmt.s(b), fmt.x(b / a), Number.isFinite(exponent) ? exponent.toFixed(2) : 'n/a', exponent > 1.1 ? 'worse than linear' : ''];
    });
    console.log(table(['command', fmt.n(n1), fmt.n(n2), 'time ratio', 'exponent', ''], rows, [0, 5]));
  }
  const path = await writeResult('scale', { postgres: version, repeat, sizes: sizes.map(({ template: _t, ...size }) => size) });
  console.log(`\nwritten: ${path}`);
}

/** The last line of output (for a status: the counts at eu); on failure, stderr. */
function outcome(run: Step): string {
  if (run.code !== 0) return `stderr: ${run.stderrTail.replace(/\n/g, ' | ')}`.slice(0, 200);
  const last = run.stdoutTail.split('\n').at(-1) ?? '';
  if (run.label.startsWith('--help')) return '';
  if (!last.startsWith('{')) return last.slice(0, 120);
  let eu: Record<string, unknown> | undefined;
  try {
    eu = (JSON.parse(last) as { locations?: Record<string, unknown>[] }).locations?.find((l) => l.name === 'eu');
  } catch {
    // not one whole JSON line: show it as it is
  }
  return eu ? `eu: ${['required', 'present', 'missing', 'queued', 'dead', 'unqueued'].map((k) => `${k} ${String(eu[k])}`).join(', ')}` : last.slice(0, 120);
}

export const scaleSuite: Suite = { name: 'scale', summary: 'backfill-replication / replication status / remove-location at 100k (and 1M) synthetic blobs', help: HELP, run: main };
