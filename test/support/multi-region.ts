/**
 * A multi-region Wharf on one machine, for the geo-replication end-to-end tests: real `wharf`
 * processes (`wharf serve --roles web|replication`, operator commands) sharing one throwaway
 * PostgreSQL database and one Redis (under a per-run key/channel prefix), with one LocalStorage
 * folder per location, and optionally nginx in front of the web instances as the single entry
 * point.
 *
 * - `MultiRegion.create()` is undefined when PostgreSQL or Redis is not configured (the caller
 *   skips); under WHARF_TEST_REQUIRE_ALL=1 it throws instead (see postgres.ts, redis.ts).
 * - Config files are written as JSON (a subset of YAML), so paths and prefixes need no quoting.
 * - Every process started here is tracked and killed by `destroy()`, whatever state a failed
 *   test left it in.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { testRedisPrefix, testRedisUrl } from './redis.js';
import { toolPath } from './tools.js';
import { startServe, wharfArgv } from './wharf-process.js';

export interface ConfigShape {
  /** Keys of DISTRIBUTED_STORAGE_CONFIG, in order (each one's folder is `<root>/<name>`). */
  readonly locations: readonly string[];
  readonly defaults: readonly string[];
  readonly serverHostname?: string;
  /** STORAGE_REPLICATION_PROCESSING_SECONDS: the workers' lease on a job (Wharf's default: 60). */
  readonly leaseSeconds?: number;
  /** Driver entries by location (e.g. `['S3Storage', {...}]`); a location not listed is LocalStorage at `dir(location)`. */
  readonly storage?: Readonly<Record<string, readonly [string, Record<string, unknown>]>>;
  /** FEATURE_PROXY_STORAGE (Wharf's default: false, i.e. pulls redirect where the driver can presign). */
  readonly proxyStorage?: boolean;
}

/** One running `wharf` process (a web instance or a replication worker). */
export interface WharfNode {
  readonly name: string;
  /** http://127.0.0.1:<port> of a web instance; '' for a worker without the HTTP API. */
  readonly origin: string;
  readonly child: ChildProcess;
  /** Everything it printed so far (JSON log lines). */
  logs(): string;
  /** SIGTERM, then wait for the exit (SIGKILL after 20 s). */
  stop(): Promise<void>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class MultiRegion {
  readonly #nodes = new Set<WharfNode>();
  readonly #nginx = new Set<Nginx>();

  private constructor(
    /** The temporary folder holding config files, location folders and nginx's files. */
    readonly root: string,
    readonly db: TestDatabase,
    readonly pool: pg.Pool,
    readonly redis: { host: string; port: number; prefix: string },
  ) {}

  static async create(): Promise<MultiRegion | undefined> {
    const redisUrl = testRedisUrl();
    if (!redisUrl) return undefined;
    const db = await createTestDatabase();
    if (!db) return undefined;
    const root = await mkdtemp(join(tmpdir(), 'wharf-multi-region-'));
    const url = new URL(redisUrl);
    const redis = { host: url.hostname, port: Number(url.port || 6379), prefix: testRedisPrefix() };
    return new MultiRegion(root, db, new pg.Pool({ connectionString: db.url, max: 2 }), redis);
  }

  /** The storage folder of a location. */
  dir(location: string): string {
    return join(this.root, location);
  }

  /** Writes `<root>/<file>` with the shared keys (database, Redis, replication on) and returns its path. */
  async writeConfig(file: string, shape: ConfigShape): Promise<string> {
    const config: Record<string, unknown> = {
      DB_URI: this.db.url,
      AUTHENTICATION_TYPE: 'Open',
      FEATURE_STORAGE_REPLICATION: true,
      DISTRIBUTED_STORAGE_CONFIG: Object.fromEntries(shape.locations.map((l) => [l, shape.storage?.[l] ?? ['LocalStorage', { storage_path: this.dir(l) }]])),
      DISTRIBUTED_STORAGE_PREFERENCE: shape.locations,
      DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: shape.defaults,
      USER_EVENTS_REDIS: { host: this.redis.host, port: this.redis.port },
      WHARF_REDIS_PREFIX: this.redis.prefix,
      ...(shape.serverHostname ? { SERVER_HOSTNAME: shape.serverHostname } : {}),
      ...(shape.leaseSeconds ? { STORAGE_REPLICATION_PROCESSING_SECONDS: shape.leaseSeconds } : {}),
      ...(shape.proxyStorage === undefined ? {} : { FEATURE_PROXY_STORAGE: shape.proxyStorage }),
    };
    const path = join(this.root, file);
    await writeFile(path, `${JSON.stringify(config, null, 2)}\n`);
    return path;
  }

  /** The environment of a process: QUAY_DISTRIBUTED_STORAGE_PREFERENCE set to `preference`, or removed. */
  #env(preference: string | undefined): NodeJS.ProcessEnv {
    return { ...process.env, QUAY_DISTRIBUTED_STORAGE_PREFERENCE: preference, WHARF_CONFIG: undefined, WHARF_LOG_LEVEL: 'info' };
  }

  /** `wharf serve --roles web` with QUAY_DISTRIBUTED_STORAGE_PREFERENCE=`preference` (e.g. "us eu"). */
  async web(name: string, config: string, preference: string): Promise<WharfNode> {
    const serve = await startServe(['--config', config, '--roles', 'web'], { cwd: this.root, env: this.#env(preference) });
    const captured = capture(serve.child);
    return this.#track({ name, origin: serve.origin, child: serve.child, logs: captured, stop: () => stopChild(serve.child), kill: () => killChild(serve.child) });
  }

  /** `wharf serve --roles replication` (no HTTP API); resolves once it says it runs. */
  async worker(name: string, config: string, preference: string): Promise<WharfNode> {
    const child = spawn(process.execPath, wharfArgv(['serve', '--config', config, '--roles', 'replication']), { cwd: this.root, env: this.#env(preference) });
    const logs = capture(child);
    const node = this.#track({ name, origin: '', child, logs, stop: () => stopChild(child), kill: () => killChild(child) });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (logs().includes('wharf is running without the HTTP API')) done(resolve);
      }, 20);
      const onExit = (code: number | null) => done(() => reject(new Error(`replication worker ${name} exited with ${code}: ${logs().slice(-2000)}`)));
      const done = (then: () => void) => {
        clearInterval(timer);
        child.off('exit', onExit);
        then();
      };
      child.once('exit', onExit);
    });
    return node;
  }

  #track(node: WharfNode): WharfNode {
    this.#nodes.add(node);
    node.child.once('exit', () => this.#nodes.delete(node));
    return node;
  }

  /** Runs an operator command, `wharf <args> --config <config>`, to its end (stdin closed). */
  wharf(args: readonly string[], config: string, options: { timeoutMs?: number } = {}): Promise<CliRun> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, wharfArgv([...args, '--config', config]), { cwd: this.root, env: this.#env(undefined), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
      });
    });
  }

  // --- the shared database, read directly (what the registry recorded) ---

  /** Names of the locations holding a placement of `digest`, sorted. */
  async placements(digest: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ name: string }>(
      'select l.name from blob b join blob_placement p on p.blob_id = b.id join storage_location l on l.id = p.location_id where b.digest = $1 order by l.name',
      [digest],
    );
    return rows.map((r) => r.name);
  }

  /** When the placement of `digest` at `location` was recorded (epoch ms), or undefined. */
  async placedAt(digest: string, location: string): Promise<number | undefined> {
    const { rows } = await this.pool.query<{ created_at: string }>(
      'select p.created_at from blob b join blob_placement p on p.blob_id = b.id join storage_location l on l.id = p.location_id where b.digest = $1 and l.name = $2',
      [digest, location],
    );
    return rows[0] ? Number(rows[0].created_at) : undefined;
  }

  /** When each placement of `digests` at `location` was recorded (epoch ms), by digest. */
  async placedAtAll(digests: readonly string[], location: string): Promise<Map<string, number>> {
    const { rows } = await this.pool.query<{ digest: string; created_at: string }>(
      'select b.digest, p.created_at from blob b join blob_placement p on p.blob_id = b.id join storage_location l on l.id = p.location_id where b.digest = any($1) and l.name = $2',
      [digests, location],
    );
    return new Map(rows.map((r) => [r.digest, Number(r.created_at)]));
  }

  /** Every blob digest the registry recorded. */
  async blobDigests(): Promise<string[]> {
    const { rows } = await this.pool.query<{ digest: string }>('select digest from blob order by digest');
    return rows.map((r) => r.digest);
  }

  async locationNames(): Promise<string[]> {
    const { rows } = await this.pool.query<{ name: string }>('select name from storage_location order by name');
    return rows.map((r) => r.name);
  }

  /** The live replication job of a blob (its key is the digest), if any. */
  async job(digest: string): Promise<{ state: string; attempts: number; leaseOwner: string | null; leaseUntil: number | null } | undefined> {
    const { rows } = await this.pool.query<{ state: string; attempts: number; lease_owner: string | null; lease_until: string | null }>(
      'select state, attempts, lease_owner, lease_until from job where key = $1',
      [digest],
    );
    const row = rows[0];
    return row && { state: row.state, attempts: Number(row.attempts), leaseOwner: row.lease_owner, leaseUntil: row.lease_until === null ? null : Number(row.lease_until) };
  }

  // --- nginx ---

  /** Starts nginx on 127.0.0.1:`port` (0: a free one) in front of `upstreams` (round-robin). */
  async nginx(upstreams: readonly WharfNode[], port = 0): Promise<Nginx> {
    const bin = nginxPath();
    if (!bin) throw new Error('nginx is not installed');
    const listen = port || (await freePort());
    const dir = await mkdtemp(join(this.root, 'nginx-'));
    await chmod(dir, 0o755);
    const conf = join(dir, 'nginx.conf');
    await writeFile(conf, nginxConf(dir, listen, upstreams.map((u) => new URL(u.origin).host)));
    const child = spawn(bin, ['-e', join(dir, 'error.log'), '-p', dir, '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    const logs = capture(child);
    const origin = `http://127.0.0.1:${listen}`;
    const nginx: Nginx = {
      origin,
      host: `127.0.0.1:${listen}`,
      port: listen,
      async accessLog() {
        const text = await readFile(join(dir, 'access.log'), 'utf8').catch(() => '');
        return text
          .split('\n')
          .filter((l) => l.length > 0)
          .map((l) => {
            const [method = '', uri = '', status = '', upstream = ''] = l.split(' ');
            return { method, uri, status: Number(status), upstream };
          });
      },
      stop: () => stopChild(child),
    };
    this.#nginx.add(nginx);
    child.once('exit', () => this.#nginx.delete(nginx));
    const errors = () => readFile(join(dir, 'error.log'), 'utf8').catch(() => '');
    for (const deadline = Date.now() + 10_000; ; ) {
      if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${logs()} ${await errors()}`);
      const answer = await fetch(`${origin}/v2/`).then((r) => r.status, (e: Error) => e.message);
      if (answer === 200) return nginx;
      if (Date.now() > deadline) throw new Error(`nginx on ${origin} answers GET /v2/ with ${answer}: ${logs()} ${await errors()}`);
      await sleep(50);
    }
  }

  /** Stops every process still running, drops the database, removes the folder. */
  async destroy(): Promise<void> {
    await Promise.allSettled([...this.#nginx].map((n) => n.stop()));
    await Promise.allSettled([...this.#nodes].map((n) => (n.child.exitCode === null ? n.stop() : undefined)));
    await this.pool.end().catch(() => undefined);
    await this.db.drop();
    await rm(this.root, { recursive: true, force: true });
  }
}

export interface Nginx {
  /** http://127.0.0.1:<port> */
  readonly origin: string;
  /** 127.0.0.1:<port>, for docker:// references. */
  readonly host: string;
  readonly port: number;
  /** One entry per proxied request: which upstream (`127.0.0.1:<port>`) answered it. */
  accessLog(): Promise<{ method: string; uri: string; status: number; upstream: string }[]>;
  stop(): Promise<void>;
}

/** nginx from PATH, else Debian's /usr/sbin/nginx (not on a normal user's PATH). */
export function nginxPath(): string | undefined {
  return toolPath('nginx') ?? (existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : undefined);
}

/**
 * One server block proxying everything to the upstreams, round-robin per request, streaming in
 * both directions (no request or response buffering, no body size limit), with the Host and
 * X-Forwarded-* headers a registry needs to build Location URLs on the public name.
 */
export function nginxConf(dir: string, port: number, upstreams: readonly string[]): string {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  return `daemon off;
${root ? 'user root;\n' : ''}worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  log_format upstreams '$request_method $request_uri $status $upstream_addr';
  access_log ${dir}/access.log upstreams;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream wharf {
${upstreams.map((u) => `    server ${u};`).join('\n')}
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 0;
    proxy_request_buffering off;
    proxy_buffering off;
    location / {
      proxy_pass http://wharf;
      proxy_http_version 1.1;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_read_timeout 600s;
      proxy_send_timeout 600s;
    }
  }
}
`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Keeps everything a child prints (bounded), and keeps its pipes drained. */
function capture(child: ChildProcess): () => string {
  let text = '';
  const keep = (chunk: Buffer) => {
    text += chunk.toString();
    if (text.length > 4_000_000) text = text.slice(-2_000_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => text;
}

async function stopChild(child: ChildProcess, graceMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

// --- storage folders ---

/** The file of a committed blob in a LocalStorage folder (Quay's key layout). */
export function blobFile(dir: string, digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return join(dir, 'sha256', hex.slice(0, 2), hex);
}

/** The digests of the committed blobs in a LocalStorage folder, sorted. */
export async function blobsIn(dir: string): Promise<string[]> {
  const files = await filesUnder(join(dir, 'sha256'));
  return files.map((f) => `sha256:${f.name}`).sort();
}

/** The upload session files (and their sizes) in a LocalStorage folder. */
export async function uploadsIn(dir: string): Promise<{ name: string; size: number }[]> {
  return filesUnder(join(dir, 'uploads'));
}

async function filesUnder(dir: string): Promise<{ name: string; size: number }[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const files: { name: string; size: number }[] = [];
  for (const e of entries.filter((x) => x.isFile())) {
    const size = await stat(join(e.parentPath, e.name)).then(
      (s) => s.size,
      () => -1, // gone meanwhile (committed or aborted)
    );
    if (size >= 0) files.push({ name: e.name, size });
  }
  return files;
}

/** `sha256:<hex>` of a file (streamed) and its size. */
export async function fileDigest(path: string): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

// --- deterministic content ---

/** `size` incompressible bytes (AES-256-CTR keystream keyed by `seed`), generated as they are read. */
export function pseudoRandomStream(size: number, seed: string): Readable {
  const cipher = createCipheriv('aes-256-ctr', createHash('sha256').update(seed).digest(), Buffer.alloc(16));
  const zeros = Buffer.alloc(1 << 20);
  let left = size;
  return new Readable({
    highWaterMark: 1 << 20,
    read() {
      if (left <= 0) return void this.push(null);
      const n = Math.min(left, zeros.length);
      left -= n;
      this.push(cipher.update(zeros.subarray(0, n)));
    },
  });
}

/** The digest of `pseudoRandomStream(size, seed)`, without keeping the bytes. */
export async function pseudoRandomDigest(size: number, seed: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of pseudoRandomStream(size, seed)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** Percentile (0..100) of numbers, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}
