// `npm run bench -- scale`: the replication operator commands as child processes on PostgreSQL
// holding 100k (or more) synthetic blobs, and how their times grow with the blob count.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, machineLine, positiveInt, table, writeResult, type Suite } from '../support/figures.js';
import { generate, shapeFor, type Shape } from '../support/scale-data.js';
import { pgClient, postgresServer, postgresVersion, throwawayDatabase } from '../support/services.js';
import { configYaml, requireFreshBuild, runWharf, type CliRun } from '../support/wharf.js';

const HELP = `usage: npm run bench -- scale [--blobs N[,N...]] [--postgres URL] [--keep]

For each blob count N (default 100000; e.g. --blobs 100000,1000000 to see the scaling): creates a
throwaway PostgreSQL database, runs \`wharf migrate\`, generates N blobs with set-based SQL (every
blob at us, every second one at eu; N/100 repositories in N/1000 namespaces, a link per blob and a
second one for every 5th; eu as region of every 20th namespace; pending jobs for 1% of the blobs
missing eu, dead ones for 0.1%; VACUUM ANALYZE), then times, as child processes of dist/ (\`npm
run build\` first), in this order:
  wharf --help                                   (node + CLI start, for reference)
  wharf replication status --json
  wharf backfill-replication --dry-run
  wharf backfill-replication                     (enqueues a job per blob missing eu)
  wharf backfill-replication                     (again: nothing left to enqueue)
  wharf replication status --json                (with those jobs pending)
  wharf remove-location eu --yes --force         (with a config that no longer has eu)
The config has us and eu, DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS [us, eu]. Prints seconds, peak RSS
(/usr/bin/time) and the last output line per command and, with two or more counts, the growth
exponent log(t2/t1)/log(N2/N1) of each command's time minus the --help time (1 = linear); writes
bench/results/<timestamp>-scale.json.

  --blobs N[,N]   blob counts (default 100000)
  --postgres URL  server for the throwaway databases (default: WHARF_TEST_POSTGRES_URL, else
                  postgresql://postgres@127.0.0.1:5432/postgres)
  --keep          keep the last database and config (printed) for EXPLAIN ANALYZE`;

const STEPS: readonly { label: string; args: (config: string, withoutEu: string) => string[] }[] = [
  { label: '--help (start-up)', args: () => ['--help'] },
  { label: 'replication status --json', args: (c) => ['replication', 'status', '--json', '--config', c] },
  { label: 'backfill-replication --dry-run', args: (c) => ['backfill-replication', '--dry-run', '--config', c] },
  { label: 'backfill-replication', args: (c) => ['backfill-replication', '--config', c] },
  { label: 'backfill-replication (again)', args: (c) => ['backfill-replication', '--config', c] },
  { label: 'replication status --json (queued)', args: (c) => ['replication', 'status', '--json', '--config', c] },
  { label: 'remove-location eu --yes --force', args: (_, w) => ['remove-location', 'eu', '--yes', '--force', '--config', w] },
];

interface SizeRun {
  readonly shape: Shape;
  readonly rows: Record<string, number>;
  readonly migrateSeconds: number;
  readonly generateSeconds: number;
  readonly steps: (CliRun & { label: string })[];
}

async function atSize(server: string, blobs: number, keep: boolean): Promise<SizeRun> {
  const work = await mkdtemp(join(tmpdir(), 'wharf-bench-scale-'));
  const database = await throwawayDatabase(server);
  const locations = ['us', 'eu'].map((name) => ({ name, path: join(work, name) }));
  const config = join(work, 'config.yaml');
  const withoutEu = join(work, 'config-without-eu.yaml');
  await writeFile(config, configYaml({ db: database.url, locations, preference: ['us', 'eu'], defaults: ['us', 'eu'] }));
  await writeFile(withoutEu, configYaml({ db: database.url, locations: locations.slice(0, 1), preference: ['us'], defaults: ['us'] }));
  const client = await pgClient(database.url);
  try {
    const migrate = await runWharf(['migrate', '--config', config], work);
    if (migrate.code !== 0) throw new Error(`wharf migrate failed: ${migrate.stderrTail}`);
    const shape = shapeFor(blobs);
    console.error(`${fmt.n(blobs)} blobs: generating ...`);
    const started = performance.now();
    const rows = await generate(client, shape);
    const generateSeconds = (performance.now() - started) / 1000;
    const steps: SizeRun['steps'] = [];
    for (const step of STEPS) {
      const run = await runWharf(step.args(config, withoutEu), work);
      steps.push({ label: step.label, ...run });
      console.error(`${fmt.n(blobs)} blobs: ${step.label}: ${fmt.s(run.seconds)} (exit ${run.code})`);
    }
    return { shape, rows, migrateSeconds: migrate.seconds, generateSeconds, steps };
  } finally {
    await client.end();
    if (keep) console.error(`kept: database ${database.url}, configs ${config} and ${withoutEu}`);
    else {
      await database.drop();
      await rm(work, { recursive: true, force: true });
    }
  }
}

async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { blobs: { type: 'string', default: '100000' }, postgres: { type: 'string' }, keep: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) return void console.log(HELP);
  const counts = (values.blobs ?? '').split(',').map((n) => positiveInt('blobs', n.replace(/_/g, '')));
  requireFreshBuild();
  const server = postgresServer(values.postgres);
  const version = await pgClient(server).then(async (c) => (await postgresVersion(c).finally(() => c.end())));
  const runs: SizeRun[] = [];
  for (const [i, n] of counts.entries()) runs.push(await atSize(server, n, !!values.keep && i === counts.length - 1));

  console.log(`\nreplication operator commands on ${version}, synthetic data, times wall clock per child process`);
  console.log(`  ${machineLine()}`);
  for (const r of runs) {
    const rows = Object.entries(r.rows).map(([t, n]) => `${t} ${fmt.n(n)}`).join(', ');
    console.log(`\n${fmt.n(r.shape.blobs)} blobs (${rows}); migrate ${fmt.s(r.migrateSeconds)}, generate ${fmt.s(r.generateSeconds)}`);
    const lines = r.steps.map((s) => [s.label, fmt.s(s.seconds), fmt.mib(s.peakRssBytes), String(s.code), fmt.n(s.stdoutLines), outcome(s)]);
    console.log(table(['command', 'seconds', 'peak RSS', 'exit', 'out lines', 'last line of output'], lines));
  }
  const growth = runs.length < 2 ? [] : growthRows(runs);
  if (growth.length > 0) {
    const [first, last] = [runs[0], runs.at(-1)];
    console.log(`\ngrowth from ${fmt.n(first?.shape.blobs ?? 0)} to ${fmt.n(last?.shape.blobs ?? 0)} blobs (exponent of time minus start-up; 1 = linear, above 1.1 flagged):`);
    console.log(table(['command', 'first', 'last', 'time ratio', 'exponent', ''], growth));
  }
  const path = await writeResult('scale', { postgres: version, runs });
  console.log(`\nwritten: ${path}`);
}

/** The command's last line of output, or for a status the counts at eu; errors win. */
function outcome(run: CliRun & { label: string }): string {
  if (run.code !== 0) return `stderr: ${run.stderrTail.replace(/\n/g, ' | ')}`.slice(0, 200);
  const last = run.stdoutTail.split('\n').at(-1) ?? '';
  if (run.label.startsWith('--help')) return '';
  if (!last.startsWith('{')) return last;
  const status = JSON.parse(last) as { locations?: Record<string, unknown>[] };
  const eu = status.locations?.find((l) => l.name === 'eu');
  return eu ? `eu: ${['required', 'present', 'missing', 'queued', 'dead', 'unqueued'].map((k) => `${k} ${String(eu[k])}`).join(', ')}` : last.slice(0, 110);
}

function growthRows(runs: readonly SizeRun[]): string[][] {
  const [first, last] = [runs[0], runs.at(-1)];
  if (!first || !last || first === last) return [];
  const startup = (r: SizeRun) => r.steps[0]?.seconds ?? 0;
  return STEPS.slice(1).map((step, i) => {
    const [a, b] = [first.steps[i + 1]?.seconds ?? NaN, last.steps[i + 1]?.seconds ?? NaN];
    const exponent = Math.log((b - startup(last)) / (a - startup(first))) / Math.log(last.shape.blobs / first.shape.blobs);
    return [step.label, fmt.s(a), fmt.s(b), fmt.x(b / a), Number.isFinite(exponent) ? exponent.toFixed(2) : 'n/a', exponent > 1.1 ? 'worse than linear' : ''];
  });
}

export const scaleSuite: Suite = { name: 'scale', summary: 'backfill-replication / replication status / remove-location at 100k (and 1M) synthetic blobs', help: HELP, run: main };
