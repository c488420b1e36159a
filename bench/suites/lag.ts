// `npm run bench -- lag`: replication lag (push acknowledged → placement recorded in every
// required location) for bursts of small blobs, on PostgreSQL + Redis with two processes and on
// SQLite with one.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fmt, machineLine, percentile, positiveInt, sleep, table, writeResult, type Suite } from '../support/figures.js';
import { postgresRedisSetup, sqliteSetup, type LagSetup } from '../support/lag-setups.js';
import type { StopResult } from '../support/processes.js';
import { postgresServer, redisServer } from '../support/services.js';
import { requireFreshBuild } from '../support/wharf.js';

const HELP = `usage: npm run bench -- lag [--blobs N] [--concurrency C] [--size BYTES] [--rounds R]
                               [--replication-concurrency W] [--postgres URL] [--redis URL]

Pushes bursts of N small random blobs (monolithic POST ?digest=, C at a time, round-robin over
the setup's instances) and measures, per blob, the replication lag: the latest blob_placement
created_at (epoch ms, written by Wharf) minus the time the client received the 201. Every blob
must be in both default locations (us, eu). Setups, rounds interleaved:
  postgres+redis  two \`wharf serve\` processes (web+replication) sharing a throwaway PostgreSQL
                  database and Redis (unique WHARF_REDIS_PREFIX), QUAY_DISTRIBUTED_STORAGE_PREFERENCE
                  "us eu" and "eu us", LocalStorage us and eu in separate folders
  sqlite          one \`wharf serve\` on SQLite with both locations, in-process notifier
Prints p50/p90/p99/max per round and over all rounds; writes bench/results/<timestamp>-lag.json.
Wharf runs from dist/ (\`npm run build\` first) with WHARF_LOG_LEVEL=warn.

  --blobs N        blobs per burst (default 200)
  --concurrency C  pushes in flight (default 16)
  --size BYTES     bytes per blob (default 4096)
  --rounds R       bursts per setup (default 3)
  --replication-concurrency W
                   passed to every \`wharf serve\` (default: none, Wharf's own default)
  --postgres URL   server for the throwaway database (default: WHARF_TEST_POSTGRES_URL, else
                   postgresql://postgres@127.0.0.1:5432/postgres)
  --redis URL      default: WHARF_TEST_REDIS_URL, else redis://127.0.0.1:6379`;

interface Burst {
  readonly setup: string;
  readonly round: number;
  /** Per blob, ms from the 201 to the last placement (negative: replicated before the 201 arrived). */
  readonly lagMs: number[];
  readonly burstSeconds: number;
  /** From the last 201 to the last placement. */
  readonly drainMs: number;
}

async function burst(setup: LagSetup, round: number, opts: { blobs: number; size: number; concurrency: number }): Promise<Burst> {
  const blobs = Array.from({ length: opts.blobs }, () => randomBytes(opts.size));
  const digests = blobs.map((b) => `sha256:${createHash('sha256').update(b).digest('hex')}`);
  const acks = new Array<number>(blobs.length);
  let next = 0;
  const pusher = async () => {
    for (let i = next++; i < blobs.length; i = next++) {
      const target = setup.targets[i % setup.targets.length];
      const url = `${target?.baseUrl}/v2/bench/lag-r${round}/blobs/uploads/?digest=${digests[i]}`;
      const response = await fetch(url, { method: 'POST', body: blobs[i], headers: { 'content-type': 'application/octet-stream' } });
      const text = await response.text();
      acks[i] = Date.now();
      if (response.status !== 201) throw new Error(`${setup.name}: push answered ${response.status}: ${text.slice(0, 300)}`);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: opts.concurrency }, pusher));
  const burstSeconds = (performance.now() - started) / 1000;
  const deadline = Date.now() + 120_000;
  let placed = await setup.placements(digests);
  for (let done = 0; (done = [...placed.values()].filter((p) => p.count >= 2).length) < blobs.length; placed = await setup.placements(digests)) {
    if (Date.now() > deadline) throw new Error(`${setup.name}: only ${done} of ${blobs.length} blobs in both locations after 120 s`);
    await sleep(10);
  }
  const lagMs = digests.map((d, i) => (placed.get(d)?.lastAt ?? NaN) - (acks[i] ?? NaN));
  const lastPlacement = Math.max(...[...placed.values()].map((p) => p.lastAt));
  return { setup: setup.name, round, lagMs, burstSeconds, drainMs: lastPlacement - Math.max(...acks) };
}

const figures = (lag: readonly number[]) => [50, 90, 99].map((p) => fmt.ms(percentile(lag, p))).concat(fmt.ms(Math.max(...lag)));

async function main(args: string[]): Promise<void> {
  const options = {
    blobs: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
    size: { type: 'string', default: '4096' },
    rounds: { type: 'string', default: '3' },
    'replication-concurrency': { type: 'string' },
    postgres: { type: 'string' },
    redis: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  } as const;
  const { values } = parseArgs({ args, options });
  if (values.help) return void console.log(HELP);
  const opts = { blobs: positiveInt('blobs', values.blobs), size: positiveInt('size', values.size), concurrency: positiveInt('concurrency', values.concurrency) };
  const rounds = positiveInt('rounds', values.rounds);
  const workers = values['replication-concurrency'];
  const serveArgs = workers === undefined ? [] : ['--replication-concurrency', String(positiveInt('replication-concurrency', workers))];
  requireFreshBuild();
  const work = await mkdtemp(join(tmpdir(), 'wharf-bench-lag-'));
  const setups: LagSetup[] = [];
  const bursts: Burst[] = [];
  const processes: Record<string, Record<string, StopResult>> = {};
  let kept = true;
  try {
    setups.push(await postgresRedisSetup(work, postgresServer(values.postgres), redisServer(values.redis), serveArgs));
    setups.push(await sqliteSetup(work, serveArgs));
    for (let round = 1; round <= rounds; round++) {
      for (const setup of round % 2 === 1 ? setups : [...setups].reverse()) {
        const b = await burst(setup, round, opts);
        bursts.push(b);
        console.error(`round ${round}/${rounds} ${setup.name}: p50 ${fmt.ms(percentile(b.lagMs, 50))}, p99 ${fmt.ms(percentile(b.lagMs, 99))}, burst ${fmt.s(b.burstSeconds)}`);
      }
    }
    kept = false;
  } finally {
    for (const setup of setups) processes[setup.name] = await setup.close();
    if (kept) console.error(`bench: kept ${work} (logs, storage) for inspection`);
    else await rm(work, { recursive: true, force: true });
  }

  const rows: string[][] = [];
  const pooled: Record<string, number[]> = {};
  for (const setup of setups) {
    const mine = bursts.filter((b) => b.setup === setup.name);
    for (const b of mine) rows.push([setup.name, String(b.round), ...figures(b.lagMs), fmt.ms(b.drainMs), fmt.s(b.burstSeconds)]);
    const all = (pooled[setup.name] = mine.flatMap((b) => b.lagMs));
    rows.push([setup.name, 'all', ...figures(all), '', '']);
  }
  console.log(`\nreplication lag, push acknowledged → placement recorded in us and eu: ${opts.blobs} blobs of ${opts.size} B per burst, ${opts.concurrency} in flight, ${rounds} rounds interleaved`);
  for (const setup of setups) console.log(`  ${setup.name}: ${setup.description}`);
  console.log(`  replication concurrency per process: ${workers ?? "Wharf's default (serve --help)"}; WHARF_LOG_LEVEL=warn`);
  console.log('  lag = max(blob_placement.created_at) - client time of the 201, same clock; drain = last placement - last 201\n');
  console.log(table(['setup', 'round', 'p50', 'p90', 'p99', 'max', 'drain', 'burst'], rows));
  for (const [name, lag] of Object.entries(pooled)) {
    console.log(`${name}: ${lag.filter((l) => l <= 0).length} of ${lag.length} blobs placed everywhere before their 201 reached the client; p99/1 s = ${fmt.x(percentile(lag, 99) / 1000)}`);
  }
  for (const [name, stopped] of Object.entries(processes)) {
    const each = Object.entries(stopped).map(([p, r]) => `${p} peak RSS ${fmt.mib(r.peakRssBytes)}, CPU ${r.cpuSeconds ?? 'n/a'} s`);
    console.log(`${name}: ${each.join('; ')} (whole run)`);
  }
  console.log(machineLine());
  const path = await writeResult('lag', { ...opts, rounds, replicationConcurrency: workers ?? 'default', setups: setups.map((s) => ({ name: s.name, description: s.description })), bursts, processes });
  console.log(`\nwritten: ${path}`);
}

export const lagSuite: Suite = { name: 'lag', summary: 'replication lag p50/p99 for 200 small blobs pushed in a burst (PostgreSQL+Redis, SQLite)', help: HELP, run: main };
