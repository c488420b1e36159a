import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { base64url, decodeJwt, decodeProtectedHeader, SignJWT, type JWTPayload } from 'jose';
import type { MetadataStore } from '../metadata/store.js';
import { forEachDialect, type OpenedMetadata } from '../../test/support/metadata.js';
import type { Principal, ResourceAccess } from './principal.js';
import { RegistryTokens, TokenError, type TokenErrorReason } from './registry-tokens.js';
import { generateSigningKey, type SigningKey } from './signing-key.js';

const SERVICE = 'registry.example.com';
const USER: Principal = { kind: 'user', id: 7, name: 'alice', superuser: false };
const ACCESS: ResourceAccess[] = [{ type: 'repository', name: 'acme/web', actions: ['pull', 'push'] }];

async function rejects(promise: Promise<unknown>, reason: TokenErrorReason): Promise<void> {
  await assert.rejects(promise, (err) => {
    assert.ok(err instanceof TokenError, `expected a TokenError, got ${String(err)}`);
    assert.equal(err.reason, reason);
    return true;
  });
}

/** A token signed with `key` but with claims of the test's choosing (what a buggy or hostile issuer could produce). */
function forge(key: SigningKey, claims: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: 'wharf', sub: 'alice', aud: SERVICE, iat: now, nbf: now, exp: now + 300, access: [], wharf: { kind: 'user', id: 7, superuser: false }, ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, ...header })
    .sign(key.privateKey);
}

/** Replaces the payload of a signed token, keeping its header and signature. */
function withPayload(token: string, change: (claims: Record<string, unknown>) => void): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as Record<string, unknown>;
  change(claims);
  return [header, base64url.encode(JSON.stringify(claims)), signature].join('.');
}

await forEachDialect((dialect, open) => {
  describe(`RegistryTokens on ${dialect}`, () => {
    let db: OpenedMetadata;
    let store: MetadataStore;
    let key: SigningKey;
    let tokens: RegistryTokens;
    beforeEach(async () => {
      db = await open();
      store = db.store;
      key = await generateSigningKey();
      tokens = new RegistryTokens({ key, keys: store.stores.serviceKeys });
      await tokens.publish();
    });
    afterEach(() => db.close());

    it('issues a Docker token whose claims verify back to the same principal and access', async () => {
      const before = Math.floor(Date.now() / 1000);
      const issued = await tokens.issue(USER, SERVICE, ACCESS);
      assert.equal(issued.expiresIn, 300);
      assert.ok(Math.abs(Date.parse(issued.issuedAt) / 1000 - before) <= 1);
      assert.deepEqual(decodeProtectedHeader(issued.token), { alg: 'ES256', kid: key.kid, typ: 'JWT' });
      const claims = decodeJwt(issued.token);
      assert.equal(claims.iss, 'wharf');
      assert.equal(claims.sub, 'alice');
      assert.equal(claims.aud, SERVICE);
      assert.equal(claims.exp! - claims.iat!, 300);
      assert.equal(claims.nbf, claims.iat);
      assert.match(String(claims.jti), /^[0-9a-f-]{36}$/);
      assert.deepEqual(claims.access, ACCESS);
      assert.deepEqual(await tokens.verify(issued.token, SERVICE), { principal: USER, access: ACCESS, expiresAt: claims.exp! * 1000 });
      assert.notEqual(decodeJwt((await tokens.issue(USER, SERVICE, ACCESS)).token).jti, claims.jti, 'every token has its own jti');
    });

    it('rebuilds robots, superusers and anonymous principals', async () => {
      const principals: Principal[] = [
        { kind: 'robot', id: 3, name: 'acme+ci', namespaceId: 2 },
        { kind: 'user', id: 1, name: 'root', superuser: true },
        { kind: 'anonymous' },
      ];
      for (const principal of principals) {
        const { token } = await tokens.issue(principal, SERVICE, []);
        assert.deepEqual((await tokens.verify(token, SERVICE)).principal, principal);
      }
      assert.equal(decodeJwt((await tokens.issue({ kind: 'anonymous' }, SERVICE, [])).token).sub, '');
    });

    it('verifies tokens of another instance through its published key, and only once it is published', async () => {
      const otherKey = await generateSigningKey();
      const other = new RegistryTokens({ key: otherKey, keys: store.stores.serviceKeys });
      const { token } = await other.issue(USER, SERVICE, ACCESS);
      await rejects(tokens.verify(token, SERVICE), 'unknown-key');
      await other.publish();
      assert.deepEqual(await store.stores.serviceKeys.find(otherKey.kid).then((row) => row?.jwk.kid), otherKey.kid);
      // A fresh verifier (the unknown kid above is remembered for a few seconds by `tokens`).
      const third = new RegistryTokens({ key: await generateSigningKey(), keys: store.stores.serviceKeys });
      assert.deepEqual(await third.verify(token, SERVICE), { principal: USER, access: ACCESS, expiresAt: decodeJwt(token).exp! * 1000 });
      // And the other way round: the other instance verifies ours.
      const ours = await tokens.issue(USER, SERVICE, ACCESS);
      assert.deepEqual((await other.verify(ours.token, SERVICE)).principal, USER);
    });

    it('refuses expired tokens, allowing 30 s of clock skew', async () => {
      const now = Math.floor(Date.now() / 1000);
      await rejects(tokens.verify(await forge(key, { iat: now - 400, nbf: now - 400, exp: now - 60 }), SERVICE), 'expired');
      assert.ok(await tokens.verify(await forge(key, { iat: now - 310, nbf: now - 310, exp: now - 10 }), SERVICE));
      await rejects(tokens.verify(await forge(key, { iat: now + 120, nbf: now + 120, exp: now + 420 }), SERVICE), 'not-yet-valid');
    });

    it('refuses a changed payload and a changed signature', async () => {
      const { token } = await tokens.issue(USER, SERVICE, ACCESS);
      const promoted = withPayload(token, (claims) => ((claims.wharf as Record<string, unknown>).superuser = true));
      await rejects(tokens.verify(promoted, SERVICE), 'bad-signature');
      const widened = withPayload(token, (claims) => (claims.access = [{ type: 'repository', name: 'acme/other', actions: ['push'] }]));
      await rejects(tokens.verify(widened, SERVICE), 'bad-signature');
      const [header, payload, signature] = token.split('.') as [string, string, string];
      const bytes = base64url.decode(signature);
      bytes[10]! ^= 0x01;
      await rejects(tokens.verify([header, payload, base64url.encode(bytes)].join('.'), SERVICE), 'bad-signature');
    });

    it('refuses tokens for another service or from another issuer', async () => {
      const { token } = await tokens.issue(USER, SERVICE, ACCESS);
      await rejects(tokens.verify(token, 'other.example.com'), 'wrong-audience');
      await rejects(tokens.verify(await forge(key, { iss: 'quay' }), SERVICE), 'wrong-issuer');
    });

    it('refuses unsigned tokens and other algorithms', async () => {
      const { token } = await tokens.issue(USER, SERVICE, ACCESS);
      const payload = token.split('.')[1]!;
      const none = `${base64url.encode(JSON.stringify({ alg: 'none', kid: key.kid }))}.${payload}.`;
      await rejects(tokens.verify(none, SERVICE), 'algorithm');
      // Algorithm confusion: HMAC keyed with the (public) JWK must not pass as ES256.
      const hmac = await new SignJWT(decodeJwt(token))
        .setProtectedHeader({ alg: 'HS256', kid: key.kid })
        .sign(new TextEncoder().encode(JSON.stringify(key.publicJwk)));
      await rejects(tokens.verify(hmac, SERVICE), 'algorithm');
    });

    it('refuses tokens with no kid, an unknown kid, junk, or claims that do not describe a principal', async () => {
      await rejects(tokens.verify(await forge(key, {}, { kid: undefined }), SERVICE), 'unknown-key');
      const stranger = await generateSigningKey();
      await rejects(tokens.verify(await forge(stranger, {}), SERVICE), 'unknown-key');
      await rejects(tokens.verify('not-a-token', SERVICE), 'malformed');
      await rejects(tokens.verify('a.b.c', SERVICE), 'malformed');
      await rejects(tokens.verify(await forge(key, { wharf: undefined }), SERVICE), 'bad-claims');
      await rejects(tokens.verify(await forge(key, { wharf: { kind: 'user', id: '7', superuser: true } }), SERVICE), 'bad-claims');
      await rejects(tokens.verify(await forge(key, { access: 'everything' }), SERVICE), 'bad-claims');
    });

    it('honours a configured lifetime', async () => {
      const short = new RegistryTokens({ key, keys: store.stores.serviceKeys, lifetimeSeconds: 60 });
      const issued = await short.issue(USER, SERVICE, []);
      const claims = decodeJwt(issued.token);
      assert.equal(issued.expiresIn, 60);
      assert.equal(claims.exp! - claims.iat!, 60);
    });
  });
});
