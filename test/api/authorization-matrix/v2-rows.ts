/**
 * The /v2 half of the matrix: every endpoint of the OCI distribution API (paths.ts resources ×
 * the methods the router serves; the token endpoint is in token-rows.ts), against a private
 * repository, a public one, one shared with a team, and a user's own namespace, with the
 * outcome the access rules give each principal. `GET /v2/` answers any valid token, an
 * anonymous one too (what `docker login` needs is the 401 without credentials).
 *
 * The rules, as they apply here (src/auth/authorizer.ts):
 * - acme/private: orgadmin (admin team) is admin, the robot has write, root is superuser;
 *   outsider, member (member team: nothing implicit) and creator (creator team: only the
 *   repositories it creates) have no role, so they are DENIED (403) and anonymous is
 *   UNAUTHORIZED (401, with a challenge).
 * - acme/shared: private, team readers holds read on it, so member may pull (and only pull).
 * - acme/public: everyone may pull, anonymous too (FEATURE_ANONYMOUS_ACCESS on); only
 *   orgadmin and root may write (the robot's grant is on acme/private only).
 * - outsider/own: outsider is admin of its own namespace; nobody else but root has a role.
 * - a push to a repository that does not exist creates it for those who may create
 *   repositories in the namespace: creator and admin teams, the namespace's own user, root.
 * - read → pull; write → pull, push, delete (upload sessions need push, as pushing does).
 *
 * Every write is valid (real bytes, real digests) so that an allowed status means the
 * operation happened, and each attempt gets its own fresh tag, manifest, blob or session.
 */
import assert from 'node:assert/strict';
import { imageManifest, sha256 } from '../../support/http.js';
import { CATALOG, type Fixture, FIXTURE_REPOSITORIES, OCI_MANIFEST, OWN, PRIVATE, PUBLIC, pull, push, remove, SHARED } from './fixture.js';
import type { Outcomes, PrincipalName } from './principals.js';
import type { Attempt, MatrixRow } from './row.js';

export type Prepare = (fx: Fixture, who: PrincipalName) => Promise<Attempt>;

export function v2(method: string, path: string, target: string, expect: Outcomes, prepare: Prepare, options: { basic?: boolean } = {}): MatrixRow {
  return { surface: 'v2', method, path, target: options.basic ? `${target} (Basic)` : target, expect, prepare, ...options };
}

/** A unique small blob (its bytes name the case). */
function freshBlob(fx: Fixture, label: string): Buffer {
  return Buffer.from(`blob ${fx.fresh(label)}`);
}

/** The repositories each principal may pull, among the fixture's (what the catalog must show). */
export const PULLABLE: Readonly<Record<PrincipalName, readonly string[]>> = {
  anonymous: [PUBLIC],
  user: [PUBLIC, OWN],
  member: [PUBLIC, SHARED],
  creator: [PUBLIC],
  orgAdmin: [PRIVATE, PUBLIC, SHARED],
  robot: [PRIVATE, PUBLIC],
  superuser: [PRIVATE, PUBLIC, SHARED, OWN],
};

export const base: Prepare = async () => ({
  call: { method: 'GET', path: '/v2/' },
  check: async (res, allowed) => {
    if (allowed) assert.equal(res.headers['docker-distribution-api-version'], 'registry/2.0');
  },
});

export const catalog: Prepare = async (_fx, who) => ({
  call: { method: 'GET', path: '/v2/_catalog?n=10000' },
  scopes: [CATALOG],
  check: async (res, allowed) => {
    if (!allowed) return;
    const listed = res.json<{ repositories: string[] }>().repositories.filter((name) => FIXTURE_REPOSITORIES.includes(name));
    assert.deepEqual(listed, [...PULLABLE[who]].sort(), `the catalog shows ${who} exactly what it may pull`);
  },
});

export const tagsList =
  (name: string): Prepare =>
  async () => ({
    call: { method: 'GET', path: `/v2/${name}/tags/list` },
    scopes: [pull(name)],
    check: async (res, allowed) => {
      if (allowed) assert.ok(res.json<{ tags: string[] }>().tags.includes('v1'));
    },
  });

export const getManifest =
  (name: string, method: 'GET' | 'HEAD'): Prepare =>
  async (fx) => ({
    call: { method, path: `/v2/${name}/manifests/v1`, headers: { accept: OCI_MANIFEST } },
    scopes: [pull(name)],
    check: async (res, allowed) => {
      if (allowed) assert.equal(res.headers['docker-content-digest'], fx.image.manifestDigest);
    },
  });

/** Tags the fixture image (already in the repository) with a fresh tag. */
const putManifest =
  (name: string): Prepare =>
  async (fx) => {
    const tag = fx.fresh('put');
    return {
      call: { method: 'PUT', path: `/v2/${name}/manifests/${tag}`, body: fx.image.manifest, headers: { 'content-type': OCI_MANIFEST } },
      scopes: [push(name)],
      check: async (_res, allowed) => assert.equal(await fx.tagTarget(name, tag), allowed ? fx.image.manifestDigest : undefined),
    };
  };

/** Deletes, by digest, a manifest root pushed for this attempt only. */
const deleteManifest =
  (name: string): Prepare =>
  async (fx) => {
    const { digest } = await fx.pushFreshManifest(name);
    return {
      call: { method: 'DELETE', path: `/v2/${name}/manifests/${digest}` },
      scopes: [remove(name)],
      check: async (_res, allowed) => assert.equal(await fx.hasManifest(name, digest), !allowed),
    };
  };

export const getBlob =
  (name: string, method: 'GET' | 'HEAD'): Prepare =>
  async (fx) => ({
    call: { method, path: `/v2/${name}/blobs/${fx.image.layerDigest}` },
    scopes: [pull(name)],
    check: async (res, allowed) => {
      if (allowed && method === 'GET') assert.deepEqual(res.body, fx.image.layer);
    },
  });

const deleteBlob =
  (name: string): Prepare =>
  async (fx) => {
    const digest = await fx.pushBlob(name, freshBlob(fx, 'del'));
    return {
      call: { method: 'DELETE', path: `/v2/${name}/blobs/${digest}` },
      scopes: [remove(name)],
      check: async (_res, allowed) => assert.equal(await fx.hasBlob(name, digest), !allowed),
    };
  };

const startUpload =
  (name: string): Prepare =>
  async () => ({
    call: { method: 'POST', path: `/v2/${name}/blobs/uploads/` },
    scopes: [push(name)],
    check: async (res, allowed) => {
      if (allowed) assert.match(res.headers['location'] ?? '', /\/blobs\/uploads\/[^/]+$/);
    },
  });

/** A whole blob in one POST (`?digest=`); with `followUp`, the pusher then completes an image push. */
const monolithicUpload =
  (name: (fx: Fixture) => string, followUp = false): Prepare =>
  async (fx, who) => {
    const repository = name(fx);
    const data = freshBlob(fx, 'mono');
    const digest = sha256(data);
    return {
      call: { method: 'POST', path: `/v2/${repository}/blobs/uploads/?digest=${digest}`, body: data, headers: { 'content-type': 'application/octet-stream' } },
      scopes: [push(repository)],
      check: async (_res, allowed) => {
        assert.equal(await fx.hasBlob(repository, digest), allowed);
        if (!followUp) return;
        if (!allowed) {
          // A refused push to a missing repository must not leave an empty one behind.
          assert.equal(await fx.stores.repositories.find(repository), undefined, `a refused push created ${repository}`);
          return;
        }
        // Whoever created the repository may finish the push and pull it back (creators become its admin).
        const scopes = [push(repository)];
        const blobs = [fx.image.config, fx.image.layer];
        for (const blob of blobs) {
          const put = await fx.client.v2(who, { method: 'POST', path: `/v2/${repository}/blobs/uploads/?digest=${sha256(blob)}`, body: blob, headers: { 'content-type': 'application/octet-stream' } }, scopes);
          assert.equal(put.status, 201, `${who} continues its push into ${repository}`);
        }
        const manifest = imageManifest(fx.image.config, [fx.image.layer]);
        const res = await fx.client.v2(who, { method: 'PUT', path: `/v2/${repository}/manifests/latest`, body: manifest, headers: { 'content-type': OCI_MANIFEST } }, scopes);
        assert.equal(res.status, 201, `${who} pushes the manifest into the repository it created`);
        const back = await fx.client.v2(who, { method: 'GET', path: `/v2/${repository}/manifests/latest`, headers: { accept: OCI_MANIFEST } }, [pull(repository)]);
        assert.equal(back.status, 200, `${who} pulls the repository it created`);
        const detail = await fx.stores.repositoryAdmin.findDetail(repository);
        assert.equal(detail?.visibility, 'private', 'a repository created by a push starts private');
      },
    };
  };

const patchUpload =
  (name: string): Prepare =>
  async (fx) => {
    const session = await fx.startUpload(name);
    const chunk = freshBlob(fx, 'chunk');
    return {
      call: { method: 'PATCH', path: session, body: chunk, headers: { 'content-type': 'application/octet-stream', 'content-range': `0-${chunk.length - 1}` } },
      scopes: [push(name)],
      check: async (res, allowed) => {
        if (allowed) assert.equal(res.headers['range'], `0-${chunk.length - 1}`);
        else assert.equal((await fx.stores.uploads.find(sessionId(session)))?.offset, 0, 'a refused PATCH wrote nothing');
      },
    };
  };

const completeUpload =
  (name: string): Prepare =>
  async (fx) => {
    const session = await fx.startUpload(name);
    const data = freshBlob(fx, 'put');
    const digest = sha256(data);
    return {
      call: { method: 'PUT', path: `${session}?digest=${digest}`, body: data, headers: { 'content-type': 'application/octet-stream' } },
      scopes: [push(name)],
      check: async (_res, allowed) => assert.equal(await fx.hasBlob(name, digest), allowed),
    };
  };

const uploadStatus =
  (name: string): Prepare =>
  async (fx) => {
    const session = await fx.startUpload(name);
    return {
      call: { method: 'GET', path: session },
      scopes: [push(name)],
      check: async (res, allowed) => {
        if (allowed) assert.equal(res.headers['docker-upload-uuid'], sessionId(session));
      },
    };
  };

const cancelUpload =
  (name: string): Prepare =>
  async (fx) => {
    const session = await fx.startUpload(name);
    return {
      call: { method: 'DELETE', path: session },
      scopes: [push(name)],
      check: async (_res, allowed) => assert.equal((await fx.stores.uploads.find(sessionId(session))) === undefined, allowed),
    };
  };

/**
 * Mounts a blob root put in `from` (only there) into `into`. The source needs pull, the target
 * push; when the source is not readable the registry must not mount it but open an ordinary
 * upload session instead (202), so a private blob never leaks into another repository.
 */
const mount =
  (from: string, into: string): Prepare =>
  async (fx) => {
    const digest = await fx.pushBlob(from, freshBlob(fx, 'mount'));
    return {
      call: { method: 'POST', path: `/v2/${into}/blobs/uploads/?mount=${digest}&from=${from}` },
      scopes: [push(into), pull(from)],
      check: async (res) => assert.equal(await fx.hasBlob(into, digest), res.status === 201, 'the blob is linked exactly when the mount answered 201'),
    };
  };

const referrers =
  (name: string): Prepare =>
  async (fx) => ({
    call: { method: 'GET', path: `/v2/${name}/referrers/${fx.image.manifestDigest}` },
    scopes: [pull(name)],
    check: async (res, allowed) => {
      if (allowed) assert.equal(res.json<{ schemaVersion: number }>().schemaVersion, 2);
    },
  });

/** The same attempt as HEAD (the router answers HEAD wherever it answers GET), without the body checks. */
function head(prepare: Prepare): Prepare {
  return async (fx, who) => {
    const attempt = await prepare(fx, who);
    return { call: { ...attempt.call, method: 'HEAD' }, ...(attempt.scopes ? { scopes: attempt.scopes } : {}) };
  };
}

function sessionId(sessionPath: string): string {
  return sessionPath.slice(sessionPath.lastIndexOf('/') + 1);
}

const newAcmeRepository = (fx: Fixture): string => `acme/${fx.fresh('new')}`;
const newOutsiderRepository = (fx: Fixture): string => `outsider/${fx.fresh('new')}`;
const newGhostRepository = (fx: Fixture): string => `${fx.fresh('ghost')}/app`;

export const V2_ROWS: readonly MatrixRow[] = [
  //                                                                                              anon user member creator orgadmin robot super
  v2('GET', '/v2/', 'any token (anonymous too)',                                                 [200, 200, 200, 200, 200, 200, 200], base),
  v2('GET', '/v2/', 'no token',                                                                  [401, 200, 200, 200, 200, 200, 200], base, { basic: true }),
  v2('HEAD', '/v2/', 'any token (anonymous too)',                                                [200, 200, 200, 200, 200, 200, 200], head(base)),
  v2('GET', '/v2/_catalog', 'filtered to what each one may pull',                                [200, 200, 200, 200, 200, 200, 200], catalog),
  v2('HEAD', '/v2/_catalog', 'filtered to what each one may pull',                               [200, 200, 200, 200, 200, 200, 200], head(catalog)),
  v2('GET', '/v2/{name}/tags/list', PRIVATE,                                                     [401, 403, 403, 403, 200, 200, 200], tagsList(PRIVATE)),
  v2('GET', '/v2/{name}/tags/list', PUBLIC,                                                      [200, 200, 200, 200, 200, 200, 200], tagsList(PUBLIC)),
  v2('HEAD', '/v2/{name}/tags/list', PRIVATE,                                                    [401, 403, 403, 403, 200, 200, 200], head(tagsList(PRIVATE))),
  v2('GET', '/v2/{name}/tags/list', `${SHARED} (readers team: read)`,                            [401, 403, 200, 403, 200, 403, 200], tagsList(SHARED)),
  v2('GET', '/v2/{name}/tags/list', OWN,                                                         [401, 200, 403, 403, 403, 403, 200], tagsList(OWN)),
  v2('GET', '/v2/{name}/manifests/{reference}', PRIVATE,                                         [401, 403, 403, 403, 200, 200, 200], getManifest(PRIVATE, 'GET')),
  v2('HEAD', '/v2/{name}/manifests/{reference}', PRIVATE,                                        [401, 403, 403, 403, 200, 200, 200], getManifest(PRIVATE, 'HEAD')),
  v2('GET', '/v2/{name}/manifests/{reference}', PUBLIC,                                          [200, 200, 200, 200, 200, 200, 200], getManifest(PUBLIC, 'GET')),
  v2('HEAD', '/v2/{name}/manifests/{reference}', PUBLIC,                                         [200, 200, 200, 200, 200, 200, 200], getManifest(PUBLIC, 'HEAD')),
  v2('GET', '/v2/{name}/manifests/{reference}', `${SHARED} (readers team: read)`,                [401, 403, 200, 403, 200, 403, 200], getManifest(SHARED, 'GET')),
  v2('GET', '/v2/{name}/manifests/{reference}', OWN,                                             [401, 200, 403, 403, 403, 403, 200], getManifest(OWN, 'GET')),
  v2('PUT', '/v2/{name}/manifests/{reference}', `${PRIVATE}, fresh tag`,                         [401, 403, 403, 403, 201, 201, 201], putManifest(PRIVATE)),
  v2('PUT', '/v2/{name}/manifests/{reference}', `${PUBLIC}, fresh tag`,                          [401, 403, 403, 403, 201, 403, 201], putManifest(PUBLIC)),
  v2('PUT', '/v2/{name}/manifests/{reference}', `${SHARED}, fresh tag (read is not enough)`,     [401, 403, 403, 403, 201, 403, 201], putManifest(SHARED)),
  v2('PUT', '/v2/{name}/manifests/{reference}', `${OWN}, fresh tag`,                             [401, 201, 403, 403, 403, 403, 201], putManifest(OWN)),
  v2('DELETE', '/v2/{name}/manifests/{reference}', `${PRIVATE}, fresh manifest`,                 [401, 403, 403, 403, 202, 202, 202], deleteManifest(PRIVATE)),
  v2('DELETE', '/v2/{name}/manifests/{reference}', `${PUBLIC}, fresh manifest`,                  [401, 403, 403, 403, 202, 403, 202], deleteManifest(PUBLIC)),
  v2('GET', '/v2/{name}/blobs/{digest}', PRIVATE,                                                [401, 403, 403, 403, 200, 200, 200], getBlob(PRIVATE, 'GET')),
  v2('HEAD', '/v2/{name}/blobs/{digest}', PRIVATE,                                               [401, 403, 403, 403, 200, 200, 200], getBlob(PRIVATE, 'HEAD')),
  v2('GET', '/v2/{name}/blobs/{digest}', `${SHARED} (readers team: read)`,                       [401, 403, 200, 403, 200, 403, 200], getBlob(SHARED, 'GET')),
  v2('GET', '/v2/{name}/blobs/{digest}', PUBLIC,                                                 [200, 200, 200, 200, 200, 200, 200], getBlob(PUBLIC, 'GET')),
  v2('HEAD', '/v2/{name}/blobs/{digest}', PUBLIC,                                                [200, 200, 200, 200, 200, 200, 200], getBlob(PUBLIC, 'HEAD')),
  v2('DELETE', '/v2/{name}/blobs/{digest}', `${PRIVATE}, fresh blob`,                            [401, 403, 403, 403, 202, 202, 202], deleteBlob(PRIVATE)),
  v2('DELETE', '/v2/{name}/blobs/{digest}', `${PUBLIC}, fresh blob`,                             [401, 403, 403, 403, 202, 403, 202], deleteBlob(PUBLIC)),
  v2('POST', '/v2/{name}/blobs/uploads/', `${PRIVATE}, session`,                                 [401, 403, 403, 403, 202, 202, 202], startUpload(PRIVATE)),
  v2('POST', '/v2/{name}/blobs/uploads/', `${PUBLIC}, session`,                                  [401, 403, 403, 403, 202, 403, 202], startUpload(PUBLIC)),
  v2('POST', '/v2/{name}/blobs/uploads/', `${PRIVATE}, ?digest= (monolithic)`,                   [401, 403, 403, 403, 201, 201, 201], monolithicUpload(() => PRIVATE)),
  v2('POST', '/v2/{name}/blobs/uploads/', 'new acme/* repository (push creates it)',             [401, 403, 403, 201, 201, 403, 201], monolithicUpload(newAcmeRepository, true)),
  v2('POST', '/v2/{name}/blobs/uploads/', 'new outsider/* repository (push creates it)',         [401, 201, 403, 403, 403, 403, 201], monolithicUpload(newOutsiderRepository, true)),
  v2('POST', '/v2/{name}/blobs/uploads/', 'new repository, namespace does not exist',            [401, 403, 403, 403, 403, 403, 403], monolithicUpload(newGhostRepository, true)),
  v2('POST', '/v2/{name}/blobs/uploads/', `mount ${PUBLIC} → ${PRIVATE}`,                        [401, 403, 403, 403, 201, 201, 201], mount(PUBLIC, PRIVATE)),
  v2('POST', '/v2/{name}/blobs/uploads/', `mount ${PRIVATE} → ${OWN} (source unreadable: 202)`,  [401, 202, 403, 403, 403, 403, 201], mount(PRIVATE, OWN)),
  v2('PATCH', '/v2/{name}/blobs/uploads/{uuid}', `${PRIVATE}, root's session`,                   [401, 403, 403, 403, 202, 202, 202], patchUpload(PRIVATE)),
  v2('PUT', '/v2/{name}/blobs/uploads/{uuid}', `${PRIVATE}, root's session`,                     [401, 403, 403, 403, 201, 201, 201], completeUpload(PRIVATE)),
  v2('GET', '/v2/{name}/blobs/uploads/{uuid}', `${PRIVATE}, root's session`,                     [401, 403, 403, 403, 204, 204, 204], uploadStatus(PRIVATE)),
  v2('GET', '/v2/{name}/blobs/uploads/{uuid}', `${PUBLIC}, root's session (pull is not enough)`, [401, 403, 403, 403, 204, 403, 204], uploadStatus(PUBLIC)),
  v2('HEAD', '/v2/{name}/blobs/uploads/{uuid}', `${PRIVATE}, root's session`,                    [401, 403, 403, 403, 204, 204, 204], head(uploadStatus(PRIVATE))),
  v2('DELETE', '/v2/{name}/blobs/uploads/{uuid}', `${PRIVATE}, root's session`,                  [401, 403, 403, 403, 204, 204, 204], cancelUpload(PRIVATE)),
  v2('GET', '/v2/{name}/referrers/{digest}', PRIVATE,                                            [401, 403, 403, 403, 200, 200, 200], referrers(PRIVATE)),
  v2('HEAD', '/v2/{name}/referrers/{digest}', PRIVATE,                                           [401, 403, 403, 403, 200, 200, 200], head(referrers(PRIVATE))),
  v2('GET', '/v2/{name}/referrers/{digest}', PUBLIC,                                             [200, 200, 200, 200, 200, 200, 200], referrers(PUBLIC)),
  // Basic credentials straight on /v2 (no token), as some clients send them.
  v2('GET', '/v2/{name}/tags/list', PRIVATE,                                                     [401, 403, 403, 403, 200, 200, 200], tagsList(PRIVATE), { basic: true }),
  v2('GET', '/v2/{name}/blobs/{digest}', PUBLIC,                                                 [200, 200, 200, 200, 200, 200, 200], getBlob(PUBLIC, 'GET'), { basic: true }),
  v2('PUT', '/v2/{name}/manifests/{reference}', `${PRIVATE}, fresh tag`,                         [401, 403, 403, 403, 201, 201, 201], putManifest(PRIVATE), { basic: true }),
  v2('DELETE', '/v2/{name}/manifests/{reference}', `${PRIVATE}, fresh manifest`,                 [401, 403, 403, 403, 202, 202, 202], deleteManifest(PRIVATE), { basic: true }),
  v2('POST', '/v2/{name}/blobs/uploads/', 'new acme/* repository (push creates it)',             [401, 403, 403, 201, 201, 403, 201], monolithicUpload(newAcmeRepository, true), { basic: true }),
];

/** The /v2 endpoints (method + path) the server answers, the token endpoint included; each needs a row here or in token-rows.ts. */
export const V2_ENDPOINTS: readonly string[] = [
  'GET /v2/',
  'HEAD /v2/',
  'GET /v2/_catalog',
  'HEAD /v2/_catalog',
  'GET /v2/{name}/tags/list',
  'HEAD /v2/{name}/tags/list',
  'GET /v2/{name}/manifests/{reference}',
  'HEAD /v2/{name}/manifests/{reference}',
  'PUT /v2/{name}/manifests/{reference}',
  'DELETE /v2/{name}/manifests/{reference}',
  'GET /v2/{name}/blobs/{digest}',
  'HEAD /v2/{name}/blobs/{digest}',
  'DELETE /v2/{name}/blobs/{digest}',
  'POST /v2/{name}/blobs/uploads/',
  'PATCH /v2/{name}/blobs/uploads/{uuid}',
  'PUT /v2/{name}/blobs/uploads/{uuid}',
  'GET /v2/{name}/blobs/uploads/{uuid}',
  'HEAD /v2/{name}/blobs/uploads/{uuid}',
  'DELETE /v2/{name}/blobs/uploads/{uuid}',
  'GET /v2/{name}/referrers/{digest}',
  'HEAD /v2/{name}/referrers/{digest}',
  'GET /v2/auth',
  'POST /v2/auth',
];
