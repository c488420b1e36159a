/**
 * The /api/v1 account family of the matrix: the signed-in user, other users, app tokens,
 * organizations, teams, robots, superuser user management, and the OpenAPI document.
 *
 * The rules (Quay's, src/management/access-checks.ts): account endpoints are for people, so
 * anonymous callers get 401 invalid_token and robots 403 insufficient_scope; organization
 * admins (and superusers) change an organization, its teams and its robots; members may read
 * the organization's teams, the members of their own teams and the list of robots; someone
 * outside the organization learns it exists and nothing more (403 on everything else). App
 * tokens and a user's robots belong to that user alone: another user's token is not found,
 * whoever asks, superusers included.
 */
import assert from 'node:assert/strict';
import { generateToken, tokenHash } from '../../../src/auth/secrets.js';
import type { Id } from '../../../src/metadata/store.js';
import { api, type ApiPrepare, bystander } from './api-repository-rows.js';
import type { Fixture } from './fixture.js';
import { type KnownPrincipal, LOGINS, type PrincipalName } from './principals.js';
import type { MatrixRow } from './row.js';

const json = (body: unknown): string => JSON.stringify(body);

/** The user id behind a principal, for principals that are users. */
function userIdOf(fx: Fixture, who: PrincipalName): Id | undefined {
  return who === 'anonymous' || who === 'robot' ? undefined : fx.ids.users[who];
}

/** A new organization with acme's teams: owners (orgadmin), builders (creator), readers (member). */
async function freshOrganization(fx: Fixture): Promise<{ name: string; id: Id }> {
  const org = await fx.stores.accounts.createOrganization({ name: fx.fresh('org'), email: 'before@example.com' });
  const teams = [
    ['owners', 'admin', fx.ids.users.orgAdmin],
    ['builders', 'creator', fx.ids.users.creator],
    ['readers', 'member', fx.ids.users.member],
  ] as const;
  for (const [name, role, userId] of teams) {
    const team = await fx.stores.teams.upsert(org.id, name, { role, description: '' });
    await fx.stores.teams.addMember(team.id, { kind: 'user', id: userId });
  }
  return { name: org.name, id: org.id };
}

/** A fresh, empty team of acme. */
async function freshTeam(fx: Fixture): Promise<{ name: string; id: Id }> {
  const team = await fx.stores.teams.upsert(fx.ids.acme, fx.fresh('team'), { role: 'member', description: 'matrix' });
  return { name: team.name, id: team.id };
}

async function freshRobot(fx: Fixture, namespaceId: Id): Promise<{ shortName: string; name: string; tokenHash: string }> {
  const robot = await fx.stores.robots.create({ namespaceId, shortName: fx.fresh('bot'), description: 'matrix', tokenHash: tokenHash(generateToken()) });
  return { shortName: robot.shortName, name: robot.name, tokenHash: robot.tokenHash };
}

async function freshAppToken(fx: Fixture, userId: Id): Promise<string> {
  return (await fx.stores.apiTokens.create({ userId, title: fx.fresh('token'), tokenHash: tokenHash(generateToken()) })).uuid;
}

// The signed-in user and other users.

const currentUser: ApiPrepare = async (_fx, who) => ({
  call: { method: 'GET', path: '/api/v1/user/' },
  check: async (res, allowed) => {
    if (allowed) assert.equal(res.json<{ username: string }>().username, LOGINS[who as KnownPrincipal]);
  },
});

/** Changes the caller's own e-mail (never the password: the matrix logs in with it). */
const changeOwnEmail: ApiPrepare = async (fx, who) => {
  const email = `${fx.fresh('mail')}@example.com`;
  const userId = userIdOf(fx, who);
  return {
    call: { method: 'PUT', path: '/api/v1/user/', body: json({ email }) },
    check: async (_res, allowed) => {
      if (allowed) assert.equal((await fx.stores.accounts.findUserById(userId as Id))?.email, email);
    },
  };
};

const otherUser: ApiPrepare = async () => ({
  call: { method: 'GET', path: `/api/v1/users/${LOGINS.orgAdmin}` },
  check: async (res, allowed) => {
    if (allowed) assert.equal(res.json<{ username: string }>().username, LOGINS.orgAdmin);
  },
});

// App tokens: each user's own, and another user's.

const listAppTokens: ApiPrepare = async () => ({
  call: { method: 'GET', path: '/api/v1/user/apptoken' },
  check: async (res, allowed) => {
    if (allowed) assert.ok(res.json<{ tokens: { title: string }[] }>().tokens.some((t) => t.title === 'authorization matrix'));
  },
});

const createAppToken: ApiPrepare = async (fx) => ({
  call: { method: 'POST', path: '/api/v1/user/apptoken', body: json({ title: fx.fresh('title') }) },
  check: async (res, allowed) => {
    if (allowed) assert.ok(res.json<{ token: { token_code?: string } }>().token.token_code, 'the new token is shown once');
  },
});

/** One of the caller's own tokens (a made-up uuid for callers without tokens: they are refused first). */
const ownAppToken =
  (method: 'GET' | 'DELETE'): ApiPrepare =>
  async (fx, who) => {
    const userId = userIdOf(fx, who);
    const uuid = userId === undefined ? '00000000-0000-4000-8000-000000000000' : await freshAppToken(fx, userId);
    return {
      call: { method, path: `/api/v1/user/apptoken/${uuid}` },
      check: async (_res, allowed) => {
        if (method === 'DELETE' && userId !== undefined) assert.equal((await fx.stores.apiTokens.find(userId, uuid)) === undefined, allowed);
      },
    };
  };

/** A token of outsider's: only outsider may see or revoke it. */
const outsidersAppToken =
  (method: 'GET' | 'DELETE'): ApiPrepare =>
  async (fx) => {
    const uuid = await freshAppToken(fx, fx.ids.outsider);
    return {
      call: { method, path: `/api/v1/user/apptoken/${uuid}` },
      check: async (_res, allowed) => {
        if (method === 'DELETE') assert.equal((await fx.stores.apiTokens.find(fx.ids.outsider, uuid)) === undefined, allowed);
      },
    };
  };

// Organizations.

const createOrganization: ApiPrepare = async (fx, who) => {
  const name = fx.fresh('neworg');
  return {
    call: { method: 'POST', path: '/api/v1/organization/', body: json({ name, email: `${name}@example.com` }) },
    check: async (_res, allowed) => {
      const org = await fx.stores.accounts.findNamespace(name);
      assert.equal(org?.kind, allowed ? 'organization' : undefined);
      if (!org) return;
      const role = await fx.stores.permissions.namespaceRole({ kind: 'user', id: userIdOf(fx, who) as Id }, org.id);
      assert.equal(role, 'admin', `${who} administers the organization it created`);
    },
  };
};

const MEMBERS_OF_ACME: readonly PrincipalName[] = ['member', 'creator', 'orgAdmin', 'superuser'];

const getOrganization: ApiPrepare = async (_fx, who) => ({
  call: { method: 'GET', path: '/api/v1/organization/acme' },
  check: async (res, allowed) => {
    if (!allowed) return;
    const body = res.json<{ is_admin: boolean; teams?: Record<string, unknown> }>();
    assert.equal(body.is_admin, who === 'orgAdmin' || who === 'superuser');
    assert.equal(body.teams !== undefined, MEMBERS_OF_ACME.includes(who), 'teams are shown to members only');
  },
});

const changeOrganization: ApiPrepare = async (fx) => {
  const org = await freshOrganization(fx);
  return {
    call: { method: 'PUT', path: `/api/v1/organization/${org.name}`, body: json({ email: 'after@example.com' }) },
    check: async (_res, allowed) => assert.equal((await fx.stores.accounts.findNamespace(org.name))?.email, allowed ? 'after@example.com' : 'before@example.com'),
  };
};

const deleteOrganization: ApiPrepare = async (fx) => {
  const org = await freshOrganization(fx);
  const repository = `${org.name}/app`;
  await fx.stores.repositoryAdmin.create({ namespaceId: org.id, name: repository, visibility: 'private', description: '' });
  return {
    call: { method: 'DELETE', path: `/api/v1/organization/${org.name}` },
    check: async (_res, allowed) => {
      assert.equal((await fx.stores.accounts.findNamespace(org.name)) === undefined, allowed);
      assert.equal((await fx.stores.repositoryAdmin.findDetail(repository)) === undefined, allowed);
    },
  };
};

const organizationMembers: ApiPrepare = async () => ({
  call: { method: 'GET', path: '/api/v1/organization/acme/members' },
  check: async (res, allowed) => {
    if (allowed) assert.deepEqual(res.json<{ members: { name: string }[] }>().members.map((m) => m.name).sort(), ['creator', 'member', 'orgadmin']);
  },
});

// Teams.

const createTeam: ApiPrepare = async (fx) => {
  const name = fx.fresh('team');
  return {
    call: { method: 'PUT', path: `/api/v1/organization/acme/team/${name}`, body: json({ role: 'creator', description: 'made by the matrix' }) },
    check: async (_res, allowed) => assert.equal((await fx.stores.teams.find(fx.ids.acme, name))?.role, allowed ? 'creator' : undefined),
  };
};

const deleteTeam: ApiPrepare = async (fx) => {
  const team = await freshTeam(fx);
  return {
    call: { method: 'DELETE', path: `/api/v1/organization/acme/team/${team.name}` },
    check: async (_res, allowed) => assert.equal((await fx.stores.teams.find(fx.ids.acme, team.name)) === undefined, allowed),
  };
};

const readersMembers: ApiPrepare = async () => ({
  call: { method: 'GET', path: '/api/v1/organization/acme/team/readers/members' },
  check: async (res, allowed) => {
    if (allowed) assert.deepEqual(res.json<{ members: { name: string }[] }>().members.map((m) => m.name), ['member']);
  },
});

async function isIn(fx: Fixture, teamId: Id, userId: Id): Promise<boolean> {
  return (await fx.stores.teams.members(teamId)).some((m) => m.kind === 'user' && m.id === userId);
}

const addTeamMember: ApiPrepare = async (fx) => {
  const team = await freshTeam(fx);
  const user = await bystander(fx);
  return {
    call: { method: 'PUT', path: `/api/v1/organization/acme/team/${team.name}/members/${user.name}` },
    check: async (_res, allowed) => assert.equal(await isIn(fx, team.id, user.id), allowed),
  };
};

const removeTeamMember: ApiPrepare = async (fx) => {
  const team = await freshTeam(fx);
  const user = await bystander(fx);
  await fx.stores.teams.addMember(team.id, { kind: 'user', id: user.id });
  return {
    call: { method: 'DELETE', path: `/api/v1/organization/acme/team/${team.name}/members/${user.name}` },
    check: async (_res, allowed) => assert.equal(await isIn(fx, team.id, user.id), !allowed),
  };
};

// Robots of acme.

const listOrganizationRobots: ApiPrepare = async () => ({
  call: { method: 'GET', path: '/api/v1/organization/acme/robots' },
  check: async (res, allowed) => {
    if (!allowed) return;
    const robots = res.json<{ robots: { name: string; token?: string }[] }>().robots;
    assert.ok(robots.some((r) => r.name === LOGINS.robot));
    assert.ok(robots.every((r) => !r.token), 'tokens are never listed');
  },
});

const getOrganizationRobot: ApiPrepare = async () => ({
  call: { method: 'GET', path: '/api/v1/organization/acme/robots/ci' },
  check: async (res, allowed) => {
    if (allowed) assert.equal(res.json<{ name: string }>().name, LOGINS.robot);
  },
});

const createOrganizationRobot: ApiPrepare = async (fx) => {
  const shortName = fx.fresh('bot');
  return {
    call: { method: 'PUT', path: `/api/v1/organization/acme/robots/${shortName}`, body: json({ description: 'made by the matrix' }) },
    check: async (_res, allowed) => assert.equal((await fx.stores.robots.find(`acme+${shortName}`)) !== undefined, allowed),
  };
};

const deleteOrganizationRobot: ApiPrepare = async (fx) => {
  const robot = await freshRobot(fx, fx.ids.acme);
  return {
    call: { method: 'DELETE', path: `/api/v1/organization/acme/robots/${robot.shortName}` },
    check: async (_res, allowed) => assert.equal((await fx.stores.robots.find(robot.name)) === undefined, allowed),
  };
};

const regenerateOrganizationRobot: ApiPrepare = async (fx) => {
  const robot = await freshRobot(fx, fx.ids.acme);
  return {
    call: { method: 'POST', path: `/api/v1/organization/acme/robots/${robot.shortName}/regenerate` },
    check: async (_res, allowed) => assert.equal((await fx.stores.robots.find(robot.name))?.tokenHash !== robot.tokenHash, allowed),
  };
};

// The caller's own robots (a made-up name for callers without a namespace: they are refused first).

const listOwnRobots: ApiPrepare = async () => ({ call: { method: 'GET', path: '/api/v1/user/robots' } });

const ownRobot =
  (method: 'GET' | 'DELETE' | 'POST'): ApiPrepare =>
  async (fx, who) => {
    const userId = userIdOf(fx, who);
    const robot = userId === undefined ? undefined : await freshRobot(fx, userId);
    const shortName = robot?.shortName ?? 'nobody';
    return {
      call: { method, path: `/api/v1/user/robots/${shortName}${method === 'POST' ? '/regenerate' : ''}` },
      check: async (_res, allowed) => {
        if (!robot) return;
        const after = await fx.stores.robots.find(robot.name);
        if (method === 'DELETE') assert.equal(after === undefined, allowed);
        if (method === 'POST') assert.equal(after?.tokenHash !== robot.tokenHash, allowed);
      },
    };
  };

const createOwnRobot: ApiPrepare = async (fx, who) => {
  const shortName = fx.fresh('bot');
  return {
    call: { method: 'PUT', path: `/api/v1/user/robots/${shortName}`, body: json({ description: 'made by the matrix' }) },
    check: async (_res, allowed) => {
      if (who !== 'anonymous' && who !== 'robot') assert.equal((await fx.stores.robots.find(`${LOGINS[who]}+${shortName}`)) !== undefined, allowed);
    },
  };
};

// Superuser user management: fresh users, so nothing depends on another attempt.

async function freshUser(fx: Fixture): Promise<{ name: string; id: Id }> {
  const user = await fx.stores.accounts.createUser({ name: fx.fresh('user'), email: 'before@example.com' });
  return { name: user.name, id: user.id };
}

const listUsers: ApiPrepare = async () => ({
  call: { method: 'GET', path: '/api/v1/superuser/users/' },
  check: async (res, allowed) => {
    if (allowed) assert.ok(res.json<{ users: { username: string }[] }>().users.some((u) => u.username === LOGINS.user));
  },
});

const createUser: ApiPrepare = async (fx) => {
  const username = fx.fresh('user');
  return {
    call: { method: 'POST', path: '/api/v1/superuser/users/', body: json({ username, email: `${username}@example.com` }) },
    check: async (_res, allowed) => assert.equal((await fx.stores.accounts.findUser(username)) !== undefined, allowed),
  };
};

const getUser: ApiPrepare = async () => ({
  call: { method: 'GET', path: `/api/v1/superuser/users/${LOGINS.user}` },
  check: async (res, allowed) => {
    if (allowed) assert.equal(res.json<{ username: string }>().username, LOGINS.user);
  },
});

const changeUser: ApiPrepare = async (fx) => {
  const user = await freshUser(fx);
  return {
    call: { method: 'PUT', path: `/api/v1/superuser/users/${user.name}`, body: json({ enabled: false }) },
    check: async (_res, allowed) => assert.equal((await fx.stores.accounts.findUserById(user.id))?.enabled, !allowed),
  };
};

const deleteUser: ApiPrepare = async (fx) => {
  const user = await freshUser(fx);
  return {
    call: { method: 'DELETE', path: `/api/v1/superuser/users/${user.name}` },
    check: async (_res, allowed) => assert.equal((await fx.stores.accounts.findUserById(user.id)) === undefined, allowed),
  };
};

const openApi =
  (path: string): ApiPrepare =>
  async () => ({
    call: { method: 'GET', path },
    check: async (res) => assert.match(res.json<{ openapi: string }>().openapi, /^3\./),
  });

export const API_ACCOUNT_ROWS: readonly MatrixRow[] = [
  //                                                                                                              anon user member creator orgadmin robot super
  api('GET', '/user/', 'the caller',                                                                             [401, 200, 200, 200, 200, 403, 200], currentUser),
  api('PUT', '/user/', "the caller's e-mail",                                                                    [401, 200, 200, 200, 200, 403, 200], changeOwnEmail),
  api('GET', '/users/{username}', LOGINS.orgAdmin,                                                               [401, 200, 200, 200, 200, 403, 200], otherUser),
  api('GET', '/user/apptoken', "the caller's tokens",                                                            [401, 200, 200, 200, 200, 403, 200], listAppTokens),
  api('POST', '/user/apptoken', 'a new token',                                                                   [401, 200, 200, 200, 200, 403, 200], createAppToken),
  api('GET', '/user/apptoken/{token_uuid}', "the caller's fresh token",                                          [401, 200, 200, 200, 200, 403, 200], ownAppToken('GET')),
  api('GET', '/user/apptoken/{token_uuid}', "outsider's fresh token",                                            [401, 200, 404, 404, 404, 403, 404], outsidersAppToken('GET')),
  api('DELETE', '/user/apptoken/{token_uuid}', "the caller's fresh token",                                       [401, 204, 204, 204, 204, 403, 204], ownAppToken('DELETE')),
  api('DELETE', '/user/apptoken/{token_uuid}', "outsider's fresh token",                                         [401, 204, 404, 404, 404, 403, 404], outsidersAppToken('DELETE')),
  api('POST', '/organization/', 'a new organization',                                                            [401, 201, 201, 201, 201, 403, 201], createOrganization),
  api('GET', '/organization/{orgname}', 'acme (teams for members only)',                                         [401, 200, 200, 200, 200, 403, 200], getOrganization),
  api('PUT', '/organization/{orgname}', "fresh organization's e-mail",                                           [401, 403, 403, 403, 200, 403, 200], changeOrganization),
  api('DELETE', '/organization/{orgname}', 'fresh organization with a repository',                               [401, 403, 403, 403, 204, 403, 204], deleteOrganization),
  api('GET', '/organization/{orgname}/members', 'acme',                                                          [401, 403, 403, 403, 200, 403, 200], organizationMembers),
  api('PUT', '/organization/{orgname}/team/{teamname}', 'new team in acme',                                      [401, 403, 403, 403, 200, 403, 200], createTeam),
  api('DELETE', '/organization/{orgname}/team/{teamname}', 'fresh team in acme',                                 [401, 403, 403, 403, 204, 403, 204], deleteTeam),
  api('GET', '/organization/{orgname}/team/{teamname}/members', 'acme/readers (its members and admins)',         [401, 403, 200, 403, 200, 403, 200], readersMembers),
  api('PUT', '/organization/{orgname}/team/{teamname}/members/{membername}', 'a bystander into a fresh team',    [401, 403, 403, 403, 200, 403, 200], addTeamMember),
  api('DELETE', '/organization/{orgname}/team/{teamname}/members/{membername}', 'a bystander from a fresh team', [401, 403, 403, 403, 204, 403, 204], removeTeamMember),
  api('GET', '/organization/{orgname}/robots', 'acme (members may list)',                                        [401, 403, 200, 200, 200, 403, 200], listOrganizationRobots),
  api('GET', '/organization/{orgname}/robots/{robot_shortname}', 'acme+ci',                                      [401, 403, 403, 403, 200, 403, 200], getOrganizationRobot),
  api('PUT', '/organization/{orgname}/robots/{robot_shortname}', 'new robot of acme',                            [401, 403, 403, 403, 201, 403, 201], createOrganizationRobot),
  api('DELETE', '/organization/{orgname}/robots/{robot_shortname}', 'fresh robot of acme',                       [401, 403, 403, 403, 204, 403, 204], deleteOrganizationRobot),
  api('POST', '/organization/{orgname}/robots/{robot_shortname}/regenerate', 'fresh robot of acme',              [401, 403, 403, 403, 200, 403, 200], regenerateOrganizationRobot),
  api('GET', '/user/robots', "the caller's robots",                                                              [401, 200, 200, 200, 200, 403, 200], listOwnRobots),
  api('GET', '/user/robots/{robot_shortname}', "the caller's fresh robot",                                       [401, 200, 200, 200, 200, 403, 200], ownRobot('GET')),
  api('PUT', '/user/robots/{robot_shortname}', 'a new robot of the caller',                                      [401, 201, 201, 201, 201, 403, 201], createOwnRobot),
  api('DELETE', '/user/robots/{robot_shortname}', "the caller's fresh robot",                                    [401, 204, 204, 204, 204, 403, 204], ownRobot('DELETE')),
  api('POST', '/user/robots/{robot_shortname}/regenerate', "the caller's fresh robot",                           [401, 200, 200, 200, 200, 403, 200], ownRobot('POST')),
  api('GET', '/superuser/users/', 'every user',                                                                  [401, 403, 403, 403, 403, 403, 200], listUsers),
  api('POST', '/superuser/users/', 'a new user',                                                                 [401, 403, 403, 403, 403, 403, 200], createUser),
  api('GET', '/superuser/users/{username}', LOGINS.user,                                                         [401, 403, 403, 403, 403, 403, 200], getUser),
  api('PUT', '/superuser/users/{username}', 'fresh user (disable)',                                              [401, 403, 403, 403, 403, 403, 200], changeUser),
  api('DELETE', '/superuser/users/{username}', 'fresh user',                                                     [401, 403, 403, 403, 403, 403, 204], deleteUser),
  api('GET', '/discovery', 'the OpenAPI document',                                                               [200, 200, 200, 200, 200, 200, 200], openApi('/api/v1/discovery')),
  api('GET', '/openapi.json', 'the OpenAPI document',                                                            [200, 200, 200, 200, 200, 200, 200], openApi('/api/v1/openapi.json')),
  // Basic credentials (passwords) instead of app tokens.
  api('GET', '/user/', 'the caller',                                                                             [401, 200, 200, 200, 200, 403, 200], currentUser, { basic: true }),
  api('PUT', '/organization/{orgname}/team/{teamname}', 'new team in acme',                                      [401, 403, 403, 403, 200, 403, 200], createTeam, { basic: true }),
];
