/**
 * The world the matrix runs in, built once per dialect on a real server in Database mode:
 *
 *   organization acme
 *     team owners   (admin)   orgadmin
 *     team builders (creator) creator
 *     team readers  (member)  member
 *     robot acme+ci           write on acme/private
 *     acme/private  private   image tagged v1 (config blob + one layer)
 *     acme/public   public    the same image tagged v1
 *     acme/shared   private   the same image; team readers has read on it
 *   user outsider             member of nothing; owns outsider/own (private, same image)
 *   user root                 superuser
 *
 * Accounts, teams, grants and app tokens are written through the stores; the repositories are
 * created the way clients create them, by root pushing to them, and acme/public is then made
 * public through the store.
 *
 * Passwords: the matrix logs in with them hundreds of times (every token fetch checks one), and
 * at the production cost (scrypt N=2^15, ~100 ms of CPU each) that alone would take most of a
 * minute. A stored hash carries its own parameters (src/auth/password.ts), so the fixture's
 * users get the same scrypt hash at a low cost: the login path is the production one, only the
 * work factor differs. The fixture checks such a hash with verifyPassword before using it.
 */
import assert from 'node:assert/strict';
import { randomBytes, scryptSync } from 'node:crypto';
import { verifyPassword } from '../../../src/auth/password.js';
import { generateToken, tokenHash } from '../../../src/auth/secrets.js';
import type { Id, Stores, Visibility } from '../../../src/metadata/store.js';
import { http, imageManifest, sha256 } from '../../support/http.js';
import type { TestRegistry } from '../../support/registry.js';
import { type Credentials, MatrixClient } from './client.js';
import { type KnownPrincipal, LOGINS } from './principals.js';

export const PRIVATE = 'acme/private';
export const PUBLIC = 'acme/public';
export const SHARED = 'acme/shared';
export const OWN = 'outsider/own';
/** The repositories of the fixture, for filtering listings (other rows add repositories of their own). */
export const FIXTURE_REPOSITORIES: readonly string[] = [PRIVATE, PUBLIC, SHARED, OWN];

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

export interface FixtureImage {
  readonly config: Buffer;
  readonly layer: Buffer;
  readonly configDigest: string;
  readonly layerDigest: string;
  readonly manifest: Buffer;
  readonly manifestDigest: string;
}

export interface FixtureIds {
  readonly acme: Id;
  readonly outsider: Id;
  readonly users: Readonly<Record<Exclude<KnownPrincipal, 'robot'>, Id>>;
  readonly robot: Id;
  readonly teams: { readonly owners: Id; readonly builders: Id; readonly readers: Id };
  readonly repositories: { readonly private: Id; readonly public: Id; readonly shared: Id; readonly own: Id };
}

export interface FreshRepository {
  readonly name: string;
  readonly id: Id;
  /** The fixture manifest's row in it, when created with the image. */
  readonly manifestId: Id | undefined;
}

export class Fixture {
  readonly registry: TestRegistry;
  readonly client: MatrixClient;
  readonly ids: FixtureIds;
  readonly image: FixtureImage;
  #counter = 0;
  readonly #run = randomBytes(3).toString('hex');

  constructor(registry: TestRegistry, client: MatrixClient, ids: FixtureIds, image: FixtureImage) {
    this.registry = registry;
    this.client = client;
    this.ids = ids;
    this.image = image;
  }

  /** The same fixture seen through another server on the same database and storage. */
  on(registry: TestRegistry): Fixture {
    return new Fixture(registry, this.client.on(registry.url), this.ids, this.image);
  }

  get stores(): Stores {
    return this.registry.app.metadata.stores;
  }

  /** A name no other case uses (lower case, valid as a repository component, tag, team or robot name). */
  fresh(prefix: string): string {
    return `${prefix}${this.#run}x${++this.#counter}`;
  }

  // Preparation runs as root through /v2, and must succeed: a failure here is a fixture bug, not a matrix outcome.

  /** Pushes `data` into `repository` (monolithic upload); returns its digest. */
  async pushBlob(repository: string, data: Buffer): Promise<string> {
    const digest = sha256(data);
    const res = await this.client.v2('superuser', { method: 'POST', path: `/v2/${repository}/blobs/uploads/?digest=${digest}`, body: data, headers: { 'content-type': 'application/octet-stream' } }, [push(repository)]);
    assert.equal(res.status, 201, `fixture: pushing a blob into ${repository} as root: ${res.status} ${res.body.toString()}`);
    return digest;
  }

  /** Pushes a manifest under `reference` as root; returns its digest. */
  async pushManifest(repository: string, reference: string, manifest: Buffer): Promise<string> {
    const res = await this.client.v2('superuser', { method: 'PUT', path: `/v2/${repository}/manifests/${reference}`, body: manifest, headers: { 'content-type': OCI_MANIFEST } }, [push(repository)]);
    assert.equal(res.status, 201, `fixture: pushing a manifest into ${repository} as root: ${res.status} ${res.body.toString()}`);
    return sha256(manifest);
  }

  /** A manifest of the fixture image no other case has (a unique annotation), pushed under a fresh tag. */
  async pushFreshManifest(repository: string): Promise<{ tag: string; digest: string; manifest: Buffer }> {
    const tag = this.fresh('t');
    const manifest = imageManifest(this.image.config, [this.image.layer], { annotations: { 'org.example.case': tag } });
    const digest = await this.pushManifest(repository, tag, manifest);
    return { tag, digest, manifest };
  }

  /** Starts an upload session as root; returns its path (`/v2/<name>/blobs/uploads/<id>`). */
  async startUpload(repository: string): Promise<string> {
    const res = await this.client.v2('superuser', { method: 'POST', path: `/v2/${repository}/blobs/uploads/` }, [push(repository)]);
    assert.equal(res.status, 202, `fixture: starting an upload in ${repository} as root: ${res.status} ${res.body.toString()}`);
    const location = res.headers['location'] ?? assert.fail('fixture: upload session without Location');
    return new URL(location, this.client.base).pathname;
  }

  /**
   * A new repository (in acme unless told) with the grants of its fixture twin: in acme, the
   * robot has write on private ones, as on acme/private. With `image`, it holds the fixture
   * image tagged v1, linked through the stores (the blobs are already stored).
   */
  async freshRepository(visibility: Visibility, options: { image?: boolean; namespace?: string } = {}): Promise<FreshRepository> {
    const namespace = options.namespace ?? 'acme';
    const owner = await this.stores.accounts.findNamespace(namespace);
    assert.ok(owner, `fixture: namespace ${namespace} exists`);
    const name = `${namespace}/${this.fresh('repo')}`;
    const created = await this.stores.repositoryAdmin.create({ namespaceId: owner.id, name, visibility, description: 'a fresh repository' });
    if (namespace === 'acme' && visibility === 'private') await this.stores.permissions.set(created.id, { kind: 'robot', id: this.ids.robot }, 'write');
    let manifestId: Id | undefined;
    if (options.image) {
      const blobs = await Promise.all([this.image.configDigest, this.image.layerDigest].map((d) => this.stores.blobs.find(d)));
      const blobIds = blobs.map((b) => b?.id ?? assert.fail('fixture: image blobs are stored'));
      for (const blobId of blobIds) await this.stores.blobs.link(created.id, blobId);
      const row = await this.stores.manifests.put({ repositoryId: created.id, digest: this.image.manifestDigest, mediaType: OCI_MANIFEST, payload: this.image.manifest, subject: undefined, artifactType: undefined, blobIds, childIds: [] });
      await this.stores.tags.put(created.id, 'v1', row.id);
      manifestId = row.id;
    }
    return { name, id: created.id, manifestId };
  }

  /** Points a fresh tag of the repository at the fixture image (through the store); returns the tag. */
  async freshTag(repository: string): Promise<string> {
    const row = await this.stores.repositories.find(repository);
    const manifest = row && (await this.stores.manifests.find(row.id, this.image.manifestDigest));
    assert.ok(row && manifest, `fixture: ${repository} holds the fixture image`);
    const tag = this.fresh('tag');
    await this.stores.tags.put(row.id, tag, manifest.id);
    return tag;
  }

  /** Whether the repository has the blob linked (read straight from the store). */
  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const row = await this.stores.repositories.find(repository);
    return row !== undefined && (await this.stores.blobs.findInRepository(row.id, digest)) !== undefined;
  }

  async hasManifest(repository: string, digest: string): Promise<boolean> {
    const row = await this.stores.repositories.find(repository);
    return row !== undefined && (await this.stores.manifests.find(row.id, digest)) !== undefined;
  }

  async tagTarget(repository: string, tag: string): Promise<string | undefined> {
    const row = await this.stores.repositories.find(repository);
    return row && (await this.stores.tags.resolve(row.id, tag))?.digest;
  }
}

export const pull = (repository: string): string => `repository:${repository}:pull`;
export const push = (repository: string): string => `repository:${repository}:pull,push`;
export const remove = (repository: string): string => `repository:${repository}:delete`;
export const CATALOG = 'registry:catalog:*';

/** A password hash in password.ts's self-describing format, at a low work factor (see the header). */
function cheapPasswordHash(password: string): string {
  const [N, r, p] = [1024, 8, 1];
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFC'), salt, 32, { N, r, p });
  return ['scrypt', N, r, p, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Builds the fixture on a running Database-mode registry. */
export async function buildFixture(registry: TestRegistry): Promise<Fixture> {
  const stores = registry.app.metadata.stores;
  const passwords = new Map<string, string>();
  const createUser = async (name: string, superuser = false) => {
    const password = `pw-${name}-${randomBytes(6).toString('hex')}`;
    passwords.set(name, password);
    const passwordHash = cheapPasswordHash(password);
    assert.ok(await verifyPassword(password, passwordHash), 'fixture: the low-cost hash is in the format password.ts verifies');
    return stores.accounts.createUser({ name, email: `${name}@example.com`, passwordHash, superuser });
  };
  const [orgadmin, creator, member, outsider, root] = await Promise.all([
    createUser(LOGINS.orgAdmin),
    createUser(LOGINS.creator),
    createUser(LOGINS.member),
    createUser(LOGINS.user),
    createUser(LOGINS.superuser, true),
  ]);

  const acme = await stores.accounts.createOrganization({ name: 'acme', email: 'acme@example.com' });
  const owners = await stores.teams.upsert(acme.id, 'owners', { role: 'admin', description: 'administrators' });
  const builders = await stores.teams.upsert(acme.id, 'builders', { role: 'creator', description: 'may create repositories' });
  const readers = await stores.teams.upsert(acme.id, 'readers', { role: 'member', description: 'no implicit rights' });
  await stores.teams.addMember(owners.id, { kind: 'user', id: orgadmin.id });
  await stores.teams.addMember(builders.id, { kind: 'user', id: creator.id });
  await stores.teams.addMember(readers.id, { kind: 'user', id: member.id });

  const robotToken = generateToken();
  const robot = await stores.robots.create({ namespaceId: acme.id, shortName: 'ci', description: 'continuous integration', tokenHash: tokenHash(robotToken) });
  assert.equal(robot.name, LOGINS.robot);

  const credentials = {} as Record<KnownPrincipal, Credentials>;
  for (const [who, user] of [['user', outsider], ['member', member], ['creator', creator], ['orgAdmin', orgadmin], ['superuser', root]] as const) {
    const appToken = generateToken(40);
    await stores.apiTokens.create({ userId: user.id, title: 'authorization matrix', tokenHash: tokenHash(appToken) });
    credentials[who] = { login: user.name, secret: passwords.get(user.name) as string, appToken };
  }
  credentials.robot = { login: robot.name, secret: robotToken, appToken: undefined };

  const client = new MatrixClient(registry.url, credentials);
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, seed: 'authorization matrix' }));
  const layer = Buffer.from('the one layer of the authorization matrix image');
  const manifest = imageManifest(config, [layer]);
  const image: FixtureImage = { config, layer, configDigest: sha256(config), layerDigest: sha256(layer), manifest, manifestDigest: sha256(manifest) };

  const repositoryIds: Record<string, Id> = {};
  const bootstrap = new Fixture(registry, client, { acme: acme.id } as FixtureIds, image);
  for (const name of FIXTURE_REPOSITORIES) {
    await bootstrap.pushBlob(name, config);
    await bootstrap.pushBlob(name, layer);
    await bootstrap.pushManifest(name, 'v1', manifest);
    const detail = await stores.repositoryAdmin.findDetail(name);
    assert.ok(detail, `fixture: ${name} was not created by the push`);
    assert.equal(detail.visibility, 'private', `fixture: a repository created by a push should start private (${name})`);
    repositoryIds[name] = detail.id;
  }
  await stores.repositoryAdmin.update(repositoryIds[PUBLIC] as Id, { visibility: 'public' });
  await stores.permissions.set(repositoryIds[PRIVATE] as Id, { kind: 'robot', id: robot.id }, 'write');
  await stores.permissions.set(repositoryIds[SHARED] as Id, { kind: 'team', id: readers.id }, 'read');

  const ids: FixtureIds = {
    acme: acme.id,
    outsider: outsider.id,
    users: { user: outsider.id, member: member.id, creator: creator.id, orgAdmin: orgadmin.id, superuser: root.id },
    robot: robot.id,
    teams: { owners: owners.id, builders: builders.id, readers: readers.id },
    repositories: { private: repositoryIds[PRIVATE] as Id, public: repositoryIds[PUBLIC] as Id, shared: repositoryIds[SHARED] as Id, own: repositoryIds[OWN] as Id },
  };
  return new Fixture(registry, client, ids, image);
}

/** Sanity checks that the fixture is what the table assumes (run before the matrix). */
export async function checkFixture(fx: Fixture): Promise<void> {
  const res = await http(fx.client.base, 'GET', '/v2/acme/private/tags/list');
  assert.equal(res.status, 401, 'an anonymous request to a private repository must be refused: is the server in Database mode?');
  for (const name of FIXTURE_REPOSITORIES) assert.equal(await fx.tagTarget(name, 'v1'), fx.image.manifestDigest);
}
