/**
 * `wharf serve --workers 2` on the embedded SQLite default: both processes answer, a tag moved
 * through either is served by the next GET whichever process takes it (their caches follow the
 * SQLite file's commit counter), a killed worker is replaced, and SIGTERM stops everything.
 * Every request goes on a new connection, and the supervisor hands connections to the workers in
 * turn, so consecutive requests alternate between the two processes.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { basic } from '../support/accounts.js';
import { imageManifest, pushBlob, sha256 } from '../support/http.js';
import { ROOT_PASSWORD_ENV, type ServeProcess, startServe, wharfArgv, writeDatabaseConfig } from '../support/wharf-process.js';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const REPO = 'team/app';

interface Answer {
  readonly status: number;
  readonly digest: string | undefined;
  readonly body: string;
}

/** One request on a connection of its own (no keep-alive), so the supervisor picks a worker for it. */
function once(origin: string, method: string, path: string, body?: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${origin}${path}`, { method, agent: false, headers: { accept: MANIFEST, ...(body ? { 'content-type': MANIFEST } : {}), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, digest: res.headers['docker-content-digest'] as string | undefined, body: Buffer.concat(chunks).toString() }));
    });
    req.once('error', reject);
    req.end(body);
  });
}

/** Worker index → pid, from the workers' "worker is serving" lines (the latest line per index wins). */
function workerPids(output: string): Map<number, number> {
  const pids = new Map<number, number>();
  for (const line of output.split('\n')) {
    if (!line.includes('"msg":"worker is serving"')) continue;
    const entry = JSON.parse(line) as { worker: number; pid: number };
    pids.set(entry.worker, entry.pid);
  }
  return pids;
}

const requestLines = (output: string) =>
  output
    .split('\n')
    .filter((l) => l.includes('"msg":"request"'))
    .map((l) => JSON.parse(l) as { worker?: number; url: string });

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(what: string, check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('wharf serve --workers 2 (embedded SQLite)', () => {
  let dir: string;
  let server: ServeProcess;
  const manifests: { body: Buffer; digest: string }[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-workers-'));
    server = await startServe(['--workers', '2'], { cwd: dir });
    for (const seed of ['one', 'two']) {
      const config = Buffer.from(`{"seed":"${seed}"}`);
      const layer = Buffer.from(`layer ${seed}`);
      await pushBlob(server.origin, REPO, config);
      await pushBlob(server.origin, REPO, layer);
      const body = imageManifest(config, [layer]);
      manifests.push({ body, digest: sha256(body) });
    }
  });

  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('starts two serving processes that both answer', async () => {
    // Each worker logs its own line, maybe just after the supervisor's "wharf is serving".
    await until('both workers serving', () => workerPids(server.output()).size === 2);
    const pids = workerPids(server.output());
    assert.deepEqual([...pids.keys()].sort(), [1, 2]);
    assert.notEqual(pids.get(1), pids.get(2));
    const first = manifests[0] as { body: Buffer; digest: string };
    assert.equal((await once(server.origin, 'PUT', `/v2/${REPO}/manifests/latest`, first.body)).status, 201);
    for (let i = 0; i < 8; i++) assert.equal((await once(server.origin, 'GET', `/v2/${REPO}/manifests/latest`)).digest, first.digest);
    await until('request lines from both workers', () => new Set(requestLines(server.output()).map((l) => l.worker)).size === 2);
  });

  it('a tag moved through either worker is served by the next GET on both', async () => {
    for (let round = 0; round < 20; round++) {
      const target = manifests[round % 2] as { body: Buffer; digest: string };
      // Warm both workers' caches with the current answer first, so a stale cache would show.
      for (let i = 0; i < 2; i++) await once(server.origin, 'GET', `/v2/${REPO}/manifests/latest`);
      assert.equal((await once(server.origin, 'PUT', `/v2/${REPO}/manifests/latest`, target.body)).status, 201);
      for (let i = 0; i < 4; i++) {
        const answer = await once(server.origin, 'GET', `/v2/${REPO}/manifests/latest`);
        assert.deepEqual([answer.status, answer.digest], [200, target.digest], `round ${round}, GET ${i}`);
      }
    }
    const deleted = await once(server.origin, 'DELETE', `/v2/${REPO}/manifests/latest`);
    assert.equal(deleted.status, 202);
    for (let i = 0; i < 4; i++) assert.equal((await once(server.origin, 'GET', `/v2/${REPO}/manifests/latest`)).status, 404);
  });

  it('replaces a worker that dies, with the same index', async () => {
    const before = workerPids(server.output());
    const victim = before.get(2) as number;
    process.kill(victim, 'SIGKILL');
    await until('worker 2 replaced', () => {
      const now = workerPids(server.output()).get(2);
      return now !== undefined && now !== victim;
    });
    assert.match(server.output(), /"msg":"worker exited"/);
    const first = manifests[0] as { body: Buffer; digest: string };
    assert.equal((await once(server.origin, 'PUT', `/v2/${REPO}/manifests/again`, first.body)).status, 201);
    for (let i = 0; i < 4; i++) assert.equal((await once(server.origin, 'GET', `/v2/${REPO}/manifests/again`)).digest, first.digest);
    assert.equal(workerPids(server.output()).get(1), before.get(1), 'worker 1 was left alone');
  });

  it('SIGTERM stops the supervisor and every worker, with exit code 0', async () => {
    const pids = [...workerPids(server.output()).values()];
    const exited = new Promise<number | null>((r) => server.child.once('exit', (code) => r(code)));
    server.child.kill('SIGTERM');
    assert.equal(await exited, 0);
    await until('workers gone', () => pids.every((pid) => !alive(pid)), 10_000);
  });
});

describe('wharf serve --workers 2 with a config that cannot start', () => {
  it('stops with exit code 1 and the reason, leaving no worker behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-workers-bad-'));
    try {
      const config = join(dir, 'config.yaml');
      await writeFile(config, 'DB_URI: sqlite:///wharf.db\nDISTRIBUTED_STORAGE_CONFIG: {}\n');
      const child = spawn(process.execPath, wharfArgv(['serve', '--workers', '2', '--port', '0', '--config', config]), { cwd: dir });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const code = await new Promise<number | null>((r) => child.once('exit', r));
      assert.equal(code, 1, output);
      assert.match(output, /DISTRIBUTED_STORAGE_CONFIG/);
      assert.match(output, /"msg":"worker exited"/);
      assert.doesNotMatch(output, /wharf is serving/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('wharf serve --workers 2 in Database mode', () => {
  it('shares one signing key and one superuser: a token from either worker is accepted by both', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-workers-db-'));
    const config = await writeDatabaseConfig(dir);
    const server = await startServe(['--workers', '2', '--config', config], { cwd: dir, env: { [ROOT_PASSWORD_ENV]: 'workers-root-pw' } });
    try {
      // Each worker logs its own line, maybe just after the supervisor's.
      await until('both workers serving', () => workerPids(server.output()).size === 2);
      const root = { authorization: basic('root', 'workers-root-pw') };
      const service = new URL(server.origin).host;
      // Tokens from several connections (both workers issue some), each used on several more.
      const tokens: string[] = [];
      for (let i = 0; i < 4; i++) {
        const res = await once(server.origin, 'GET', `/v2/auth?service=${service}&scope=repository:root/app:pull,push`, undefined, root);
        assert.equal(res.status, 200);
        tokens.push(JSON.parse(res.body).token as string);
      }
      const config1 = Buffer.from('{"seed":"db"}');
      const layer = Buffer.from('layer db');
      for (const blob of [config1, layer]) {
        const res = await once(server.origin, 'POST', `/v2/root/app/blobs/uploads/?digest=${sha256(blob)}`, blob, { authorization: `Bearer ${tokens[0]}`, 'content-type': 'application/octet-stream' });
        assert.equal(res.status, 201, res.body);
      }
      const manifest = imageManifest(config1, [layer]);
      assert.equal((await once(server.origin, 'PUT', '/v2/root/app/manifests/latest', manifest, { authorization: `Bearer ${tokens[1]}` })).status, 201);
      for (const token of tokens) {
        for (let i = 0; i < 2; i++) {
          const res = await once(server.origin, 'GET', '/v2/root/app/manifests/latest', undefined, { authorization: `Bearer ${token}` });
          assert.deepEqual([res.status, res.digest], [200, sha256(manifest)]);
        }
      }
      // Without credentials, both workers refuse the private repository.
      for (let i = 0; i < 2; i++) assert.equal((await once(server.origin, 'GET', '/v2/root/app/manifests/latest')).status, 401);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
