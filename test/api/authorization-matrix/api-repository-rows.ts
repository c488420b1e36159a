/**
 * The /api/v1 repository family of the matrix: repository, search, tags, permissions, logs and
 * the superuser storage views.
 *
 * How the rules read on /api/v1 (src/management/repository-access.ts): a repository the caller
 * cannot read answers like a missing one (404 not_found), so strangers learn nothing about
 * private repositories; a caller who can read it but lacks the role gets 403
 * insufficient_scope; routes that need credentials answer anonymous with 401 invalid_token
 * before looking at anything. Roles: read (GET), write (description, tags), admin
 * (visibility, delete, permissions, logs). The robot holds write on acme/private and reaches
 * exactly that: no admin actions, nothing on acme/public beyond reading.
 */
import assert from 'node:assert/strict';
import type { Res } from '../../support/http.js';
import type { Fixture } from './fixture.js';
import { FIXTURE_REPOSITORIES, PRIVATE, PUBLIC, SHARED } from './fixture.js';
import type { Outcomes, PrincipalName } from './principals.js';
import type { Attempt, MatrixRow } from './row.js';
import { PULLABLE } from './v2-rows.js';

export type ApiPrepare = (fx: Fixture, who: PrincipalName) => Promise<Attempt>;

export function api(method: string, path: string, target: string, expect: Outcomes, prepare: ApiPrepare, options: { basic?: boolean } = {}): MatrixRow {
  return { surface: 'api', method, path: `/api/v1${path}`, target: options.basic ? `${target} (Basic, password)` : target, expect, prepare, ...options };
}

const json = (body: unknown): string => JSON.stringify(body);

/** Of a listing, the fixture's repositories (other rows add repositories of their own). */
const fixtureNames = (names: readonly string[]): string[] => names.filter((n) => FIXTURE_REPOSITORIES.includes(n)).sort();

/** What each principal may read in acme: the /v2 table's pullable repositories. */
const readableInAcme = (who: PrincipalName): string[] => PULLABLE[who].filter((n) => n.startsWith('acme/')).sort();

/** Admins of acme's repositories (the robot writes to acme/private, nothing more). */
const ACME_ADMINS: readonly PrincipalName[] = ['orgAdmin', 'superuser'];

// Repositories.

/** Creates `namespace/<fresh>`; the one who creates it without being namespace admin becomes its admin. */
const createRepository =
  (namespace: string): ApiPrepare =>
  async (fx, who) => {
    const repository = fx.fresh('made');
    const name = `${namespace}/${repository}`;
    return {
      call: { method: 'POST', path: '/api/v1/repository', body: json({ namespace, repository, visibility: 'private', description: 'made by the matrix' }) },
      check: async (_res, allowed) => {
        const detail = await fx.stores.repositoryAdmin.findDetail(name);
        assert.equal(detail?.visibility, allowed ? 'private' : undefined);
        if (!allowed) return;
        const view = await fx.client.api(who, { method: 'GET', path: `/api/v1/repository/${name}` });
        assert.equal(view.json<{ can_admin: boolean }>().can_admin, true, `${who} administers the repository it created`);
      },
    };
  };

interface RepositoryPage {
  repositories: { namespace: string; name: string }[];
  next_page?: string;
}

const listRepositories: ApiPrepare = async (fx, who) => ({
  call: { method: 'GET', path: '/api/v1/repository?namespace=acme' },
  check: async (res) => {
    // Other rows keep adding repositories to acme: read every page.
    let page = res.json<RepositoryPage>();
    const names = page.repositories.map((r) => `${r.namespace}/${r.name}`);
    while (page.next_page !== undefined) {
      const next = await fx.client.api(who, { method: 'GET', path: `/api/v1/repository?namespace=acme&next_page=${encodeURIComponent(page.next_page)}` });
      assert.equal(next.status, 200);
      page = next.json<RepositoryPage>();
      names.push(...page.repositories.map((r) => `${r.namespace}/${r.name}`));
    }
    assert.deepEqual(fixtureNames(names), readableInAcme(who), `the listing shows ${who} exactly what it may read`);
  },
});

const getRepository =
  (name: string): ApiPrepare =>
  async (_fx, who) => ({
    call: { method: 'GET', path: `/api/v1/repository/${name}` },
    check: async (res, allowed) => {
      if (!allowed) return;
      const body = res.json<{ is_public: boolean; can_write: boolean; can_admin: boolean; tags: Record<string, unknown> }>();
      assert.ok('v1' in body.tags);
      const admin = ACME_ADMINS.includes(who);
      const writer = admin || (name === PRIVATE && who === 'robot');
      assert.deepEqual({ can_write: body.can_write, can_admin: body.can_admin }, { can_write: writer, can_admin: admin }, `${who}'s rights as the API reports them`);
    },
  });

const describeRepository =
  (visibility: 'private' | 'public'): ApiPrepare =>
  async (fx) => {
    const { name } = await fx.freshRepository(visibility);
    const description = `described ${fx.fresh('d')}`;
    return {
      call: { method: 'PUT', path: `/api/v1/repository/${name}`, body: json({ description }) },
      check: async (_res, allowed) => assert.equal((await fx.stores.repositoryAdmin.findDetail(name))?.description === description, allowed),
    };
  };

const changeVisibility =
  (from: 'private' | 'public'): ApiPrepare =>
  async (fx) => {
    const { name } = await fx.freshRepository(from);
    const to = from === 'private' ? 'public' : 'private';
    return {
      call: { method: 'POST', path: `/api/v1/repository/${name}/changevisibility`, body: json({ visibility: to }) },
      check: async (_res, allowed) => assert.equal((await fx.stores.repositoryAdmin.findDetail(name))?.visibility, allowed ? to : from),
    };
  };

const deleteRepository =
  (visibility: 'private' | 'public'): ApiPrepare =>
  async (fx) => {
    const { name } = await fx.freshRepository(visibility, { image: true });
    return {
      call: { method: 'DELETE', path: `/api/v1/repository/${name}` },
      check: async (_res, allowed) => assert.equal((await fx.stores.repositoryAdmin.findDetail(name)) === undefined, allowed),
    };
  };

const search: ApiPrepare = async (_fx, who) => ({
  call: { method: 'GET', path: '/api/v1/find/repositories?query=private' },
  check: async (res) => {
    const names = res.json<{ results: { namespace: { name: string }; name: string }[] }>().results.map((r) => `${r.namespace.name}/${r.name}`);
    assert.deepEqual(fixtureNames(names), readableInAcme(who).filter((n) => n === PRIVATE), `search shows ${who} only what it may read`);
  },
});

// Tags.

const tagHistory =
  (name: string): ApiPrepare =>
  async () => ({
    call: { method: 'GET', path: `/api/v1/repository/${name}/tag/?onlyActiveTags=true&specificTag=v1` },
    check: async (res, allowed) => {
      if (allowed) assert.deepEqual(res.json<{ tags: { name: string }[] }>().tags.map((t) => t.name), ['v1']);
    },
  });

const putTag =
  (name: string): ApiPrepare =>
  async (fx) => {
    const tag = fx.fresh('api');
    return {
      call: { method: 'PUT', path: `/api/v1/repository/${name}/tag/${tag}`, body: json({ manifest_digest: fx.image.manifestDigest }) },
      check: async (_res, allowed) => assert.equal(await fx.tagTarget(name, tag), allowed ? fx.image.manifestDigest : undefined),
    };
  };

const deleteTag =
  (name: string): ApiPrepare =>
  async (fx) => {
    const tag = await fx.freshTag(name);
    return {
      call: { method: 'DELETE', path: `/api/v1/repository/${name}/tag/${tag}` },
      check: async (_res, allowed) => assert.equal(await fx.tagTarget(name, tag), allowed ? undefined : fx.image.manifestDigest),
    };
  };

/** A fresh tag that pointed at the fixture image and was deleted; the call brings it back. */
const restoreTag =
  (name: string): ApiPrepare =>
  async (fx) => {
    const tag = await fx.freshTag(name);
    const row = await fx.stores.repositories.find(name);
    assert.ok(row && (await fx.stores.tags.delete(row.id, tag)));
    return {
      call: { method: 'POST', path: `/api/v1/repository/${name}/tag/${tag}/restore`, body: json({ manifest_digest: fx.image.manifestDigest }) },
      check: async (_res, allowed) => assert.equal(await fx.tagTarget(name, tag), allowed ? fx.image.manifestDigest : undefined),
    };
  };

// Permissions: each attempt on a fresh repository (with the fixture twin's grants).

const listUserPermissions: ApiPrepare = async () => ({
  call: { method: 'GET', path: `/api/v1/repository/${PRIVATE}/permissions/user/` },
  check: async (res, allowed) => {
    if (allowed) assert.equal(res.json<{ permissions: Record<string, { role: string }> }>().permissions['acme+ci']?.role, 'write');
  },
});

const getUserPermission: ApiPrepare = async () => ({
  call: { method: 'GET', path: `/api/v1/repository/${PRIVATE}/permissions/user/acme+ci` },
  check: async (res, allowed) => {
    if (allowed) assert.equal(res.json<{ role: string }>().role, 'write');
  },
});

/** A user outside the table (granting a principal a role would change its standing in other attempts). */
export async function bystander(fx: Fixture): Promise<{ name: string; id: number }> {
  const user = await fx.stores.accounts.createUser({ name: fx.fresh('bystander') });
  return { name: user.name, id: user.id };
}

async function userRole(fx: Fixture, repositoryId: number, userId: number): Promise<string | undefined> {
  return (await fx.stores.permissions.list(repositoryId, 'user')).find((p) => p.subject.id === userId)?.role;
}

const setUserPermission: ApiPrepare = async (fx) => {
  const repository = await fx.freshRepository('private');
  const user = await bystander(fx);
  return {
    call: { method: 'PUT', path: `/api/v1/repository/${repository.name}/permissions/user/${user.name}`, body: json({ role: 'read' }) },
    check: async (_res, allowed) => assert.equal(await userRole(fx, repository.id, user.id), allowed ? 'read' : undefined),
  };
};

const removeUserPermission: ApiPrepare = async (fx) => {
  const repository = await fx.freshRepository('private');
  const user = await bystander(fx);
  await fx.stores.permissions.set(repository.id, { kind: 'user', id: user.id }, 'read');
  return {
    call: { method: 'DELETE', path: `/api/v1/repository/${repository.name}/permissions/user/${user.name}` },
    check: async (_res, allowed) => assert.equal(await userRole(fx, repository.id, user.id), allowed ? undefined : 'read'),
  };
};

/** A fresh repository and a fresh, empty team of acme (so the grant gives nobody in the table a role). */
async function repositoryAndTeam(fx: Fixture, granted: boolean): Promise<{ name: string; repositoryId: number; team: string; teamId: number }> {
  const repository = await fx.freshRepository('private');
  const team = await fx.stores.teams.upsert(fx.ids.acme, fx.fresh('team'), { role: 'member', description: 'matrix' });
  if (granted) await fx.stores.permissions.set(repository.id, { kind: 'team', id: team.id }, 'read');
  return { name: repository.name, repositoryId: repository.id, team: team.name, teamId: team.id };
}

async function teamRole(fx: Fixture, repositoryId: number, teamId: number): Promise<string | undefined> {
  return (await fx.stores.permissions.list(repositoryId, 'team')).find((p) => p.subject.id === teamId)?.role;
}

const listTeamPermissions: ApiPrepare = async (fx) => {
  const { name, team } = await repositoryAndTeam(fx, true);
  return {
    call: { method: 'GET', path: `/api/v1/repository/${name}/permissions/team/` },
    check: async (res, allowed) => {
      if (allowed) assert.equal(res.json<{ permissions: Record<string, { role: string }> }>().permissions[team]?.role, 'read');
    },
  };
};

const getTeamPermission: ApiPrepare = async (fx) => {
  const { name, team } = await repositoryAndTeam(fx, true);
  return {
    call: { method: 'GET', path: `/api/v1/repository/${name}/permissions/team/${team}` },
    check: async (res, allowed) => {
      if (allowed) assert.equal(res.json<{ role: string }>().role, 'read');
    },
  };
};

const setTeamPermission: ApiPrepare = async (fx) => {
  const { name, repositoryId, team, teamId } = await repositoryAndTeam(fx, false);
  return {
    call: { method: 'PUT', path: `/api/v1/repository/${name}/permissions/team/${team}`, body: json({ role: 'write' }) },
    check: async (_res, allowed) => assert.equal(await teamRole(fx, repositoryId, teamId), allowed ? 'write' : undefined),
  };
};

const removeTeamPermission: ApiPrepare = async (fx) => {
  const { name, repositoryId, team, teamId } = await repositoryAndTeam(fx, true);
  return {
    call: { method: 'DELETE', path: `/api/v1/repository/${name}/permissions/team/${team}` },
    check: async (_res, allowed) => assert.equal(await teamRole(fx, repositoryId, teamId), allowed ? undefined : 'read'),
  };
};

// Logs and superuser views.

const get =
  (path: string, check?: (res: Res, who: PrincipalName) => void): ApiPrepare =>
  async (_fx, who) => ({
    call: { method: 'GET', path: `/api/v1${path}` },
    ...(check ? { check: async (res: Res, allowed: boolean) => (allowed ? check(res, who) : undefined) } : {}),
  });

const hasLogs = (res: Res): void => assert.ok(Array.isArray(res.json<{ logs: unknown[] }>().logs));

export const API_REPOSITORY_ROWS: readonly MatrixRow[] = [
  //                                                                                                         anon user member creator orgadmin robot super
  api('POST', '/repository', 'new repository in acme',                                                      [401, 403, 403, 201, 201, 403, 201], createRepository('acme')),
  api('POST', '/repository', 'new repository in outsider',                                                  [401, 201, 403, 403, 403, 403, 201], createRepository('outsider')),
  api('GET', '/repository', '?namespace=acme, filtered',                                                    [200, 200, 200, 200, 200, 200, 200], listRepositories),
  api('GET', '/repository/{repository}', PRIVATE,                                                           [404, 404, 404, 404, 200, 200, 200], getRepository(PRIVATE)),
  api('GET', '/repository/{repository}', `${SHARED} (readers team: read)`,                                  [404, 404, 200, 404, 200, 404, 200], getRepository(SHARED)),
  api('GET', '/repository/{repository}', PUBLIC,                                                            [200, 200, 200, 200, 200, 200, 200], getRepository(PUBLIC)),
  api('PUT', '/repository/{repository}', 'fresh private repository (write)',                                [401, 404, 404, 404, 200, 200, 200], describeRepository('private')),
  api('PUT', '/repository/{repository}', 'fresh public repository (write)',                                 [401, 403, 403, 403, 200, 403, 200], describeRepository('public')),
  api('POST', '/repository/{repository}/changevisibility', 'fresh private repository (admin)',              [401, 404, 404, 404, 200, 403, 200], changeVisibility('private')),
  api('POST', '/repository/{repository}/changevisibility', 'fresh public repository (admin)',               [401, 403, 403, 403, 200, 403, 200], changeVisibility('public')),
  api('DELETE', '/repository/{repository}', 'fresh private repository (admin)',                             [401, 404, 404, 404, 204, 403, 204], deleteRepository('private')),
  api('DELETE', '/repository/{repository}', 'fresh public repository (admin)',                              [401, 403, 403, 403, 204, 403, 204], deleteRepository('public')),
  api('GET', '/find/repositories', '?query=private, filtered',                                              [200, 200, 200, 200, 200, 200, 200], search),
  api('GET', '/repository/{repository}/tag/', PRIVATE,                                                      [404, 404, 404, 404, 200, 200, 200], tagHistory(PRIVATE)),
  api('GET', '/repository/{repository}/tag/', `${SHARED} (readers team: read)`,                             [404, 404, 200, 404, 200, 404, 200], tagHistory(SHARED)),
  api('GET', '/repository/{repository}/tag/', PUBLIC,                                                       [200, 200, 200, 200, 200, 200, 200], tagHistory(PUBLIC)),
  api('PUT', '/repository/{repository}/tag/{tag}', `${PRIVATE}, fresh tag (write)`,                         [401, 404, 404, 404, 201, 201, 201], putTag(PRIVATE)),
  api('PUT', '/repository/{repository}/tag/{tag}', `${SHARED}, fresh tag (write; readers have read)`,       [401, 404, 403, 404, 201, 404, 201], putTag(SHARED)),
  api('PUT', '/repository/{repository}/tag/{tag}', `${PUBLIC}, fresh tag (write)`,                          [401, 403, 403, 403, 201, 403, 201], putTag(PUBLIC)),
  api('DELETE', '/repository/{repository}/tag/{tag}', `${PRIVATE}, fresh tag (write)`,                      [401, 404, 404, 404, 204, 204, 204], deleteTag(PRIVATE)),
  api('DELETE', '/repository/{repository}/tag/{tag}', `${PUBLIC}, fresh tag (write)`,                       [401, 403, 403, 403, 204, 403, 204], deleteTag(PUBLIC)),
  api('POST', '/repository/{repository}/tag/{tag}/restore', `${PRIVATE}, fresh deleted tag (write)`,        [401, 404, 404, 404, 200, 200, 200], restoreTag(PRIVATE)),
  api('POST', '/repository/{repository}/tag/{tag}/restore', `${PUBLIC}, fresh deleted tag (write)`,         [401, 403, 403, 403, 200, 403, 200], restoreTag(PUBLIC)),
  api('GET', '/repository/{repository}/permissions/user/', `${PRIVATE} (admin)`,                            [401, 404, 404, 404, 200, 403, 200], listUserPermissions),
  api('GET', '/repository/{repository}/permissions/user/{username}', `${PRIVATE}, acme+ci (admin)`,         [401, 404, 404, 404, 200, 403, 200], getUserPermission),
  api('PUT', '/repository/{repository}/permissions/user/{username}', 'fresh private repository (admin)',    [401, 404, 404, 404, 200, 403, 200], setUserPermission),
  api('DELETE', '/repository/{repository}/permissions/user/{username}', 'fresh private repository (admin)', [401, 404, 404, 404, 204, 403, 204], removeUserPermission),
  api('GET', '/repository/{repository}/permissions/team/', 'fresh private repository (admin)',              [401, 404, 404, 404, 200, 403, 200], listTeamPermissions),
  api('GET', '/repository/{repository}/permissions/team/{teamname}', 'fresh private repository (admin)',    [401, 404, 404, 404, 200, 403, 200], getTeamPermission),
  api('PUT', '/repository/{repository}/permissions/team/{teamname}', 'fresh private repository (admin)',    [401, 404, 404, 404, 200, 403, 200], setTeamPermission),
  api('DELETE', '/repository/{repository}/permissions/team/{teamname}', 'fresh private repository (admin)', [401, 404, 404, 404, 204, 403, 204], removeTeamPermission),
  api('GET', '/repository/{repository}/logs', `${PRIVATE} (admin)`,                                         [401, 404, 404, 404, 200, 403, 200], get(`/repository/${PRIVATE}/logs`, hasLogs)),
  api('GET', '/repository/{repository}/logs', `${PUBLIC} (admin)`,                                          [401, 403, 403, 403, 200, 403, 200], get(`/repository/${PUBLIC}/logs`, hasLogs)),
  api('GET', '/organization/{orgname}/logs', 'acme (organization admins)',                                  [401, 403, 403, 403, 200, 403, 200], get('/organization/acme/logs', hasLogs)),
  api('GET', '/user/logs', "the caller's own actions",                                                      [401, 200, 200, 200, 200, 403, 200], get('/user/logs', hasLogs)),
  api('GET', '/superuser/logs', 'everything',                                                               [401, 403, 403, 403, 403, 403, 200], get('/superuser/logs', hasLogs)),
  api('GET', '/superuser/storage/locations', 'configured locations',                                        [401, 403, 403, 403, 403, 403, 200], get('/superuser/storage/locations', (res) => assert.equal(res.json<{ locations: { name: string }[] }>().locations[0]?.name, 'local'))),
  api('GET', '/superuser/replication', 'replication status',                                                [401, 403, 403, 403, 403, 403, 200], get('/superuser/replication')),
  // Basic credentials (passwords) instead of app tokens.
  api('GET', '/repository/{repository}', PRIVATE,                                                           [404, 404, 404, 404, 200, 200, 200], getRepository(PRIVATE), { basic: true }),
  api('DELETE', '/repository/{repository}/tag/{tag}', `${PRIVATE}, fresh tag (write)`,                      [401, 404, 404, 404, 204, 204, 204], deleteTag(PRIVATE), { basic: true }),
];
