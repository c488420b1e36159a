// Synthetic registry metadata for the scale benchmark, generated set-based on PostgreSQL
// (`INSERT ... SELECT generate_series`) into a database Wharf's migrations created.
//
// Shape for B blobs and R repositories (default B/10, so 100k at 1M blobs) in R/100 namespaces
// (at least 10): locations us and eu; every blob placed at us and every even-numbered one at eu
// (so half miss eu); blob i linked into repository 1 + (i - 1) % R, every 5th blob into a
// second one too (shared layers); every 20th namespace has eu as a region (redundant with the
// defaults, but the queries must look); `backlog` blobs missing eu (default 1% of the blobs)
// have a pending replication job, 0.1% of the blobs a dead one.
//
// Content: repository r holds n = 1 + r % 3 OCI image manifests (real JSON whose digest is the
// sha256 of its bytes): manifest k has a config and two layers of the repository's own blobs
// plus one of 64 shared base layers, with manifest_blob rows and the repo_blob links they need.
// Tags: `v1`..`vn` on the manifests, `latest` on the newest, and `latest`'s history (ended rows
// on the older ones) — 1 to 3 manifests, 2 to 4 current tags per repository.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import { REPLICATE_BLOB } from '../../src/jobs/notifier.js';
import type { TestDatabase } from '../../test/support/postgres.js';
import { pgClient, throwawayDatabase } from './services.js';
import { MANIFEST_TYPE } from './small-image.js';
import { configYaml, runWharf } from './wharf.js';

export interface Shape {
  readonly blobs: number;
  readonly repositories: number;
  readonly namespaces: number;
  /** Pending replication jobs (of blobs missing eu), at most half the blobs. */
  readonly backlog: number;
}

/** Shared base layers every manifest picks one of (blob ids 1..64). */
const BASE_LAYERS = 64;

export function shapeFor(blobs: number, options: { backlog?: number; repositories?: number } = {}): Shape {
  const repositories = options.repositories ?? Math.max(100, Math.round(blobs / 10));
  const backlog = options.backlog ?? Math.round(blobs / 100);
  return { blobs, repositories, namespaces: Math.max(10, Math.round(repositories / 100)), backlog: Math.min(backlog, Math.floor(blobs / 2)) };
}

/** The name of generated repository `r` (1-based), as the generator builds it. */
export const repositoryName = (shape: Shape, r: number): string => `ns${1 + (r % shape.namespaces)}/repo${r}`;

/** A generated repository in the middle of the id range and its `latest` tag: what the GET figure asks for. */
export const sampleTag = (shape: Shape): { repository: string; tag: string } => ({ repository: repositoryName(shape, Math.ceil(shape.repositories / 2)), tag: 'latest' });

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
  await q(`insert into repo_blob (repository_id, blob_id, created_at) select 1 + (i - 1) % $2::int, i, $3 from generate_series(1, $1::int) i`, [blobs, repos, now]);
  await q(
    `insert into repo_blob (repository_id, blob_id, created_at)
     select 1 + (i * 7 + 3) % $2::int, i, $3 from generate_series(5, $1::int, 5) i on conflict do nothing`,
    [blobs, repos, now],
  );
  await content(client, shape, now);
  await q(`insert into namespace_region (namespace_id, location_id) select i, $2::bigint from generate_series(1, $1::int, 20) i`, [ns, eu]);
  const job = (state: string, attempts: number, error: string | null, where: string) =>
    q(
      `insert into job (kind, key, payload, state, attempts, run_after, last_error, created_at, updated_at)
       select $1, b.digest, '{"blobId":' || b.id || '}', $2, $3, $4, $5, $4, $4 from blob b where ${where}`,
      [REPLICATE_BLOB, state, attempts, now, error],
    );
  await job('pending', 0, null, `b.id % 2 = 1 and b.id <= ${2 * shape.backlog}`); // odd ids miss eu
  await job('dead', 10, 'synthetic: connection reset by peer', 'b.id % 1000 = 3');
  for (const table of ['namespace', 'repository', 'blob', 'manifest', 'tag']) {
    await q(`select setval(pg_get_serial_sequence('${table}', 'id'), (select max(id) from ${table}))`);
  }
  await q('vacuum analyze');
  const counts: Record<string, number> = {};
  for (const table of ['namespace', 'repository', 'blob', 'blob_placement', 'repo_blob', 'manifest', 'manifest_blob', 'tag', 'namespace_region', 'job']) {
    const { rows: [row] } = await client.query<{ n: string }>(`select count(*) as n from ${table}`);
    counts[table] = Number(row?.n);
  }
  return counts;
}

/**
 * Manifests, manifest_blob rows, the repo_blob links they need, and tags. Manifest (r, k) has id
 * 3(r - 1) + k; its blobs are "slots" 3(k - 1) .. 3(k - 1) + 2 of repository r (slot s is blob
 * 1 + (r - 1 + sR) % B, linked to r already when B >= 9R) plus base layer 1 + r % 64.
 */
async function content(client: pg.Client, shape: Shape, now: number): Promise<void> {
  // Only integers this module computed go into the text; the statements stay readable that way.
  const [R, B] = [Math.trunc(shape.repositories), Math.trunc(shape.blobs)];
  const each = `from generate_series(1, ${R}) r cross join generate_series(1, 3) k`;
  const kept = 'k <= 1 + r % 3';
  const slot = (s: string) => `1 + ((r - 1)::bigint + (${s})::bigint * ${R}) % ${B}`;
  const [config, layer1, layer2, base] = [slot('3 * (k - 1)'), slot('3 * (k - 1) + 1'), slot('3 * (k - 1) + 2'), `1 + r % ${Math.min(BASE_LAYERS, B)}`];
  const descriptor = (alias: string, type: string) => `'{"mediaType":"${type}","digest":"' || ${alias}.digest || '","size":' || ${alias}.size || '}'`;
  const layer = 'application/vnd.oci.image.layer.v1.tar+gzip';
  const created = (k: string) => `${now}::bigint - 3600000 * (4 - ${k})`;
  await client.query(`
    insert into manifest (id, repository_id, digest, media_type, size, payload, created_at)
    select id, r, 'sha256:' || encode(sha256(payload), 'hex'), '${MANIFEST_TYPE}', length(payload), payload, ${created('k')}
    from (
      select 3 * (r - 1) + k as id, r, k, convert_to(
        '{"schemaVersion":2,"mediaType":"${MANIFEST_TYPE}","config":' || ${descriptor('c', 'application/vnd.oci.image.config.v1+json')}
        || ',"layers":[' || ${descriptor('b', layer)} || ',' || ${descriptor('l1', layer)} || ',' || ${descriptor('l2', layer)} || ']}', 'UTF8') as payload
      ${each}
      join blob c on c.id = ${config} join blob b on b.id = ${base} join blob l1 on l1.id = ${layer1} join blob l2 on l2.id = ${layer2}
      where ${kept}
    ) m`);
  await client.query(`
    insert into manifest_blob (manifest_id, blob_id)
    select distinct 3 * (r - 1) + k, v.blob_id ${each}
    cross join lateral (values (${config}), (${base}), (${layer1}), (${layer2})) v(blob_id)
    where ${kept}`);
  await client.query(`
    insert into repo_blob (repository_id, blob_id, created_at)
    select distinct m.repository_id, mb.blob_id, ${now}::bigint from manifest_blob mb join manifest m on m.id = mb.manifest_id
    on conflict do nothing`);
  // Tag vk and latest's row on manifest k start at its creation; latest's ends when k + 1 came.
  await client.query(`
    insert into tag (repository_id, name, manifest_id, lifetime_start, lifetime_end)
    select r, 'v' || k, 3 * (r - 1) + k, ${created('k')}, null ${each} where ${kept}
    union all
    select r, 'latest', 3 * (r - 1) + k, ${created('k')}, case when k < 1 + r % 3 then ${created('k + 1')} end ${each} where ${kept}`);
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
