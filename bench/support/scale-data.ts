// Synthetic replication metadata for the scale benchmark, generated set-based on PostgreSQL
// (`INSERT ... SELECT generate_series`) into a database Wharf's migrations created.
//
// Shape for B blobs: locations us and eu; B/1000 namespaces (at least 10), B/100 repositories
// (at least 100); every blob placed at us and every even-numbered one at eu (so half miss eu);
// each blob linked into one repository, every 5th into a second one too (shared layers); every
// 20th namespace has eu as a region (redundant with the defaults, but the queries must look);
// `backlog` blobs missing eu (default 1% of the blobs) have a pending replication job, 0.1% of
// the blobs a dead one.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { REPLICATE_BLOB } from '../../src/jobs/notifier.js';
import type { TestDatabase } from '../../test/support/postgres.js';
import { pgClient, throwawayDatabase } from './services.js';
import { configYaml, runWharf } from './wharf.js';

export interface Shape {
  readonly blobs: number;
  readonly repositories: number;
  readonly namespaces: number;
  /** Pending replication jobs (of blobs missing eu), at most half the blobs. */
  readonly backlog: number;
}

export function shapeFor(blobs: number, backlog = Math.round(blobs / 100)): Shape {
  const repositories = Math.max(100, Math.round(blobs / 100));
  return { blobs, repositories, namespaces: Math.max(10, Math.round(repositories / 10)), backlog: Math.min(backlog, Math.floor(blobs / 2)) };
}

/** Fills the tables; returns the row count of each afterwards. */
export async function generate(client: pg.Client, shape: Shape): Promise<Record<string, number>> {
  const now = Date.now();
  const { blobs, repositories: repos, namespaces: ns } = shape;
  const q = (text: string, values: unknown[] = []) => client.query(text, values);
  await q(`insert into storage_location (name) values ('us'), ('eu') on conflict (name) do nothing`);
  const { rows } = await client.query<{ name: string; id: string }>('select name, id from storage_location');
  const id = (name: string) => Number(rows.find((r) => r.name === name)?.id);
  const [us, eu] = [id('us'), id('eu')];
  await q(`insert into namespace (id, name, kind, created_at) select i, 'ns' || i, 'organization', $2 from generate_series(1, $1::int) i`, [ns, now]);
  await q(
    `insert into repository (id, namespace_id, name, created_at)
     select i, 1 + i % $2::int, 'ns' || (1 + i % $2::int) || '/repo' || i, $3 from generate_series(1, $1::int) i`,
    [repos, ns, now],
  );
  await q(
    `insert into blob (id, digest, size, uuid, created_at)
     select i, 'sha256:' || encode(sha256(int8send(i)), 'hex'), 1024 * (1 + i % 4096), gen_random_uuid()::text, $2
     from generate_series(1, $1::int) i`,
    [blobs, now],
  );
  await q(`insert into blob_placement (blob_id, location_id, created_at) select i, $2::bigint, $3 from generate_series(1, $1::int) i`, [blobs, us, now]);
  await q(`insert into blob_placement (blob_id, location_id, created_at) select i, $2::bigint, $3 from generate_series(2, $1::int, 2) i`, [blobs, eu, now]);
  await q(`insert into repo_blob (repository_id, blob_id, created_at) select 1 + i % $2::int, i, $3 from generate_series(1, $1::int) i`, [blobs, repos, now]);
  await q(
    `insert into repo_blob (repository_id, blob_id, created_at)
     select 1 + (i * 7 + 3) % $2::int, i, $3 from generate_series(5, $1::int, 5) i on conflict do nothing`,
    [blobs, repos, now],
  );
  await q(`insert into namespace_region (namespace_id, location_id) select i, $2::bigint from generate_series(1, $1::int, 20) i`, [ns, eu]);
  const job = (state: string, attempts: number, error: string | null, where: string) =>
    q(
      `insert into job (kind, key, payload, state, attempts, run_after, last_error, created_at, updated_at)
       select $1, b.digest, '{"blobId":' || b.id || '}', $2, $3, $4, $5, $4, $4 from blob b where ${where}`,
      [REPLICATE_BLOB, state, attempts, now, error],
    );
  await job('pending', 0, null, `b.id % 2 = 1 and b.id <= ${2 * shape.backlog}`); // odd ids miss eu
  await job('dead', 10, 'synthetic: connection reset by peer', 'b.id % 1000 = 3');
  for (const table of ['namespace', 'repository', 'blob']) {
    await q(`select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}))`);
  }
  await q('vacuum analyze');
  const counts: Record<string, number> = {};
  for (const table of ['namespace', 'repository', 'blob', 'blob_placement', 'repo_blob', 'namespace_region', 'job']) {
    const { rows: [row] } = await client.query<{ n: string }>(`select count(*) as n from ${table}`);
    counts[table] = Number(row?.n);
  }
  return counts;
}

/** A new database on `server`, migrated by `wharf migrate` and filled with `generate`. */
export async function generatedDatabase(server: string, shape: Shape): Promise<{ template: TestDatabase; rows: Record<string, number>; generateSeconds: number }> {
  const template = await throwawayDatabase(server);
  try {
    const work = await mkdtemp(join(tmpdir(), 'wharf-bench-scale-'));
    const config = join(work, 'config.yaml');
    await writeFile(config, configYaml({ db: template.url, locations: [{ name: 'us', path: join(work, 'us') }], preference: ['us'], defaults: ['us'] }));
    const migrate = await runWharf(['migrate', '--config', config], work);
    await rm(work, { recursive: true, force: true });
    if (migrate.code !== 0) throw new Error(`wharf migrate failed: ${migrate.stderrTail}`);
    const client = await pgClient(template.url);
    const started = performance.now();
    const rows = await generate(client, shape).finally(() => client.end());
    return { template, rows, generateSeconds: (performance.now() - started) / 1000 };
  } catch (err) {
    await template.drop();
    throw err;
  }
}
