/**
 * A real server in Database mode for the repository API tests, with these accounts (written
 * through the stores, with the real password KDF and token hashing):
 *
 *   root     superuser
 *   alice    owns the namespace alice
 *   bob      a stranger: member of nothing
 *   carol    acme, team readers (member)
 *   dave     nothing until a test grants him something
 *   erin     acme, team builders (creator)
 *   frank    acme, team owners (admin)
 *   acme+ci  a robot of acme
 *
 * Users call /api/v1 with an app token (Bearer), the robot with Basic and its token. Images are
 * pushed through /v2 as root, with Basic credentials (`$app` and root's app token).
 */
import { after, before, describe, it } from 'node:test';
import { hashPassword } from '../../src/auth/password.js';
import { generateToken, tokenHash } from '../../src/auth/secrets.js';
import type { Id, RepositoryDetail, TeamRole, Visibility } from '../../src/metadata/store.js';
import { basic, bearer } from '../support/accounts.js';
import { http, imageManifest, type Res, sha256 } from '../support/http.js';
import { POSTGRES_SKIP_MESSAGE } from '../support/postgres.js';
import { type Dialect, startTestRegistry, type TestRegistry, type TestRegistryOptions } from '../support/registry.js';

export const USERS = ['root', 'alice', 'bob', 'carol', 'dave', 'erin', 'frank'] as const;
export type UserName = (typeof USERS)[number];
export type Who = UserName | 'robot' | 'anonymous';

const TEAMS: Readonly<Partial<Record<UserName, { team: string; role: TeamRole }>>> = {
  carol: { team: 'readers', role: 'member' },
  erin: { team: 'builders', role: 'creator' },
  frank: { team: 'owners', role: 'admin' },
};

export interface World {
  readonly registry: TestRegistry;
  readonly url: string;
  readonly ids: Readonly<Record<UserName | 'acme' | 'robot', Id>>;
  readonly robotName: string;
  /** A /api/v1 call as `who`; a body is sent as JSON. */
  call(who: Who, method: string, path: string, body?: unknown): Promise<Res>;
  /** A /v2 request as root (Basic credentials). */
  v2(method: string, path: string): Promise<Res>;
  /** Pushes a one-layer image to `repository` under `tag` as root; returns the manifest digest. */
  push(repository: string, tag: string, seed: string): Promise<string>;
  /** Creates a repository through the store (no audit row, no permission). */
  repository(name: string, visibility?: Visibility, description?: string): Promise<RepositoryDetail>;
}

async function buildWorld(registry: TestRegistry): Promise<World> {
  const stores = registry.app.metadata.stores;
  const passwordHash = await hashPassword('not-used-by-these-tests');
  const ids: Record<string, Id> = {};
  const tokens: Record<string, string> = {};
  const acme = await stores.accounts.createOrganization({ name: 'acme' });
  ids.acme = acme.id;
  for (const name of USERS) {
    const user = await stores.accounts.createUser({ name, email: `${name}@example.test`, passwordHash, superuser: name === 'root' });
    ids[name] = user.id;
    tokens[name] = generateToken();
    await stores.apiTokens.create({ userId: user.id, title: 'tests', tokenHash: tokenHash(tokens[name]) });
    const membership = TEAMS[name];
    if (membership) {
      const team = await stores.teams.upsert(acme.id, membership.team, { role: membership.role, description: '' });
      await stores.teams.addMember(team.id, { kind: 'user', id: user.id });
    }
  }
  const robotToken = generateToken();
  const robot = await stores.robots.create({ namespaceId: acme.id, shortName: 'ci', description: 'tests', tokenHash: tokenHash(robotToken) });
  ids.robot = robot.id;

  const authorization = (who: Who): Record<string, string> => {
    if (who === 'anonymous') return {};
    if (who === 'robot') return { authorization: basic(robot.name, robotToken) };
    return { authorization: bearer(tokens[who] as string) };
  };
  const rootBasic = { authorization: basic('$app', tokens.root as string) };
  const url = registry.url;

  const pushBlob = async (repository: string, data: Buffer) => {
    const res = await http(url, 'POST', `/v2/${repository}/blobs/uploads/?digest=${sha256(data)}`, { body: data, headers: { ...rootBasic, 'content-type': 'application/octet-stream' } });
    if (res.status !== 201) throw new Error(`blob push to ${repository}: ${res.status} ${res.body.toString()}`);
  };

  return {
    registry,
    url,
    ids: ids as World['ids'],
    robotName: robot.name,
    call(who, method, path, body) {
      const headers = { ...authorization(who), ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
      return http(url, method, path, { headers, body: body === undefined ? undefined : JSON.stringify(body) });
    },
    v2(method, path) {
      return http(url, method, path, { headers: rootBasic });
    },
    async push(repository, tag, seed) {
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
      const layer = Buffer.from(`layer of ${seed}`);
      await pushBlob(repository, config);
      await pushBlob(repository, layer);
      const manifest = imageManifest(config, [layer]);
      const res = await http(url, 'PUT', `/v2/${repository}/manifests/${tag}`, {
        body: manifest,
        headers: { ...rootBasic, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      });
      if (res.status !== 201) throw new Error(`manifest push to ${repository}: ${res.status} ${res.body.toString()}`);
      return sha256(manifest);
    },
    async repository(name, visibility = 'private', description = '') {
      const namespace = await stores.accounts.findNamespace(name.slice(0, name.indexOf('/')));
      if (!namespace) throw new Error(`no namespace for ${name}`);
      return stores.repositoryAdmin.create({ namespaceId: namespace.id, name, visibility, description });
    },
  };
}

/**
 * Defines `define`'s tests once per dialect, each on its own server started before them;
 * PostgreSQL tests skip when WHARF_TEST_POSTGRES_URL is not set.
 */
export function onEachDialect(title: string, define: (test: (name: string, fn: (world: World) => Promise<void>) => void) => void, options: Partial<TestRegistryOptions> = {}): void {
  for (const dialect of ['sqlite', 'postgres'] as const satisfies readonly Dialect[]) {
    describe(`${title} on ${dialect}`, () => {
      let world: World | undefined;
      let registry: TestRegistry | undefined;
      before(async () => {
        registry = await startTestRegistry({ ...options, dialect, authentication: 'Database' });
        if (registry) world = await buildWorld(registry);
      });
      after(async () => registry?.destroy());
      define((name, fn) =>
        it(name, async (t) => {
          if (!world) return t.skip(POSTGRES_SKIP_MESSAGE);
          await fn(world);
        }),
      );
    });
  }
}

/** The `error_type` of a /api/v1 error body. */
export function errorType(res: Res): string | undefined {
  try {
    return res.json<{ error_type?: string }>().error_type;
  } catch {
    return undefined;
  }
}

/** RFC 2822 with Quay's zone, e.g. `Tue, 01 Dec 2026 09:30:00 -0000`. */
export const RFC2822 = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} -0000$/;
