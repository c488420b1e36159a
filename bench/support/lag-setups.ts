// The deployments the lag benchmark pushes to, each with a way to read back when every blob got
// its placements: two `wharf serve` processes on PostgreSQL + Redis ("us eu" / "eu us"), and one
// process on SQLite with both locations (in-process notifier).
import Database from 'better-sqlite3';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RegistryProcess, StopResult } from './processes.js';
import { pgClient, postgresVersion, redisTarget, throwawayDatabase } from './services.js';
import { configYaml, startServe } from './wharf.js';

/** Per digest: how many placements it has, and when the last one was recorded (epoch ms). */
export type PlacementView = Map<string, { count: number; lastAt: number }>;

export interface LagSetup {
  readonly name: string;
  readonly description: string;
  /** Where pushes go, round-robin by blob. */
  readonly targets: readonly RegistryProcess[];
  placements(digests: readonly string[]): Promise<PlacementView>;
  /** Stops everything; the processes' figures by name. */
  close(): Promise<Record<string, StopResult>>;
}

const LOCATIONS = ['us', 'eu'] as const;
const locations = (dir: string) => LOCATIONS.map((name) => ({ name, path: join(dir, name) }));
const view = (rows: readonly { digest: string; n: number | string; last: number | string }[]): PlacementView =>
  new Map(rows.map((r) => [r.digest, { count: Number(r.n), lastAt: Number(r.last) }]));
const PLACEMENTS_SQL = (digests: string) =>
  `select b.digest, count(*) as n, max(p.created_at) as last from blob b join blob_placement p on p.blob_id = b.id where b.digest in (${digests}) group by b.digest`;

async function stopAll(processes: readonly RegistryProcess[]): Promise<Record<string, StopResult>> {
  const out: Record<string, StopResult> = {};
  for (const p of processes) out[p.name] = await p.stop();
  return out;
}

export async function postgresRedisSetup(work: string, postgres: string, redis: string, args: readonly string[]): Promise<LagSetup> {
  const dir = join(work, 'postgres');
  await mkdir(dir, { recursive: true });
  const database = await throwawayDatabase(postgres);
  const config = join(dir, 'config.yaml');
  const target = redisTarget(redis);
  await writeFile(config, configYaml({ db: database.url, locations: locations(dir), preference: ['us', 'eu'], defaults: ['us', 'eu'], redis: target }));
  const started: RegistryProcess[] = [];
  const client = await pgClient(database.url);
  try {
    for (const preference of ['us eu', 'eu us']) {
      const env = { QUAY_DISTRIBUTED_STORAGE_PREFERENCE: preference };
      started.push(await startServe({ name: preference.split(' ')[0] ?? preference, config, cwd: dir, roles: 'web,replication', env, args }));
    }
  } catch (err) {
    await stopAll(started);
    await client.end();
    await database.drop();
    throw err;
  }
  const version = await postgresVersion(client);
  return {
    name: 'postgres+redis, 2 processes',
    description: `two \`wharf serve\` (web+replication; preference "us eu" / "eu us") on one ${version} database and Redis ${redis} (prefix ${target.prefix}); pushes alternate between them`,
    targets: started,
    async placements(digests) {
      const { rows } = await client.query<{ digest: string; n: string; last: string }>(PLACEMENTS_SQL('select unnest($1::text[])'), [digests]);
      return view(rows);
    },
    async close() {
      const stopped = await stopAll(started);
      await client.end();
      await database.drop();
      return stopped;
    },
  };
}

export async function sqliteSetup(work: string, args: readonly string[]): Promise<LagSetup> {
  const dir = join(work, 'sqlite');
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'wharf.db');
  const config = join(dir, 'config.yaml');
  await writeFile(config, configYaml({ db: `sqlite:///${file}`, locations: locations(dir), preference: ['us', 'eu'], defaults: ['us', 'eu'] }));
  const server = await startServe({ name: 'sqlite', config, cwd: dir, roles: 'web,replication', args });
  const db = new Database(file, { readonly: true, fileMustExist: true });
  const query = db.prepare<[string], { digest: string; n: number; last: number }>(PLACEMENTS_SQL('select value from json_each(?)'));
  return {
    name: 'sqlite, 1 process',
    description: 'one `wharf serve` (web+replication; preference "us eu") on SQLite, in-process notifier; both locations local to it',
    targets: [server],
    placements: (digests) => Promise.resolve(view(query.all(JSON.stringify(digests)))),
    async close() {
      db.close();
      return stopAll([server]);
    },
  };
}
