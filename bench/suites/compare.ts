// `npm run bench` (or `npm run bench -- compare`): Wharf side by side with Distribution 2.8 and
// nginx static files on this machine, in one run, every figure's rounds interleaved across the
// servers. One table of figures and Wharf/peer ratios, never a verdict.
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { blobFigure, manifestFigure, manifestFile, MANIFEST_REPO, MANIFEST_TAG, replicationFigure, skopeoFigure, type FigureContext, type FigureResult } from '../support/compare-figures.js';
import { formatTable, noise, spreadPct, summarise } from '../support/compare-report.js';
import { distributionTarget, embeddedWharf, nginxTarget, nodeHttpTarget, postgresRedisWharf, type Target } from '../support/compare-targets.js';
import { machineLine, positiveInt, writeResult, type Suite } from '../support/figures.js';
import { findExecutable } from '../support/processes.js';
import { postgresServer, redisServer } from '../support/services.js';
import { smallImage } from '../support/small-image.js';
import { requireFreshBuild } from '../support/wharf.js';
import { wrkVersion } from '../support/wrk.js';

const FIGURES = {
  fig1: 'manifest GET by tag, req/s (wrk -t2 -c32 -d10s)',
  fig2: '1 GiB blob: monolithic PUT (digest verified) and GET, MB/s',
  fig3: 'skopeo push and pull of a 3-layer ~150 MB image, seconds',
  fig4: 'replication of 1 GiB between two local locations, MB/s, vs cp',
} as const;
type FigureId = keyof typeof FIGURES;
const ALIASES: Record<string, FigureId> = { manifest: 'fig1', blob: 'fig2', skopeo: 'fig3', replication: 'fig4' };

const HELP = `usage: npm run bench -- [compare] [--rounds N] [--blob-mb N] [--only fig1,fig2,...]
                      [--wrk-seconds N] [--workers N] [--postgres URL] [--redis URL]

Measures, in one run on this machine, each figure's rounds interleaved across the servers (the
order rotates every round), and prints ONE table of medians, spreads, peak RSS and the ratios
Wharf/peer; writes the same to bench/results/<timestamp>-compare.json. Figures only, no verdict.

Servers (each skipped, with a line saying so, when its tool or service is missing):
  wharf (sqlite)     \`wharf serve\` with no config file: SQLite + LocalStorage, open access
  wharf (pg+redis)   \`wharf serve --roles web\` on a fresh PostgreSQL database (dropped at the end),
                     Redis under a fresh WHARF_REDIS_PREFIX (deleted at the end), LocalStorage
  ... N workers)     the same two with \`--workers N\` (one serving process per core by default),
                     in fig1 only: nginx runs one worker per core too, and RSS targets are
                     about one process (peak RSS of these rows sums the supervisor and workers)
  distribution       /usr/bin/docker-registry (Distribution 2.8), filesystem storage
  nginx              /usr/sbin/nginx serving the same manifest and blob bytes as static files
  node:http (ceiling)  in fig1 only: node's http.createServer answering the same manifest from
                     memory and doing nothing else (one process, and N as --workers): the most
                     a Node.js registry could reach here; Wharf's rows get a ratio to it
Figures (--only takes their ids or names):
  fig1 (manifest)    ${FIGURES.fig1}; every server
  fig2 (blob)        ${FIGURES.fig2}; GET only for nginx
  fig3 (skopeo)      ${FIGURES.fig3}; the registries
  fig4 (replication) ${FIGURES.fig4}; Wharf's worker on PostgreSQL
  peak RSS           VmHWM of every server process during each figure (each figure restarts them);
                     a server of several processes sums them

Wharf runs from dist/: run \`npm run build\` first (the bench refuses a dist/ older than src/).
The whole default run takes about 10 minutes; \`--rounds 1 --blob-mb 64\` is a quick check.

  --rounds N        rounds per figure (default 3)
  --blob-mb N       blob size of fig2 and fig4 in MiB (default 1024)
  --only LIST       comma-separated figures to run (default: all)
  --wrk-seconds N   duration of each wrk run of fig1 (default 10)
  --workers N       serving processes of the multi-process Wharf rows of fig1 (default: one per
                    core, here ${availableParallelism()}); 1 leaves those rows out
  --postgres URL    server for the throwaway database (default: WHARF_TEST_POSTGRES_URL, else
                    postgresql://postgres@127.0.0.1:5432/postgres)
  --redis URL       Redis (default: WHARF_TEST_REDIS_URL, else redis://127.0.0.1:6379)
  -h, --help        this text`;

function parseOnly(list: string | undefined): FigureId[] {
  if (list === undefined) return Object.keys(FIGURES) as FigureId[];
  const ids = list.split(',').map((s) => s.trim()).filter(Boolean).map((name) => {
    const id = name in FIGURES ? (name as FigureId) : ALIASES[name];
    if (id === undefined) throw new Error(`--only: unknown figure ${JSON.stringify(name)}; known: ${Object.keys(FIGURES).join(', ')} (or ${Object.keys(ALIASES).join(', ')}); peak RSS comes with every figure`);
    return id;
  });
  return (Object.keys(FIGURES) as FigureId[]).filter((id) => ids.includes(id));
}

const loadLine = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(' ');

async function main(args: string[]): Promise<void> {
  const options = {
    rounds: { type: 'string', default: '3' },
    'blob-mb': { type: 'string', default: '1024' },
    only: { type: 'string' },
    'wrk-seconds': { type: 'string', default: '10' },
    workers: { type: 'string', default: String(availableParallelism()) },
    postgres: { type: 'string' },
    redis: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  const { values } = parseArgs({ args, options });
  if (values.help) return void console.log(HELP);
  const rounds = positiveInt('rounds', values.rounds);
  const blobMb = positiveInt('blob-mb', values['blob-mb']);
  const wrkSeconds = positiveInt('wrk-seconds', values['wrk-seconds']);
  const workers = positiveInt('workers', values.workers);
  const bytes = blobMb * 2 ** 20;
  const only = parseOnly(values.only);
  requireFreshBuild();

  const log = (line: string) => console.error(line);
  const skipped: string[] = [];
  const skip = (line: string) => {
    skipped.push(line);
    console.log(`skipping ${line}`);
  };
  let figures = only;
  const dropFigure = (id: FigureId, why: string) => {
    if (!figures.includes(id)) return;
    skip(`${id}: ${why}`);
    figures = figures.filter((f) => f !== id);
  };
  if (findExecutable('wrk') === undefined) dropFigure('fig1', 'wrk is not installed (apt-get install wrk)');
  for (const tool of ['skopeo', 'umoci']) if (findExecutable(tool) === undefined) dropFigure('fig3', `${tool} is not installed (apt-get install ${tool})`);

  const loadAtStart = loadavg();
  const startedAt = Date.now();
  const work = await mkdtemp(join(tmpdir(), 'wharf-bench-compare-'));
  const site = join(work, 'nginx-site');
  const image = smallImage();
  const targets: Target[] = [];
  const results: FigureResult[] = [];
  const failures: string[] = [];
  try {
    const needsServers = figures.some((f) => f !== 'fig4');
    if (needsServers) {
      const several = workers > 1 ? [{ workers, figures: ['fig1'] }] : [];
      for (const spec of [undefined, ...several]) targets.push(await embeddedWharf(work, spec));
      try {
        for (const spec of [undefined, ...several]) targets.push(await postgresRedisWharf(work, postgresServer(values.postgres), redisServer(values.redis), spec));
      } catch (err) {
        skip(`wharf (pg+redis): ${err instanceof Error ? err.message : String(err)}`);
      }
      const staticManifest = { repo: MANIFEST_REPO, tag: MANIFEST_TAG, mediaType: image.mediaType, digest: image.digest };
      for (const made of [await distributionTarget(work), await nginxTarget(work, site, staticManifest)]) {
        if (typeof made === 'string') skip(made);
        else targets.push(made);
      }
      for (const spec of [undefined, ...several]) targets.push(await nodeHttpTarget(work, manifestFile(site), staticManifest, spec));
    }
    const ctx: FigureContext = { work, rounds, log };
    const targetsOf = (id: FigureId) => targets.filter((t) => t.figures === undefined || t.figures.includes(id));
    const runners: Record<FigureId, () => Promise<FigureResult>> = {
      fig1: async () => manifestFigure(ctx, targetsOf('fig1'), { seconds: wrkSeconds, warmupSeconds: 2, threads: 2, connections: 32, image, site }),
      fig2: () => blobFigure(ctx, targetsOf('fig2'), { bytes, site }),
      fig3: () => skopeoFigure(ctx, targetsOf('fig3')),
      fig4: () => replicationFigure(ctx, { bytes, postgres: postgresServer(values.postgres) }),
    };
    for (const id of figures) {
      log(`${id} (${Object.keys(ALIASES).find((k) => ALIASES[k] === id)}) starts; load average ${loadLine(loadavg())}`);
      try {
        results.push(await runners[id]());
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        failures.push(`${id} failed: ${message}`);
        log(`${id} failed: ${err instanceof Error ? (err.stack ?? message) : message}`);
      }
    }
  } finally {
    for (const target of targets) await target.close().catch((err: unknown) => log(`closing ${target.id}: ${String(err)}`));
    const kept = failures.length > 0 || results.some((r) => r.rows.some((row) => row.invalid !== undefined));
    if (kept) log(`bench: kept ${work} (server logs, storage) for inspection`);
    else await rm(work, { recursive: true, force: true });
  }

  const summaries = summarise(results.flatMap((r) => r.rows));
  const n = noise(summaries);
  const loadAtEnd = loadavg();
  const minutes = ((Date.now() - startedAt) / 60_000).toFixed(1);
  const noiseLine =
    `noise: spread (max-min)/median over ${rounds} round${rounds === 1 ? '' : 's'}: median ${spreadPct(n.medianSpread)}, largest ${n.largest ? `${spreadPct(n.largest.spread)} (${n.largest.row})` : 'n/a'}; ` +
    `load average at start ${loadLine(loadAtStart)}, per figure ${results.map((r) => `${r.id} ${loadLine(r.loadAverageAtStart.slice(0, 1))}`).join(', ')}, at end ${loadLine(loadAtEnd)} (1/5/15 min; 2 = both cores busy)`;

  console.log(`\nWharf side by side, ${rounds} round${rounds === 1 ? '' : 's'} per figure interleaved across servers, ${minutes} min, all on 127.0.0.1`);
  for (const t of targets) console.log(`  ${t.label}: ${t.description}`);
  for (const r of results) for (const note of r.notes) console.log(`  ${note}`);
  if (figures.includes('fig1')) console.log(`  wrk ${await wrkVersion()}; peak RSS = VmHWM of the server process, summed with its children for nginx (master + workers) and wharf --workers (supervisor + workers), during that figure only`);
  for (const line of [...skipped, ...failures]) console.log(`  ${line}`);
  console.log('');
  console.log(formatTable(summaries, rounds));
  for (const s of summaries.filter((x) => x.invalid !== undefined)) console.log(`invalid: ${s.measure} / ${s.label}: ${s.invalid}`);
  console.log(noiseLine);
  console.log(machineLine());

  const path = await writeResult('compare', {
    options: { rounds, blobMb, only, wrkSeconds, workers },
    servers: targets.map(({ id, label, kind, version, description }) => ({ id, label, kind, version, description })),
    skipped,
    failures,
    rows: summaries,
    noise: { ...n, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadAtEnd, minutes: Number(minutes) },
    figures: results.map(({ id, title, notes, loadAverageAtStart, servers, raw }) => ({ id, title, notes, loadAverageAtStart, servers, raw })),
  });
  console.log(`\nwritten: ${path}`);
}

export const compareSuite: Suite = { name: 'compare', summary: 'Wharf vs Distribution 2.8 vs nginx static, all figures in one table (the default)', help: HELP, run: main };
