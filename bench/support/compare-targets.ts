// The servers the compare benchmark measures side by side. Each can be started again for every
// figure (so the peak RSS read at its stop belongs to that figure) and keeps its data across
// restarts; close() removes what it created outside the work folder (database, Redis keys).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import type { StaticManifest } from './nginx.js';
import { DISTRIBUTION, distributionVersion, startDistribution } from './distribution.js';
import { NGINX, nginxVersion, startNginx } from './nginx.js';
import { SERVING_LINE as NODE_HTTP_SERVING_LINE } from './node-http-server.js';
import { findExecutable, freePort, startRegistry, type RegistryProcess } from './processes.js';
import { pgClient, postgresVersion, redisTarget, throwawayDatabase } from './services.js';
import { configYaml, ROOT, startEmbeddedWharf, startServe, wharfVersion } from './wharf.js';

export type TargetKind = 'wharf' | 'distribution' | 'nginx' | 'node-http';

export interface Target {
  /** Short key, also in file names and JSON: wharf, wharf-pg, distribution, nginx, node-http (-wN with N processes). */
  readonly id: string;
  readonly label: string;
  readonly kind: TargetKind;
  readonly version: string;
  /** One line for the printed notes. */
  readonly description: string;
  /** The figures (ids) it takes part in; all when undefined. */
  readonly figures?: readonly string[];
  /** Starts the server for `phase` (a figure id); its output goes to <work>/<id>-<phase>.log. */
  start(phase: string): Promise<RegistryProcess>;
  close(): Promise<void>;
}

/** What a target with --workers N is called, and where it takes part. */
export interface WorkerSpec {
  readonly workers: number;
  readonly figures?: readonly string[];
}

const withWorkers = (id: string, label: string, spec: WorkerSpec | undefined) =>
  spec === undefined || spec.workers === 1
    ? { id, label, args: '', figures: spec?.figures }
    : { id: `${id}-w${spec.workers}`, label: label.replace(/\)$/, `, ${spec.workers} workers)`), args: ` --workers ${spec.workers}`, figures: spec.figures };

/** Wharf with no config file: SQLite + LocalStorage under <work>/<id>/data, open access. */
export async function embeddedWharf(work: string, spec?: WorkerSpec): Promise<Target> {
  const named = withWorkers('wharf', 'wharf (sqlite)', spec);
  const cwd = join(work, named.id);
  await mkdir(cwd, { recursive: true });
  return {
    id: named.id,
    label: named.label,
    kind: 'wharf',
    version: wharfVersion(),
    figures: named.figures,
    description: `\`wharf serve${named.args}\` with no config file (the embedded default: SQLite + LocalStorage, open access, all roles)`,
    start: (phase) => startEmbeddedWharf({ name: `${named.id}-${phase}`, cwd, logFile: join(work, `${named.id}-${phase}.log`), workers: spec?.workers }),
    close: async () => {},
  };
}

/** Deletes every key under `prefix` (what a Wharf process on that prefix left). */
export async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for (let cursor = '0'; ; ) {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await redis.del(...keys);
      if ((cursor = next) === '0') break;
    }
  } finally {
    redis.disconnect();
  }
}

/**
 * Wharf on a fresh PostgreSQL database (created here, dropped at close) and Redis under a fresh
 * WHARF_REDIS_PREFIX, one LocalStorage location, AUTHENTICATION_TYPE Open, `--roles web`.
 * Throws when PostgreSQL or Redis cannot be reached.
 */
export async function postgresRedisWharf(work: string, postgres: string, redisUrl: string, spec?: WorkerSpec): Promise<Target> {
  const named = withWorkers('wharf-pg', 'wharf (pg+redis)', spec);
  const probe = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await probe.connect();
    await probe.ping();
  } catch (err) {
    throw new Error(`Redis ${redisUrl} does not answer (${err instanceof Error ? err.message : String(err)})`);
  } finally {
    probe.disconnect();
  }
  const database = await throwawayDatabase(postgres);
  const client = await pgClient(database.url);
  const pgVersion = await postgresVersion(client).finally(() => client.end());
  const cwd = join(work, named.id);
  await mkdir(cwd, { recursive: true });
  const redis = redisTarget(redisUrl);
  const config = join(cwd, 'config.yaml');
  await writeFile(config, configYaml({ db: database.url, locations: [{ name: 'local', path: join(cwd, 'storage') }], preference: ['local'], defaults: ['local'], redis, replication: false }));
  const dbName = new URL(database.url).pathname.slice(1);
  return {
    id: named.id,
    label: named.label,
    kind: 'wharf',
    version: wharfVersion(),
    figures: named.figures,
    description: `\`wharf serve --roles web${named.args}\` on ${pgVersion} (fresh database ${dbName}) and Redis ${redisUrl} (prefix ${redis.prefix}), LocalStorage, open access`,
    start: (phase) => startServe({ name: `${named.id}-${phase}`, config, cwd, roles: 'web', logFile: join(work, `${named.id}-${phase}.log`), workers: spec?.workers }),
    async close() {
      await database.drop();
      await dropRedisPrefix(redisUrl, redis.prefix);
    },
  };
}

/** Debian's docker-registry (Distribution 2.8), filesystem storage under <work>/distribution. */
export async function distributionTarget(work: string): Promise<Target | string> {
  if (findExecutable(DISTRIBUTION) === undefined) return `${DISTRIBUTION} is not installed (apt-get install docker-registry)`;
  const dir = join(work, 'distribution');
  await mkdir(dir, { recursive: true });
  const version = distributionVersion();
  return {
    id: 'distribution',
    label: `distribution ${version.replace(/\+.*/, '')}`,
    kind: 'distribution',
    version,
    description: `${DISTRIBUTION} ${version}, filesystem storage, delete enabled, in-memory blob descriptor cache, access log off`,
    start: (phase) => startDistribution(dir, `distribution-${phase}`),
    close: async () => {},
  };
}

/** nginx serving the files under `site` (see nginx.ts); the figures put the bytes there. */
export async function nginxTarget(work: string, site: string, manifest: StaticManifest): Promise<Target | string> {
  if (findExecutable(NGINX) === undefined) return `${NGINX} is not installed (apt-get install nginx)`;
  await mkdir(site, { recursive: true });
  const prefix = join(work, 'nginx');
  const version = nginxVersion();
  return {
    id: 'nginx',
    label: `nginx ${version}`,
    kind: 'nginx',
    version,
    description: `${NGINX} ${version} serving the same bytes as static files (worker_processes auto, sendfile, no access log), with the registry's Content-Type and Docker-Content-Digest`,
    start: (phase) => startNginx(prefix, site, manifest, `nginx-${phase}`),
    close: async () => {},
  };
}

const NODE_HTTP_SERVER = join(dirname(fileURLToPath(import.meta.url)), 'node-http-server.ts');

/**
 * node:http answering the manifest from memory (see node-http-server.ts), in fig1 only: what a
 * Node.js registry could reach at most, with one process or, as `spec`, N of them.
 */
export async function nodeHttpTarget(work: string, manifestFile: string, manifest: StaticManifest, spec?: WorkerSpec): Promise<Target> {
  const named = withWorkers('node-http', 'node:http (ceiling)', spec);
  const processes = spec?.workers ?? 1;
  return {
    id: named.id,
    label: named.label,
    kind: 'node-http',
    version: process.versions.node,
    figures: ['fig1'],
    description: `node ${process.version} \`http.createServer\` answering the manifest from memory with the registry's headers and nothing else (no routing, auth, cache or log)${processes > 1 ? `, ${processes} processes through node:cluster as \`wharf serve --workers ${processes}\`` : ''}: the most a Node.js registry could do here`,
    async start(phase) {
      const port = await freePort();
      // From the project folder, where --import finds tsx.
      const args = ['--import', 'tsx', NODE_HTTP_SERVER, String(port), manifest.repo, manifest.tag, manifestFile, manifest.mediaType, manifest.digest, String(processes)];
      return startRegistry({ name: `${named.id}-${phase}`, command: process.execPath, args, cwd: ROOT, port, logFile: join(work, `${named.id}-${phase}.log`), readyLine: NODE_HTTP_SERVING_LINE });
    },
    close: async () => {},
  };
}
