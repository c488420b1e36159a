/**
 * The token endpoint (`/v2/auth`, the realm of every challenge) as a row of the matrix: every
 * principal that can authenticate gets a token (anonymous too, with anonymous access on), and
 * what matters is what the token grants. The rows ask for push on acme/private and acme/public
 * at once, as `docker push` would, and compare the `access` claim with the rules: only the
 * repository's writers get push, everyone who may pull gets pull, the others get nothing.
 */
import assert from 'node:assert/strict';
import type { Res } from '../../support/http.js';
import { type Fixture, PRIVATE, PUBLIC, push } from './fixture.js';
import type { PrincipalName } from './principals.js';
import type { Attempt, MatrixRow } from './row.js';
import { v2 } from './v2-rows.js';

/** Where the challenge's realm points (Quay's path). */
export const TOKEN_PATH = '/v2/auth';

type Grant = Readonly<Record<string, readonly string[]>>;

/** What each principal is granted of `pull,push` on each repository (absent: nothing). */
const GRANTS: Readonly<Record<PrincipalName, Grant>> = {
  anonymous: { [PUBLIC]: ['pull'] },
  user: { [PUBLIC]: ['pull'] },
  member: { [PUBLIC]: ['pull'] },
  creator: { [PUBLIC]: ['pull'] },
  orgAdmin: { [PRIVATE]: ['pull', 'push'], [PUBLIC]: ['pull', 'push'] },
  robot: { [PRIVATE]: ['pull', 'push'], [PUBLIC]: ['pull'] },
  superuser: { [PRIVATE]: ['pull', 'push'], [PUBLIC]: ['pull', 'push'] },
};

const SCOPES = [push(PRIVATE), push(PUBLIC)];

/** The `access` claim of a token, read without verifying it (the registry verifies; the test reads). */
function grantOf(token: string): Grant {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { access?: { type: string; name: string; actions: string[] }[] };
  const grant: Record<string, string[]> = {};
  for (const entry of payload.access ?? []) {
    if (entry.type === 'repository') grant[entry.name] = [...entry.actions].sort();
  }
  return grant;
}

function checkGrant(who: PrincipalName): (res: Res, allowed: boolean) => Promise<void> {
  return async (res, allowed) => {
    if (!allowed) return;
    const body = res.json<{ token: string; access_token: string }>();
    assert.equal(body.access_token, body.token, 'token and access_token are the same token');
    assert.deepEqual(grantOf(body.token), GRANTS[who], `what the token grants ${who}`);
  };
}

async function service(fx: Fixture): Promise<string> {
  return (await fx.client.challenge()).service ?? assert.fail('the challenge names no service');
}

/** `GET /v2/auth?service=&scope=&scope=` with Basic credentials (none for anonymous), as docker asks. */
const getToken = async (fx: Fixture, who: PrincipalName): Promise<Attempt> => {
  const query = new URLSearchParams({ service: await service(fx) });
  for (const scope of SCOPES) query.append('scope', scope);
  return { call: { method: 'GET', path: `${TOKEN_PATH}?${query}` }, check: checkGrant(who) };
};

/** `POST /v2/auth`: the OAuth2 password grant containerd and BuildKit try first (credentials in the form). */
const postToken = async (fx: Fixture, who: PrincipalName): Promise<Attempt> => {
  const form = new URLSearchParams({ grant_type: 'password', service: await service(fx), client_id: 'authorization-matrix' });
  if (who !== 'anonymous') {
    const { login, secret } = fx.client.credentials(who);
    form.set('username', login);
    form.set('password', secret);
  }
  for (const scope of SCOPES) form.append('scope', scope);
  return {
    call: { method: 'POST', path: TOKEN_PATH, body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } },
    bare: true,
    check: checkGrant(who),
  };
};

export const TOKEN_ROWS: readonly MatrixRow[] = [
  //                                                                                        anon user member creator orgadmin robot super
  v2('GET', TOKEN_PATH, `push on ${PRIVATE} and ${PUBLIC}: granted subset`,                [200, 200, 200, 200, 200, 200, 200], getToken, { basic: true }),
  // The password grant has no anonymous form: without a user name it is refused.
  v2('POST', TOKEN_PATH, `push on ${PRIVATE} and ${PUBLIC}: granted subset (OAuth2 form)`, [401, 200, 200, 200, 200, 200, 200], postToken),
];
