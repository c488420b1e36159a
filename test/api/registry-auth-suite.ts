/**
 * Access control on the registry API (AUTHENTICATION_TYPE Database), over HTTP against a real
 * server, once per metadata dialect: the 401 challenge, the token endpoint's grants, Bearer and
 * Basic credentials on /v2, refused and forged tokens, throttled logins, cross-repository
 * mounts, the filtered catalog, the audit rows of pushes and deletes, and the creator's grant.
 *
 * The world (accounts written through the stores, repositories created by pushes):
 *   alice    user; pushes alice/private (private) and alice/public (made public)
 *   bob      user; pushes bob/src (private)
 *   carol    user in acme's `builders` team (creator)
 *   acme+ci  robot in acme's `builders` team (creator)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { RegistryTokens } from '../../src/auth/registry-tokens.js';
import { loadSigningKey } from '../../src/auth/signing-key.js';
import { tokenHash, generateToken } from '../../src/auth/secrets.js';
import type { MetadataStore } from '../../src/metadata/store.js';
import { silentLogger } from '../../src/observability/logger.js';
import { basic, bearer, createOrganization, createRobot, createUser, joinTeam, makePublic } from '../support/accounts.js';
import { http, imageManifest, type Res, sha256 } from '../support/http.js';
import { POSTGRES_SKIP_MESSAGE } from '../support/postgres.js';
import { type Dialect, startTestRegistry, type TestRegistry } from '../support/registry.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const PASSWORDS = { alice: 'alice-secret-pw', bob: 'bob-secret-pw', carol: 'carol-secret-pw' } as const;

interface TokenBody {
  token: string;
  access_token: string;
  expires_in: number;
  issued_at: string;
}

interface Access {
  type: string;
  name: string;
  actions: string[];
}

/** `GET /v2/auth` for the scopes; `auth` is an Authorization value. */
async function requestToken(base: string, scopes: readonly string[], auth?: string, options: { service?: string; host?: string } = {}): Promise<Res> {
  const query = new URLSearchParams();
  query.set('service', options.service ?? new URL(base).host);
  for (const scope of scopes) query.append('scope', scope);
  const headers: Record<string, string> = {};
  if (auth) headers.authorization = auth;
  if (options.host) headers.host = options.host;
  return http(base, 'GET', `/v2/auth?${query.toString()}`, { headers });
}

/** A token's `access` claim, for an Authorization value (or anonymous). */
async function grantedAccess(base: string, scopes: readonly string[], auth?: string): Promise<Access[]> {
  const res = await requestToken(base, scopes, auth);
  assert.equal(res.status, 200, res.body.toString());
  return decodeJwt(res.json<TokenBody>().token).access as Access[];
}

async function bearerFor(base: string, scopes: readonly string[], auth?: string): Promise<string> {
  const res = await requestToken(base, scopes, auth);
  assert.equal(res.status, 200, res.body.toString());
  return bearer(res.json<TokenBody>().token);
}

/** Headers with `Authorization: auth` unless `auth` is undefined (anonymous). */
function withAuth(auth: string | undefined, headers: Record<string, string> = {}): Record<string, string> {
  return auth === undefined ? headers : { ...headers, authorization: auth };
}

async function pushBlobAs(base: string, name: string, data: Buffer, auth: string | undefined): Promise<Res> {
  return http(base, 'POST', `/v2/${name}/blobs/uploads/?digest=${sha256(data)}`, { body: data, headers: withAuth(auth, { 'content-type': 'application/octet-stream' }) });
}

/** Pushes a one-layer image; returns the manifest push response and digest. */
async function pushImageAs(base: string, name: string, reference: string, seed: string, auth: string | undefined): Promise<{ res: Res; digest: string; layer: Buffer }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
  const layer = Buffer.from(`layer of ${seed}`);
  for (const blob of [config, layer]) {
    const pushed = await pushBlobAs(base, name, blob, auth);
    if (pushed.status !== 201) return { res: pushed, digest: '', layer };
  }
  const manifest = imageManifest(config, [layer]);
  const res = await http(base, 'PUT', `/v2/${name}/manifests/${reference}`, { body: manifest, headers: withAuth(auth, { 'content-type': OCI_MANIFEST }) });
  return { res, digest: sha256(manifest), layer };
}

/** Replaces the payload of a signed JWT (signature kept): what a forger would try. */
function tamper(token: string, change: (claims: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  change(claims);
  return [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
}

export function registryAuthSuite(dialect: Dialect): void {
  describe(`registry access control on ${dialect}`, () => {
    let registry: TestRegistry | undefined;
    let base = '';
    let host = '';
    let metadata: MetadataStore;
    const ids = { alice: 0, bob: 0, carol: 0, acme: 0 };
    let robot = { id: 0, name: '', token: '' };
    const as = {
      alice: () => basic('alice', PASSWORDS.alice),
      bob: () => basic('bob', PASSWORDS.bob),
      carol: () => basic('carol', PASSWORDS.carol),
      robot: () => basic(robot.name, robot.token),
    };

    before(async () => {
      registry = await startTestRegistry({ dialect, authentication: 'Database' });
      if (!registry) return;
      base = registry.url;
      host = new URL(base).host;
      metadata = registry.app.metadata;
      ids.alice = await createUser(metadata, 'alice', PASSWORDS.alice);
      ids.bob = await createUser(metadata, 'bob', PASSWORDS.bob);
      ids.carol = await createUser(metadata, 'carol', PASSWORDS.carol);
      ids.acme = await createOrganization(metadata, 'acme');
      robot = await createRobot(metadata, ids.acme, 'ci');
      await joinTeam(metadata, ids.acme, 'builders', 'creator', { kind: 'user', id: ids.carol });
      await joinTeam(metadata, ids.acme, 'builders', 'creator', { kind: 'robot', id: robot.id });
      for (const [name, auth] of [['alice/private', as.alice()], ['alice/public', as.alice()], ['bob/src', as.bob()]] as const) {
        const { res } = await pushImageAs(base, name, 'v1', name, auth);
        assert.equal(res.status, 201, `${name}: ${res.body.toString()}`);
      }
      await makePublic(metadata, 'alice/public');
    });
    after(async () => registry?.destroy());

    const test = (name: string, fn: () => Promise<void>) =>
      it(name, async (t) => {
        if (!registry) return t.skip(POSTGRES_SKIP_MESSAGE);
        await fn();
      });

    test('GET /v2/ without credentials: 401 UNAUTHORIZED with the exact Bearer challenge', async () => {
      const res = await http(base, 'GET', '/v2/');
      assert.equal(res.status, 401);
      assert.equal(res.code, 'UNAUTHORIZED');
      assert.equal(res.headers['www-authenticate'], `Bearer realm="${base}/v2/auth",service="${host}"`);
      assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
      assert.equal((await http(base, 'GET', '/v2/', { headers: { authorization: as.alice() } })).status, 200, 'Basic works on /v2/');
      assert.equal((await http(base, 'GET', '/v2/', { headers: { authorization: await bearerFor(base, []) } })).status, 200, 'an anonymous token is enough');
    });

    test('a refused anonymous request names the scope it needs in the challenge', async () => {
      const challenge = (scope: string) => `Bearer realm="${base}/v2/auth",service="${host}",scope="${scope}"`;
      const pull = await http(base, 'GET', '/v2/alice/private/manifests/v1');
      assert.equal(pull.status, 401);
      assert.equal(pull.code, 'UNAUTHORIZED');
      assert.equal(pull.headers['www-authenticate'], challenge('repository:alice/private:pull'));
      const head = await http(base, 'HEAD', '/v2/alice/private/manifests/v1');
      assert.equal(head.status, 401);
      assert.equal(head.headers['www-authenticate'], challenge('repository:alice/private:pull'));
      const push = await http(base, 'POST', '/v2/alice/private/blobs/uploads/');
      assert.equal(push.headers['www-authenticate'], challenge('repository:alice/private:pull,push'));
      const remove = await http(base, 'DELETE', '/v2/alice/private/manifests/v1');
      assert.equal(remove.status, 401);
      assert.equal(remove.headers['www-authenticate'], challenge('repository:alice/private:delete'));
      // Anonymous pulls of public repositories are allowed (FEATURE_ANONYMOUS_ACCESS is on).
      assert.equal((await http(base, 'GET', '/v2/alice/public/manifests/v1', { headers: { accept: OCI_MANIFEST } })).status, 200);
      assert.equal((await http(base, 'GET', '/v2/alice/public/tags/list')).status, 200);
    });

    test('the token endpoint grants exactly the allowed subset of each scope', async () => {
      const res = await requestToken(base, ['repository:alice/private:pull,push'], as.alice());
      assert.equal(res.status, 200);
      assert.equal(res.headers['cache-control'], 'no-store');
      const body = res.json<TokenBody>();
      assert.equal(body.token, body.access_token);
      assert.equal(body.expires_in, 300);
      assert.ok(Math.abs(Date.parse(body.issued_at) - Date.now()) < 60_000, body.issued_at);
      const claims = decodeJwt(body.token);
      assert.equal(claims.sub, 'alice');
      assert.equal(claims.aud, host);
      assert.deepEqual(claims.access, [{ type: 'repository', name: 'alice/private', actions: ['pull', 'push'] }]);

      assert.deepEqual(await grantedAccess(base, ['repository:alice/new:pull,push'], as.alice()), [{ type: 'repository', name: 'alice/new', actions: ['pull', 'push'] }], 'the owner may create');
      assert.deepEqual(await grantedAccess(base, ['repository:alice/private:pull,push'], as.bob()), [], 'a stranger gets nothing on a private repository');
      assert.deepEqual(await grantedAccess(base, ['repository:alice/public:pull,push'], as.bob()), [{ type: 'repository', name: 'alice/public', actions: ['pull'] }]);
      assert.deepEqual(
        await grantedAccess(base, ['repository:alice/public:pull', 'repository:alice/private:pull', 'registry:catalog:*']),
        [
          { type: 'repository', name: 'alice/public', actions: ['pull'] },
          { type: 'registry', name: 'catalog', actions: ['*'] },
        ],
        'anonymous: pull on the public repository only, and the catalog',
      );
      assert.deepEqual(
        await grantedAccess(base, ['repository:acme/ci-made:pull,push repository:bob/src:pull'], as.robot()),
        [{ type: 'repository', name: 'acme/ci-made', actions: ['pull', 'push'] }],
        'space-separated scopes; a robot in a creator team may create in its organization',
      );
      assert.deepEqual(await grantedAccess(base, ['repository:alice/private:*'], as.alice()), [{ type: 'repository', name: 'alice/private', actions: ['*'] }]);
    });

    test('the token endpoint refuses wrong credentials and another service with 401', async () => {
      const wrong = await requestToken(base, ['repository:alice/private:pull'], basic('alice', 'not-the-password'));
      assert.equal(wrong.status, 401);
      assert.equal(wrong.code, 'UNAUTHORIZED');
      assert.equal(wrong.headers['www-authenticate'], `Basic realm="${host}"`, 'the token endpoint asks for Basic credentials');
      const unknown = await requestToken(base, [], basic('nobody', 'whatever-pw'));
      assert.equal(unknown.status, 401);
      const service = await requestToken(base, ['repository:alice/private:pull'], as.alice(), { service: 'registry.example.com' });
      assert.equal(service.status, 401);
      assert.equal(service.code, 'UNAUTHORIZED');
      // Clear the failures this test counted against 127.0.0.1 (the throttle test comes last).
      assert.equal((await requestToken(base, [], as.alice())).status, 200);
    });

    test('OAuth2 POST /v2/auth (password grant) issues the same token', async () => {
      const form = new URLSearchParams({ grant_type: 'password', username: 'alice', password: PASSWORDS.alice, service: host, scope: 'repository:alice/private:pull', client_id: 'test' });
      const res = await http(base, 'POST', '/v2/auth', { body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(res.status, 200, res.body.toString());
      const body = res.json<TokenBody & { scope: string }>();
      assert.equal(body.scope, 'repository:alice/private:pull');
      const pull = await http(base, 'GET', '/v2/alice/private/manifests/v1', { headers: { authorization: bearer(body.access_token), accept: OCI_MANIFEST } });
      assert.equal(pull.status, 200);
      const refresh = await http(base, 'POST', '/v2/auth', { body: 'grant_type=refresh_token&refresh_token=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      assert.equal(refresh.status, 400);
    });

    test('a token pushes to a new repository in its own namespace; elsewhere it is 403 DENIED', async () => {
      const own = await bearerFor(base, ['repository:alice/fresh:pull,push'], as.alice());
      const pushed = await pushImageAs(base, 'alice/fresh', 'v1', 'fresh', own);
      assert.equal(pushed.res.status, 201, pushed.res.body.toString());
      const visible = await metadata.stores.repositoryAdmin.findDetail('alice/fresh');
      assert.equal(visible?.visibility, 'private', 'a pushed repository is private');

      const foreign = await bearerFor(base, ['repository:bob/intruder:pull,push'], as.alice());
      const denied = await pushBlobAs(base, 'bob/intruder', Buffer.from('x'), foreign);
      assert.equal(denied.status, 403);
      assert.equal(denied.code, 'DENIED');
      const missing = await bearerFor(base, ['repository:nobody/thing:pull,push'], as.alice());
      const noNamespace = await pushBlobAs(base, 'nobody/thing', Buffer.from('x'), missing);
      assert.equal(noNamespace.status, 403);
      assert.equal(noNamespace.code, 'DENIED');
      assert.equal((await pushBlobAs(base, 'nobody/thing', Buffer.from('x'), as.alice())).code, 'DENIED', 'Basic too');
      assert.equal(await metadata.stores.repositories.find('bob/intruder'), undefined);
      assert.equal(await metadata.stores.repositories.find('nobody/thing'), undefined);
      assert.equal(await metadata.stores.accounts.findNamespace('nobody'), undefined, 'a push never creates a namespace');
    });

    test('a token allows exactly its access claim: pull-only cannot push; a missing scope is a 401 to fetch it', async () => {
      const pullOnly = await bearerFor(base, ['repository:alice/private:pull'], as.alice());
      assert.equal((await http(base, 'GET', '/v2/alice/private/tags/list', { headers: { authorization: pullOnly } })).status, 200);
      // Alice may push here; the token just does not say so: back to the token endpoint.
      const push = await http(base, 'POST', '/v2/alice/private/blobs/uploads/', { headers: { authorization: pullOnly } });
      assert.equal(push.status, 401);
      assert.equal(push.headers['www-authenticate'], `Bearer realm="${base}/v2/auth",service="${host}",scope="repository:alice/private:pull,push",error="insufficient_scope"`);
      // Bob may not push there at all, whatever token he holds.
      const bobs = await bearerFor(base, ['repository:alice/public:pull,push'], as.bob());
      const denied = await http(base, 'POST', '/v2/alice/public/blobs/uploads/', { headers: { authorization: bobs } });
      assert.equal(denied.status, 403);
      assert.equal(denied.code, 'DENIED');
      assert.equal((await http(base, 'GET', '/v2/alice/private/tags/list', { headers: { authorization: bobs } })).status, 403);
    });

    test('expired, tampered and other-service tokens are 401 with error="invalid_token"', async () => {
      const key = await loadSigningKey(registry!.config.access.serviceKeyPath, silentLogger());
      const expiredIssuer = new RegistryTokens({ key, keys: metadata.stores.serviceKeys, lifetimeSeconds: -120 });
      const principal = { kind: 'user', id: ids.alice, name: 'alice', superuser: false } as const;
      const scope = { type: 'repository', name: 'alice/private', actions: ['pull'] };
      const expired = (await expiredIssuer.issue(principal, host, [scope])).token;
      const fresh = (await new RegistryTokens({ key, keys: metadata.stores.serviceKeys }).issue(principal, host, [scope])).token;
      const path = '/v2/alice/private/manifests/v1';
      assert.equal((await http(base, 'GET', path, { headers: { authorization: bearer(fresh), accept: OCI_MANIFEST } })).status, 200, 'the same key signs valid tokens');

      const forged = tamper(fresh, (claims) => {
        claims.access = [{ type: 'repository', name: 'alice/private', actions: ['pull', 'push', 'delete'] }];
      });
      const otherService = (await requestToken(base, ['repository:alice/private:pull'], as.alice(), { host: 'elsewhere.example:5000', service: 'elsewhere.example:5000' })).json<TokenBody>().token;
      assert.equal(decodeJwt(otherService).aud, 'elsewhere.example:5000');
      for (const [what, token] of [['expired', expired], ['tampered', forged], ['other service', otherService], ['garbage', 'abc.def.ghi']] as const) {
        const res = await http(base, 'GET', path, { headers: { authorization: bearer(token) } });
        assert.equal(res.status, 401, what);
        assert.equal(res.code, 'UNAUTHORIZED', what);
        assert.equal(res.headers['www-authenticate'], `Bearer realm="${base}/v2/auth",service="${host}",scope="repository:alice/private:pull",error="invalid_token"`, what);
      }
      const forgedDelete = await http(base, 'DELETE', path, { headers: { authorization: bearer(forged) } });
      assert.equal(forgedDelete.status, 401);
      assert.equal((await http(base, 'GET', path, { headers: { authorization: as.alice(), accept: OCI_MANIFEST } })).status, 200, 'nothing was deleted');
    });

    test('Basic credentials on /v2 work for users and robots; a stranger gets 403; a wrong password 401', async () => {
      const path = '/v2/alice/private/manifests/v1';
      assert.equal((await http(base, 'GET', path, { headers: { authorization: as.alice(), accept: OCI_MANIFEST } })).status, 200);
      const stranger = await http(base, 'GET', path, { headers: { authorization: as.bob() } });
      assert.equal(stranger.status, 403);
      assert.equal(stranger.code, 'DENIED');
      const wrong = await http(base, 'GET', path, { headers: { authorization: basic('alice', 'wrong-password') } });
      assert.equal(wrong.status, 401);
      assert.deepEqual(wrong.json<{ errors: { code: string; message: string }[] }>().errors.map((e) => [e.code, e.message]), [['UNAUTHORIZED', 'authentication required']]);
      assert.equal(wrong.headers['www-authenticate'], `Bearer realm="${base}/v2/auth",service="${host}",scope="repository:alice/private:pull"`);
      const malformed = await http(base, 'GET', path, { headers: { authorization: 'Basic !!!' } });
      assert.equal(malformed.status, 401);
      assert.ok(malformed.headers['www-authenticate']?.startsWith('Bearer realm='));

      const robotPush = await pushImageAs(base, 'acme/robot-basic', 'v1', 'robot-basic', as.robot());
      assert.equal(robotPush.res.status, 201, robotPush.res.body.toString());
      assert.equal((await http(base, 'GET', '/v2/acme/robot-basic/manifests/v1', { headers: { authorization: as.robot(), accept: OCI_MANIFEST } })).status, 200);
      assert.equal((await http(base, 'GET', path, { headers: { authorization: as.robot() } })).status, 403, 'the robot has no grant on alice/private');
      assert.equal((await http(base, 'GET', '/v2/', { headers: { authorization: as.alice() } })).status, 200, 'a success clears the failures');
    });

    test('a robot that creates a repository gets admin on it, as does a creator-team user; owners need no grant', async () => {
      const robotRepo = await metadata.stores.repositoryAdmin.findDetail('acme/robot-basic');
      assert.ok(robotRepo);
      assert.equal(robotRepo.visibility, 'private');
      assert.deepEqual(
        (await metadata.stores.permissions.list(robotRepo.id)).map((p) => [p.subject.kind, p.name, p.role]),
        [['robot', 'acme+ci', 'admin']],
      );
      const carol = await pushImageAs(base, 'acme/carol-made', 'v1', 'carol', await bearerFor(base, ['repository:acme/carol-made:pull,push'], as.carol()));
      assert.equal(carol.res.status, 201, carol.res.body.toString());
      const carolRepo = await metadata.stores.repositoryAdmin.findDetail('acme/carol-made');
      assert.deepEqual((await metadata.stores.permissions.list(carolRepo!.id)).map((p) => [p.subject.kind, p.name, p.role]), [['user', 'carol', 'admin']]);
      const own = await metadata.stores.repositoryAdmin.findDetail('alice/private');
      assert.deepEqual(await metadata.stores.permissions.list(own!.id), [], 'alice is admin of her namespace already');
      // The grant is what lets the robot delete in its new repository (a creator team alone would not).
      const deleted = await http(base, 'DELETE', '/v2/acme/robot-basic/manifests/v1', { headers: { authorization: as.robot() } });
      assert.equal(deleted.status, 202);
    });

    test('a mount from a repository the caller may not pull starts an upload session instead (202, not 201)', async () => {
      const secret = Buffer.from('a blob only bob may read');
      assert.equal((await pushBlobAs(base, 'bob/src', secret, as.bob())).status, 201);
      const digest = sha256(secret);
      const token = await bearerFor(base, ['repository:alice/mounted:pull,push', 'repository:bob/src:pull'], as.alice());
      assert.deepEqual((decodeJwt(token.slice('Bearer '.length)).access as Access[]).map((a) => a.name), ['alice/mounted']);
      const refused = await http(base, 'POST', `/v2/alice/mounted/blobs/uploads/?mount=${digest}&from=bob/src`, { headers: { authorization: token } });
      assert.equal(refused.status, 202);
      assert.match(refused.headers.location ?? '', /\/v2\/alice\/mounted\/blobs\/uploads\/[0-9a-f-]{36}$/);
      const head = await http(base, 'HEAD', `/v2/alice/mounted/blobs/${digest}`, { headers: { authorization: token } });
      assert.equal(head.status, 404, 'the blob was not linked');
      const viaBasic = await http(base, 'POST', `/v2/alice/mounted/blobs/uploads/?mount=${digest}&from=bob/src`, { headers: { authorization: as.alice() } });
      assert.equal(viaBasic.status, 202);

      // Bob may pull his own repository: his mount links the blob.
      const bobs = await bearerFor(base, ['repository:bob/copy:pull,push', 'repository:bob/src:pull'], as.bob());
      const mounted = await http(base, 'POST', `/v2/bob/copy/blobs/uploads/?mount=${digest}&from=bob/src`, { headers: { authorization: bobs } });
      assert.equal(mounted.status, 201);
      assert.equal(mounted.headers['docker-content-digest'], digest);
    });

    test('_catalog lists only what the caller may see', async () => {
      const catalog = async (auth?: string) => {
        const res = await http(base, 'GET', '/v2/_catalog', auth ? { headers: { authorization: auth } } : {});
        assert.equal(res.status, 200, res.body.toString());
        return res.json<{ repositories: string[] }>().repositories;
      };
      const alices = await catalog(await bearerFor(base, ['registry:catalog:*'], as.alice()));
      assert.ok(alices.includes('alice/private') && alices.includes('alice/public'), alices.join());
      assert.ok(!alices.includes('bob/src'), alices.join());
      const bobs = await catalog(as.bob());
      assert.ok(bobs.includes('bob/src') && bobs.includes('alice/public'), bobs.join());
      assert.ok(!bobs.includes('alice/private'), bobs.join());
      assert.deepEqual(await catalog(), ['alice/public'], 'anonymous: public repositories only');
      const noScope = await http(base, 'GET', '/v2/_catalog', { headers: { authorization: await bearerFor(base, [], as.alice()) } });
      assert.equal(noScope.status, 401, 'a token without registry:catalog:* is sent back for one');
      assert.match(noScope.headers['www-authenticate'] ?? '', /scope="registry:catalog:\*",error="insufficient_scope"$/);
    });

    test('pushes and deletes are audited with the performer and address', async () => {
      const auth = await bearerFor(base, ['repository:alice/audited:pull,push,delete'], as.alice());
      const { res, digest, layer } = await pushImageAs(base, 'alice/audited', 'v1', 'audited', auth);
      assert.equal(res.status, 201);
      assert.equal((await http(base, 'PUT', `/v2/alice/audited/manifests/${digest}`, { body: (await http(base, 'GET', `/v2/alice/audited/manifests/v1`, { headers: { authorization: auth, accept: OCI_MANIFEST } })).body, headers: { 'content-type': OCI_MANIFEST, authorization: auth } })).status, 201);
      assert.equal((await http(base, 'DELETE', '/v2/alice/audited/manifests/v1', { headers: { authorization: auth } })).status, 202);
      assert.equal((await http(base, 'DELETE', `/v2/alice/audited/manifests/${digest}`, { headers: { authorization: auth } })).status, 202);
      assert.equal((await http(base, 'DELETE', `/v2/alice/audited/blobs/${sha256(layer)}`, { headers: { authorization: auth } })).status, 202);
      const rows = (await metadata.stores.audit.list({ repository: 'alice/audited', n: 20 })).reverse();
      assert.deepEqual(
        rows.map((r) => [r.kind, r.performer.kind, r.performer.name, r.namespace, r.ip, r.metadata]),
        [
          ['create_repo', 'user', 'alice', 'alice', '127.0.0.1', { visibility: 'private' }],
          ['push_repo', 'user', 'alice', 'alice', '127.0.0.1', { tag: 'v1', manifest_digest: digest }],
          ['push_repo', 'user', 'alice', 'alice', '127.0.0.1', { digest, manifest_digest: digest }],
          ['delete_tag', 'user', 'alice', 'alice', '127.0.0.1', { tag: 'v1', manifest_digest: digest }],
          ['delete_manifest', 'user', 'alice', 'alice', '127.0.0.1', { manifest_digest: digest }],
          ['delete_blob', 'user', 'alice', 'alice', '127.0.0.1', { digest: sha256(layer) }],
        ],
      );
      const robotRows = await metadata.stores.audit.list({ repository: 'acme/robot-basic', n: 20 });
      assert.deepEqual(robotRows.map((r) => [r.kind, r.performer.kind, r.performer.name]).reverse(), [
        ['create_repo', 'robot', 'acme+ci'],
        ['push_repo', 'robot', 'acme+ci'],
        ['delete_tag', 'robot', 'acme+ci'],
      ]);
    });

    test('/api/v1 takes API tokens as Bearer and passwords as Basic; wrong ones are 401 invalid_token', async () => {
      const token = generateToken();
      await metadata.stores.apiTokens.create({ userId: ids.alice, title: 'test', tokenHash: tokenHash(token) });
      const me = await http(base, 'GET', '/api/v1/user/', { headers: { authorization: bearer(token) } });
      assert.equal(me.status, 200, me.body.toString());
      assert.equal(me.json<{ username: string }>().username, 'alice');
      assert.equal((await http(base, 'GET', '/api/v1/user/', { headers: { authorization: as.bob() } })).json<{ username: string }>().username, 'bob');
      for (const authorization of [bearer('not-a-token'), basic('alice', 'wrong-password'), 'Digest abc']) {
        const res = await http(base, 'GET', '/api/v1/discovery', { headers: { authorization } });
        assert.equal(res.status, 401, authorization);
        assert.equal(res.json<{ error_type: string }>().error_type, 'invalid_token');
      }
      assert.equal((await http(base, 'GET', '/api/v1/discovery')).status, 200, 'anonymous callers reach `anyone` routes');
      assert.equal((await http(base, 'GET', '/api/v1/user/')).status, 401);
      // A registry token is no API token.
      assert.equal((await http(base, 'GET', '/api/v1/user/', { headers: { authorization: await bearerFor(base, [], as.alice()) } })).status, 401);
    });

    test('with FEATURE_ANONYMOUS_ACCESS off, anonymous callers get no token and no public pulls', async () => {
      const closed = await startTestRegistry({
        dialect,
        reuse: { dataDir: registry!.dataDir, config: { ...registry!.config, access: { ...registry!.config.access, anonymousAccess: false } } },
      });
      try {
        const closedBase = closed!.url;
        const token = await requestToken(closedBase, ['repository:alice/public:pull']);
        assert.equal(token.status, 401);
        assert.equal(token.code, 'UNAUTHORIZED');
        const pull = await http(closedBase, 'GET', '/v2/alice/public/manifests/v1');
        assert.equal(pull.status, 401);
        assert.match(pull.headers['www-authenticate'] ?? '', /scope="repository:alice\/public:pull"$/);
        assert.equal((await http(closedBase, 'GET', '/v2/_catalog')).status, 401);
        assert.deepEqual(await grantedAccess(closedBase, ['repository:alice/public:pull'], as.bob()), [{ type: 'repository', name: 'alice/public', actions: ['pull'] }], 'users still pull public repositories');
      } finally {
        await closed?.stop();
      }
    });

    test('behind a trusted proxy (loopback by default) failures count per X-Forwarded-For client, not per proxy', async () => {
      const from = (ip: string, authorization: string) => http(base, 'GET', '/v2/', { headers: { authorization, 'x-forwarded-for': ip } });
      for (let i = 1; i <= 5; i++) assert.equal((await from('203.0.113.7', basic('alice', `wrong-${i}`))).status, 401, `attempt ${i}`);
      assert.equal((await from('203.0.113.7', as.alice())).status, 429, 'the failing client is slowed down');
      assert.equal((await from('203.0.113.8', as.alice())).status, 200, 'another client behind the same proxy is not');
    });

    // Last: it locks 127.0.0.1 out for a moment.
    test('the 6th failed login in a row from one address is 429 TOOMANYREQUESTS with Retry-After', async () => {
      assert.equal((await http(base, 'GET', '/v2/', { headers: { authorization: as.alice() } })).status, 200, 'a success starts the count afresh');
      for (let i = 1; i <= 5; i++) {
        const res = await http(base, 'GET', '/v2/', { headers: { authorization: basic('alice', `wrong-${i}`) } });
        assert.equal(res.status, 401, `attempt ${i}`);
      }
      const throttled = await http(base, 'GET', '/v2/', { headers: { authorization: as.alice() } });
      assert.equal(throttled.status, 429);
      assert.equal(throttled.code, 'TOOMANYREQUESTS');
      const wait = Number(throttled.headers['retry-after']);
      assert.ok(wait >= 1 && wait <= 60, throttled.headers['retry-after']);
      const tokenThrottled = await requestToken(base, [], as.alice());
      assert.equal(tokenThrottled.status, 429, 'the token endpoint is throttled too');
      await new Promise((r) => setTimeout(r, wait * 1000 + 100));
      assert.equal((await http(base, 'GET', '/v2/', { headers: { authorization: as.alice() } })).status, 200, 'after the wait the right password works');
    });
  });

  describe(`registry audit in Open mode on ${dialect}`, () => {
    let registry: TestRegistry | undefined;
    before(async () => {
      registry = await startTestRegistry({ dialect });
    });
    after(async () => registry?.destroy());

    it('a push is recorded with an anonymous performer', async (t) => {
      if (!registry) return t.skip(POSTGRES_SKIP_MESSAGE);
      const { res, digest } = await pushImageAs(registry.url, 'open/app', 'v1', 'open', undefined);
      assert.equal(res.status, 201);
      const rows = (await registry.app.metadata.stores.audit.list({ repository: 'open/app', n: 10 })).reverse();
      assert.deepEqual(
        rows.map((r) => [r.kind, r.performer, r.ip, r.metadata]),
        [
          ['create_repo', { kind: 'anonymous', name: undefined }, '127.0.0.1', {}],
          ['push_repo', { kind: 'anonymous', name: undefined }, '127.0.0.1', { tag: 'v1', manifest_digest: digest }],
        ],
      );
      assert.equal((await http(registry.url, 'GET', '/v2/auth')).status, 404, 'no token endpoint without access control');
    });
  });
}
