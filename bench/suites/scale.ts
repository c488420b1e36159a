// `npm run bench -- scale`: on PostgreSQL holding generated data (100k blobs / 10k repositories
// by default, 1M / 100k with --blobs 1000000), manifest GET by tag against an empty database, and
// the replication operator commands as child processes, with how their times grow with size.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, machineLine, positiveInt, stats, table, writeResult, type Suite } from '../support/figures.js';
import type { TestDatabase } from '../../test/support/postgres.js';
import { generatedDatabase, sampleTag, shapeFor, type Shape } from '../support/scale-data.js';
import { manifestGetTable, measureManifestGets, PUSHED, type GetRow } from '../support/scale-get.js';
import { cloneDatabase, pgClient, postgresServer, postgresVersion, redisServer } from '../support/services.js';
import { configYaml, requireFreshBuild, runWharf, type CliRun } from '../support/wharf.js';

const HELP = `usage: npm run bench -- scale [--blobs N[,N...]] [--repositories R] [--backlog J] [--repeat R]
                             [--get-rounds G] [--wrk-seconds S] [--skip-get] [--cached-only]
                             [--postgres URL] [--redis URL] [--keep]

For each blob count N (default 100000; --blobs 100000,1000000 shows the scaling): creates a
throwaway PostgreSQL database, runs \`wharf migrate\` and generates with set-based SQL: N blobs
(every one at us, every second one at eu), N/10 repositories (--repositories) in 1/100 as many
namespaces, each blob linked into one repository and every 5th into a second; per repository 1
to 3 OCI manifests (a config and two layers of its own blobs plus one of 64 shared base layers;
manifest_blob rows, repo_blob links) tagged v1..vn, \`latest\` on the newest with its history;
eu as region of every 20th namespace; J pending jobs of blobs missing eu (default 1% of N),
dead jobs for 0.1%; VACUUM ANALYZE.

Manifest GET (unless --skip-get): \`wharf serve --roles web\` (open access, locations us and eu)
on an empty database with the benchmark's small image pushed as ${PUSHED.repository}:${PUSHED.tag}, and on a
copy of each generated database with the same image pushed; \`wrk -t2 -c32 -d<S>s --latency\`
GETs (docker's Accept header) of that image and of \`latest\` in a generated repository, after a
2 s warm-up each, G rounds with the order rotating. All with Redis (the in-process manifest
cache, checked against a Redis version per request) and, unless --cached-only, again without
Redis (nothing cached: every GET reads PostgreSQL). Prints req/s, p50/p99 and loaded/empty.

Operator commands: R times (sizes interleaved), on a fresh copy of each database (CREATE DATABASE
... TEMPLATE), times these child processes of dist/ (\`npm run build\` first) in this order:
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

  --blobs N[,N]     blob counts (default 100000)
  --repositories R  repositories per count (default: a tenth of the blobs, at least 100)
  --backlog J       pending replication jobs in the generated data (default: 1% of each count)
  --repeat R        operator-command runs per count, each on a fresh copy (default 3)
  --get-rounds G    wrk rounds per GET row (default 3)
  --wrk-seconds S   seconds per wrk round (default 10)
  --skip-get        no manifest GET figure
  --cached-only     manifest GET with Redis only
  --postgres URL    server for the throwaway databases (default: WHARF_TEST_POSTGRES_URL, else
                    postgresql://postgres@127.0.0.1:5432/postgres)
  --redis URL       Redis for the GET figure (default: WHARF_TEST_REDIS_URL, else
                    redis://127.0.0.1:6379; a fresh key prefix per server, deleted at the end)
  --keep            keep the generated database of the last count (printed) for EXPLAIN ANALYZE`;

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
  const options = {
    blobs: { type: 'string', default: '100000' },
    repositories: { type: 'string' },
    backlog: { type: 'string' },
    repeat: { type: 'string', default: '3' },
    'get-rounds': { type: 'string', default: '3' },
    'wrk-seconds': { type: 'string', default: '10' },
    'skip-get': { type: 'boolean' },
    'cached-only': { type: 'boolean' },
    postgres: { type: 'string' },
    redis: { type: 'string' },
    keep: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  const { values } = parseArgs({ args, options });
  if (values.help) return void console.log(HELP);
  const counts = (values.blobs ?? '').split(',').map((n) => positiveInt('blobs', n.replace(/_/g, '')));
  const repeat = positiveInt('repeat', values.repeat);
  const getRounds = positiveInt('get-rounds', values['get-rounds']);
  const wrkSeconds = positiveInt('wrk-seconds', values['wrk-seconds']);
  const optional = (name: string, value: string | undefined) => (value === undefined ? undefined : positiveInt(name, value.replace(/_/g, '')));
  const backlog = optional('backlog', values.backlog);
  const repositories = optional('repositories', values.repositories);
  requireFreshBuild();
  const server = postgresServer(values.postgres);
  const version = await pgClient(server).then((c) => postgresVersion(c).finally(() => c.end()));
  const sizes: Size[] = [];
  let gets: GetRow[] = [];
  const wrk = { threads: 2, connections: 32, seconds: wrkSeconds };
  try {
    for (const n of counts) sizes.push(await prepare(server, shapeFor(n, { backlog, repositories })));
    if (!values['skip-get']) {
      const loaded = sizes.map((size) => ({ label: sizeLabel(size.shape), template: size.template, sample: sampleTag(size.shape) }));
      gets = await measureManifestGets({ postgres: server, redis: redisServer(values.redis), loaded, rounds: getRounds, wrk, warmupSeconds: 2, uncached: !values['cached-only'] });
    }
    for (let round = 1; round <= repeat; round++) {
      for (const size of round % 2 === 1 ? sizes : [...sizes].reverse()) size.runs.push(await runSteps(server, size, round));
    }
  } finally {
    for (const [i, size] of sizes.entries()) {
      if (values.keep && i === sizes.length - 1) console.error(`kept: generated database ${size.template.url}`);
      else await size.template.drop();
    }
  }

  if (gets.length > 0) {
    console.log(`\nmanifest GET by tag on ${version}: \`wrk -t${wrk.threads} -c${wrk.connections} -d${wrk.seconds}s --latency\`, docker's Accept header, ${getRounds} round(s) per row, rows interleaved; req/s and p99 are medians over rounds`);
    console.log(manifestGetTable(gets));
  }
  console.log(`\nreplication operator commands on ${version}, synthetic data; wall clock per child process, ${repeat} run(s) per count, counts interleaved`);
  console.log(`  ${machineLine()}`);
  const medians = sizes.map((size) => STEPS.map((_, i) => stats(size.runs.map((r) => r[i]?.seconds ?? NaN)).median));
  for (const [s, size] of sizes.entries()) {
    const rows = Object.entries(size.rows).map(([t, n]) => `${t} ${fmt.n(n)}`).join(', ');
    console.log(`\n${sizeLabel(size.shape)}, ${fmt.n(size.shape.backlog)} pending jobs (${rows}); generated in ${fmt.s(size.generateSeconds)}`);
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
  const path = await writeResult('scale', { postgres: version, repeat, manifestGet: { wrk, rounds: getRounds, rows: gets }, sizes: sizes.map(({ template: _t, ...size }) => size) });
  console.log(`\nwritten: ${path}`);
}

const sizeLabel = (shape: Shape) => `${fmt.n(shape.blobs)} blobs / ${fmt.n(shape.repositories)} repos`;

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
