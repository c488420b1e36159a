/**
 * Manifest caches never answer stale: two real Wharf instances (buildApp twice) on ONE
 * PostgreSQL database and ONE Redis (a prefix of their own). Both caches are warmed, a tag is
 * moved, deleted or restored (or a manifest or repository deleted, or a repository made
 * private) through one instance, and the very next GET on the other must see it — in a loop
 * with random writers, readers and warm-ups. The same on PostgreSQL without Redis (nothing
 * mutable is cached there) and on the embedded single-instance SQLite default.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Config, embeddedConfig } from '../../src/config/index.js';
import { type App, buildApp } from '../../src/main.js';
import { silentLogger } from '../../src/observability/logger.js';
import { basic, bearer, createUser } from '../support/accounts.js';
import { http, imageManifest, sha256 } from '../support/http.js';
import { createTestDatabase, POSTGRES_SKIP_MESSAGE, type TestDatabase } from '../support/postgres.js';
import { REDIS_SKIP_MESSAGE, testRedisPrefix, testRedisUrl } from '../support/redis.js';
import { startTestRegistry, type TestRegistry } from '../support/registry.js';

const ROUNDS = 40;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const PASSWORD = 'cache-coherence-pw';

/** A deterministic pseudo-random sequence, so a failing interleaving can be replayed (seed printed). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Instance {
  readonly name: string;
  readonly url: string;
  readonly app: App;
}

interface Cluster {
  readonly instances: readonly [Instance, Instance];
  /** The instances' Redis key prefix, when they share a Redis. */
  readonly prefix?: string;
  close(): Promise<void>;
}

/**
 * Two instances on one fresh PostgreSQL database (and one Redis prefix, when `redis`), or on one
 * SQLite file (`sqlite`: what the processes of `serve --workers N` share).
 */
async function startCluster(options: { redis: boolean; authentication: 'Open' | 'Database'; sqlite?: boolean }): Promise<Cluster | undefined> {
  const redisUrl = options.redis ? testRedisUrl() : undefined;
  if (options.redis && !redisUrl) return undefined;
  const dataDir = await mkdtemp(join(tmpdir(), 'wharf-coherence-'));
  const db: Pick<TestDatabase, 'drop'> | undefined = options.sqlite ? { drop: async () => {} } : await createTestDatabase();
  if (!db) return undefined;
  const embedded = embeddedConfig(dataDir);
  const redis = redisUrl ? new URL(redisUrl) : undefined;
  const config: Config = {
    ...embedded,
    source: 'test',
    database: options.sqlite ? embedded.database : { dialect: 'postgres', url: (db as TestDatabase).url },
    authenticationType: options.authentication,
    redis: redis ? { host: redis.hostname, port: Number(redis.port || 6379), password: undefined, db: 0, tls: false, prefix: testRedisPrefix() } : undefined,
    access: { ...embedded.access, anonymousAccess: true, superUsers: [] },
  };
  const apps: App[] = [];
  try {
    for (let i = 0; i < 2; i++) apps.push(await buildApp(config, silentLogger()));
    const urls: string[] = [];
    for (const app of apps) urls.push(await app.server.listen({ host: '127.0.0.1', port: 0 }));
    const instances = apps.map((app, i) => ({ name: i === 0 ? 'A' : 'B', url: urls[i] as string, app })) as unknown as [Instance, Instance];
    return {
      instances,
      prefix: config.redis?.prefix,
      async close() {
        for (const app of apps) await app.close();
        await db.drop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const app of apps) await app.close();
    await db.drop();
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

interface Image {
  readonly manifest: Buffer;
  readonly digest: string;
}

/** Pushes `count` one-layer images to `name` by digest (no tag); returns them. */
async function pushImages(url: string, name: string, count: number, headers: Record<string, string> = {}): Promise<Image[]> {
  const images: Image[] = [];
  for (let i = 0; i < count; i++) {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed: `${name}-${i}` }));
    const layer = Buffer.from(`layer ${name} ${i}`);
    for (const blob of [config, layer]) {
      const res = await http(url, 'POST', `/v2/${name}/blobs/uploads/?digest=${sha256(blob)}`, { body: blob, headers: { ...headers, 'content-type': 'application/octet-stream' } });
      assert.equal(res.status, 201, res.body.toString());
    }
    const manifest = imageManifest(config, [layer]);
    const digest = sha256(manifest);
    const res = await http(url, 'PUT', `/v2/${name}/manifests/${digest}`, { body: manifest, headers: { ...headers, 'content-type': MANIFEST } });
    assert.equal(res.status, 201, res.body.toString());
    images.push({ manifest, digest });
  }
  return images;
}

async function putTag(url: string, name: string, tag: string, image: Image, headers: Record<string, string> = {}): Promise<void> {
  const res = await http(url, 'PUT', `/v2/${name}/manifests/${tag}`, { body: image.manifest, headers: { ...headers, 'content-type': MANIFEST } });
  assert.equal(res.status, 201, res.body.toString());
}

/** GET of a manifest: its digest (checked against the body), or the status and code when not 200. */
async function pull(url: string, name: string, reference: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await http(url, 'GET', `/v2/${name}/manifests/${reference}`, { headers: { ...headers, accept: MANIFEST } });
  if (res.status !== 200) return `${res.status} ${res.code ?? ''}`.trim();
  assert.equal(res.headers['docker-content-digest'], sha256(res.body), 'header and body agree');
  return sha256(res.body);
}

/** The instance at index `i % 2` and the other one. */
function pick(cluster: Cluster, i: number): [Instance, Instance] {
  const [a, b] = cluster.instances;
  return i % 2 === 0 ? [a, b] : [b, a];
}

/**
 * The OCI-level loop: random writer, random warm-ups, random operation (move, delete by tag,
 * delete by digest, re-push), then the very next GET on the other instance and on the writer.
 */
async function registryLoop(cluster: Cluster, name: string, seed: number, headersFor: (who: Instance) => Promise<Record<string, string>>): Promise<void> {
  const next = random(seed);
  const [first] = cluster.instances;
  const images = await pushImages(first.url, name, 4, await headersFor(first));
  const expected = new Map<string, string>(); // reference -> digest or "404 MANIFEST_UNKNOWN"
  const present = new Set(images.map((i) => i.digest));
  const tags = ['latest', 'stable'];
  for (const tag of tags) {
    await putTag(first.url, name, tag, images[0] as Image, await headersFor(first));
    expected.set(tag, (images[0] as Image).digest);
  }
  for (const image of images) expected.set(image.digest, image.digest);
  const check = async (instance: Instance, reference: string, round: number, what: string) => {
    const got = await pull(instance.url, name, reference, await headersFor(instance));
    assert.equal(got, expected.get(reference), `seed ${seed} round ${round}: ${what}; GET ${reference} on ${instance.name}`);
  };
  for (let round = 0; round < ROUNDS; round++) {
    const [writer, reader] = pick(cluster, Math.floor(next() * 2));
    // Warm both caches with whatever the references answer now.
    for (const reference of expected.keys()) if (next() < 0.7) await check(cluster.instances[Math.floor(next() * 2)] as Instance, reference, round, 'warm-up');
    const tag = tags[Math.floor(next() * tags.length)] as string;
    const image = images[Math.floor(next() * images.length)] as Image;
    const headers = await headersFor(writer);
    const op = next();
    let what: string;
    if (op < 0.55) {
      await putTag(writer.url, name, tag, image, headers);
      expected.set(tag, image.digest);
      expected.set(image.digest, image.digest);
      present.add(image.digest);
      what = `PUT ${tag} -> ${image.digest} on ${writer.name}`;
    } else if (op < 0.75) {
      const res = await http(writer.url, 'DELETE', `/v2/${name}/manifests/${tag}`, { headers });
      assert.equal(res.status, expected.get(tag)?.startsWith('sha256:') ? 202 : 404);
      expected.set(tag, '404 MANIFEST_UNKNOWN');
      what = `DELETE tag ${tag} on ${writer.name}`;
    } else {
      const res = await http(writer.url, 'DELETE', `/v2/${name}/manifests/${image.digest}`, { headers });
      assert.equal(res.status, present.has(image.digest) ? 202 : 404);
      present.delete(image.digest);
      // A manifest delete takes every tag on it along.
      for (const [reference, digest] of expected) if (digest === image.digest) expected.set(reference, '404 MANIFEST_UNKNOWN');
      what = `DELETE manifest ${image.digest} on ${writer.name}`;
    }
    await check(reader, tag, round, what);
    await check(reader, image.digest, round, what);
    await check(writer, tag, round, what);
  }
}

describe('cache coherence across two instances (PostgreSQL + Redis, Open)', { skip: !process.env.WHARF_TEST_POSTGRES_URL ? POSTGRES_SKIP_MESSAGE : !testRedisUrl() ? REDIS_SKIP_MESSAGE : false }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = (await startCluster({ redis: true, authentication: 'Open' })) as Cluster;
  });
  after(async () => cluster?.close());

  it('the next GET on the other instance sees every tag move, tag delete and manifest delete', async () => {
    for (const seed of [1, 2, 3]) await registryLoop(cluster, `lib/app${seed}`, seed, async () => ({}));
  });

  it('a version key lost in Redis (restart, eviction) costs a reload, not a stale answer', async () => {
    const [a, b] = cluster.instances;
    const name = 'lib/lost';
    const [one, two] = (await pushImages(a.url, name, 2)) as [Image, Image];
    await putTag(a.url, name, 'v', one);
    assert.equal(await pull(b.url, name, 'v'), one.digest);
    // Moved behind the registry's back (no invalidation): B still answers from its cache,
    // which shows the cache is in use...
    const stores = a.app.metadata.stores;
    const repository = await stores.repositories.find(name);
    const target = repository && (await stores.manifests.find(repository.id, two.digest));
    assert.ok(repository && target);
    await stores.tags.put(repository.id, 'v', target.id);
    assert.equal(await pull(b.url, name, 'v'), one.digest);
    // ...until the version keys vanish: the new tokens match nothing cached.
    const { Redis } = await import('ioredis');
    const redis = new Redis(testRedisUrl() as string);
    try {
      assert.equal(await redis.del(`${cluster.prefix}cache:v:repo:${name}`, `${cluster.prefix}cache:v:all`), 2);
    } finally {
      redis.disconnect();
    }
    assert.equal(await pull(b.url, name, 'v'), two.digest);
    assert.equal(await pull(a.url, name, 'v'), two.digest);
  });
});

describe('cache coherence across two instances (PostgreSQL without Redis)', { skip: process.env.WHARF_TEST_POSTGRES_URL ? false : POSTGRES_SKIP_MESSAGE }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = (await startCluster({ redis: false, authentication: 'Open' })) as Cluster;
  });
  after(async () => cluster?.close());

  it('the next GET on the other instance sees every change (nothing mutable is cached)', async () => {
    await registryLoop(cluster, 'lib/app', 7, async () => ({}));
  });
});

describe('cache coherence across two instances (PostgreSQL + Redis, Database access)', { skip: !process.env.WHARF_TEST_POSTGRES_URL ? POSTGRES_SKIP_MESSAGE : !testRedisUrl() ? REDIS_SKIP_MESSAGE : false }, () => {
  let cluster: Cluster;
  const root = basic('root', PASSWORD);
  /** Pull tokens per instance (and repository), fetched once: later pulls take the fast path. */
  const tokens = new Map<string, string>();
  const tokenFor = async (instance: Instance, name: string): Promise<Record<string, string>> => {
    const key = `${instance.name} ${name}`;
    let token = tokens.get(key);
    if (!token) {
      const res = await http(instance.url, 'GET', `/v2/auth?service=${new URL(instance.url).host}&scope=repository:${name}:pull,push,delete`, { headers: { authorization: root } });
      assert.equal(res.status, 200, res.body.toString());
      token = res.json<{ token: string }>().token;
      tokens.set(key, token);
    }
    return { authorization: bearer(token) };
  };
  const api = async (instance: Instance, method: string, path: string, body?: unknown) => {
    const res = await http(instance.url, method, `/api/v1${path}`, {
      headers: { authorization: root, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.body.toString()}`);
  };

  before(async () => {
    cluster = (await startCluster({ redis: true, authentication: 'Database' })) as Cluster;
    await createUser(cluster.instances[0].app.metadata, 'root', PASSWORD, { superuser: true });
  });
  after(async () => cluster?.close());

  it('pulls with tokens see every /v2 tag move and delete at once', async () => {
    await registryLoop(cluster, 'root/registry', 11, (who) => tokenFor(who, 'root/registry'));
  });

  it('pulls with tokens see /api/v1 tag put, delete and restore at once', async () => {
    const name = 'root/managed';
    const [a] = cluster.instances;
    const images = await pushImages(a.url, name, 3, await tokenFor(a, name));
    await putTag(a.url, name, 'v', images[0] as Image, await tokenFor(a, name));
    const next = random(23);
    let current: string = (images[0] as Image).digest;
    let previous = current;
    for (let round = 0; round < ROUNDS; round++) {
      const [writer, reader] = pick(cluster, Math.floor(next() * 2));
      for (const instance of cluster.instances) if (next() < 0.8) assert.equal(await pull(instance.url, name, 'v', await tokenFor(instance, name)), current, `round ${round}: warm-up`);
      const op = next();
      let what: string;
      if (op < 0.5 || !current.startsWith('sha256:')) {
        const image = images[Math.floor(next() * images.length)] as Image;
        await api(writer, 'PUT', `/repository/${name}/tag/v`, { manifest_digest: image.digest });
        if (current.startsWith('sha256:')) previous = current;
        current = image.digest;
        what = `API PUT tag v -> ${image.digest} on ${writer.name}`;
      } else if (op < 0.75) {
        await api(writer, 'DELETE', `/repository/${name}/tag/v`);
        current = '404 MANIFEST_UNKNOWN';
        what = `API DELETE tag v on ${writer.name}`;
      } else {
        await api(writer, 'POST', `/repository/${name}/tag/v/restore`, { manifest_digest: previous });
        [previous, current] = [current, previous];
        what = `API restore tag v -> ${current} on ${writer.name}`;
      }
      assert.equal(await pull(reader.url, name, 'v', await tokenFor(reader, name)), current, `round ${round}: ${what}; GET on ${reader.name}`);
      assert.equal(await pull(writer.url, name, 'v', await tokenFor(writer, name)), current, `round ${round}: ${what}; GET on ${writer.name}`);
    }
  });

  it('a repository deleted through /api/v1 is gone on the other instance at once', async () => {
    for (let round = 0; round < 6; round++) {
      const [writer, reader] = pick(cluster, round);
      const name = `root/doomed${round}`;
      const [image] = await pushImages(writer.url, name, 1, await tokenFor(writer, name));
      await putTag(writer.url, name, 'v', image as Image, await tokenFor(writer, name));
      for (const instance of cluster.instances) assert.equal(await pull(instance.url, name, 'v', await tokenFor(instance, name)), image?.digest);
      await api(writer, 'DELETE', `/repository/${name}`);
      assert.equal(await pull(reader.url, name, 'v', await tokenFor(reader, name)), '404 NAME_UNKNOWN', `round ${round}`);
      assert.equal(await pull(reader.url, name, image?.digest as string, await tokenFor(reader, name)), '404 NAME_UNKNOWN', `round ${round}`);
      // Recreated under the same name: the other instance serves the new repository's tag.
      const [again] = await pushImages(writer.url, name, 1, await tokenFor(writer, name));
      await putTag(writer.url, name, 'v', again as Image, await tokenFor(writer, name));
      assert.equal(await pull(reader.url, name, 'v', await tokenFor(reader, name)), again?.digest, `round ${round}: recreated`);
    }
  });

  it('public -> private stops anonymous pulls on the other instance at once', async () => {
    const name = 'root/shared';
    const [a] = cluster.instances;
    const [image] = await pushImages(a.url, name, 1, await tokenFor(a, name));
    await putTag(a.url, name, 'v', image as Image, await tokenFor(a, name));
    for (let round = 0; round < 10; round++) {
      const [writer, reader] = pick(cluster, round);
      await api(writer, 'POST', `/repository/${name}/changevisibility`, { visibility: 'public' });
      for (const instance of cluster.instances) assert.equal(await pull(instance.url, name, 'v'), image?.digest, `round ${round}: public`);
      await api(writer, 'POST', `/repository/${name}/changevisibility`, { visibility: 'private' });
      assert.equal(await pull(reader.url, name, 'v'), '401 UNAUTHORIZED', `round ${round}: private on ${reader.name}`);
      assert.equal(await pull(writer.url, name, 'v'), '401 UNAUTHORIZED', `round ${round}: private on ${writer.name}`);
    }
  });
});

describe('cache coherence across two instances on one SQLite file (serve --workers N)', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = (await startCluster({ redis: false, authentication: 'Open', sqlite: true })) as Cluster;
  });
  after(async () => cluster?.close());

  it('the next GET on the other instance sees every tag move, tag delete and manifest delete', async () => {
    await registryLoop(cluster, 'team/shared-file', 31, async () => ({}));
  });
});

describe('cache coherence on the embedded single instance (SQLite)', () => {
  let registry: TestRegistry;
  before(async () => {
    registry = (await startTestRegistry({ dialect: 'sqlite' })) as TestRegistry;
    await createUser(registry.app.metadata, 'root', PASSWORD, { superuser: true });
  });
  after(async () => registry?.destroy());

  it('every change is served by the next GET', async () => {
    const self: Instance = { name: 'embedded', url: registry.url, app: registry.app };
    await registryLoop({ instances: [self, self], close: async () => {} }, 'lib/app', 5, async () => ({}));
  });

  it('/api/v1 tag moves and repository deletes are served by the next GET', async () => {
    const url = registry.url;
    const name = 'root/api';
    const images = await pushImages(url, name, 3);
    for (let round = 0; round < 12; round++) {
      const image = images[round % images.length] as Image;
      const res = await http(url, 'PUT', `/api/v1/repository/${name}/tag/v`, {
        headers: { authorization: basic('root', PASSWORD), 'content-type': 'application/json' },
        body: JSON.stringify({ manifest_digest: image.digest }),
      });
      assert.equal(res.status, 201, res.body.toString());
      assert.equal(await pull(url, name, 'v'), image.digest, `round ${round}`);
    }
    const res = await http(url, 'DELETE', `/api/v1/repository/${name}`, { headers: { authorization: basic('root', PASSWORD) } });
    assert.equal(res.status, 204, res.body.toString());
    assert.equal(await pull(url, name, 'v'), '404 NAME_UNKNOWN');
  });
});

