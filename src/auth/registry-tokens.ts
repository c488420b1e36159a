/**
 * Docker registry bearer tokens (the `/v2/token` protocol): short-lived ES256 JWTs that carry
 * the granted `access` entries and enough about the principal to rebuild it without a database
 * read on every registry request. Every instance signs with its own key (signing-key.ts) and
 * finds other instances' public keys, by `kid`, in ServiceKeyStore.
 *
 * Claims: iss `wharf`; sub the user name or robot full name (`''` when anonymous); aud the
 * service; iat, nbf, exp; jti; `access` (Docker's claim); `wharf` (ours) = { kind, id,
 * superuser | namespace_id }. A superuser flag inside a token outlives a demotion by at most the
 * token lifetime (5 minutes), like every other grant in it.
 */
import { randomUUID } from 'node:crypto';
import { errors as jose, importJWK, jwtVerify, SignJWT, type JWK, type JWTHeaderParameters } from 'jose';
import { z } from 'zod';
import type { ServiceKeyStore } from '../metadata/store.js';
import type { Principal, ResourceAccess } from './principal.js';
import { SIGNING_ALGORITHM, type SigningKey } from './signing-key.js';

export const TOKEN_ISSUER = 'wharf';
const DEFAULT_LIFETIME_SECONDS = 300;
/** Clock skew tolerated between the instance that issued a token and the one that checks it. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** Other instances' keys kept in memory (a key never changes under its kid). */
const KEY_CACHE_SIZE = 256;
/** An unknown kid is looked up again only after this, so junk tokens cannot hammer the database. */
const UNKNOWN_KID_RETRY_MS = 10_000;

export type TokenErrorReason =
  | 'malformed'
  | 'expired'
  | 'not-yet-valid'
  | 'bad-signature'
  | 'unknown-key'
  | 'algorithm'
  | 'wrong-audience'
  | 'wrong-issuer'
  | 'bad-claims';

/** The token cannot be trusted; `reason` says why (for logs; clients just get 401). */
export class TokenError extends Error {
  constructor(
    readonly reason: TokenErrorReason,
    message: string = reason,
  ) {
    super(message);
    this.name = 'TokenError';
  }
}

export interface IssuedToken {
  readonly token: string;
  /** Seconds (Docker's `expires_in`). */
  readonly expiresIn: number;
  /** ISO 8601 (Docker's `issued_at`). */
  readonly issuedAt: string;
}

export interface VerifiedToken {
  readonly principal: Principal;
  readonly access: readonly ResourceAccess[];
  /** The token's `exp`, in epoch milliseconds: a cache of this verification must end there. */
  readonly expiresAt: number;
}

const principalClaim = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('anonymous') }),
  z.object({ kind: z.literal('user'), id: z.number().int(), superuser: z.boolean() }),
  z.object({ kind: z.literal('robot'), id: z.number().int(), namespace_id: z.number().int() }),
]);
const claims = z.object({
  sub: z.string(),
  access: z.array(z.object({ type: z.string(), name: z.string(), actions: z.array(z.string()) })),
  wharf: principalClaim,
});

export class RegistryTokens {
  readonly #key: SigningKey;
  readonly #keys: ServiceKeyStore;
  readonly #lifetimeSeconds: number;
  readonly #ownPublicKey: Promise<CryptoKey>;
  readonly #knownKeys = new Map<string, CryptoKey>();
  readonly #unknownKids = new Map<string, number>();

  constructor(deps: { key: SigningKey; keys: ServiceKeyStore; lifetimeSeconds?: number }) {
    this.#key = deps.key;
    this.#keys = deps.keys;
    this.#lifetimeSeconds = deps.lifetimeSeconds ?? DEFAULT_LIFETIME_SECONDS;
    this.#ownPublicKey = importJWK(deps.key.publicJwk as JWK, SIGNING_ALGORITHM) as Promise<CryptoKey>;
    this.#ownPublicKey.catch(() => undefined); // surfaced by verify(); never an unhandled rejection
  }

  /** Publishes the instance's public key (call once at start, before issuing). */
  async publish(): Promise<void> {
    await this.#keys.publish(this.#key.kid, this.#key.publicJwk as Record<string, unknown>);
  }

  async issue(principal: Principal, service: string, access: readonly ResourceAccess[]): Promise<IssuedToken> {
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({
      access: access.map(({ type, name, actions }) => ({ type, name, actions: [...actions] })),
      wharf: principalClaimOf(principal),
    })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, kid: this.#key.kid, typ: 'JWT' })
      .setIssuer(TOKEN_ISSUER)
      .setSubject(principal.kind === 'anonymous' ? '' : principal.name)
      .setAudience(service)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + this.#lifetimeSeconds)
      .setJti(randomUUID())
      .sign(this.#key.privateKey);
    return { token, expiresIn: this.#lifetimeSeconds, issuedAt: new Date(now * 1000).toISOString() };
  }

  /** Throws {@link TokenError} unless the token is ours (any instance), unexpired and for `service`. */
  async verify(token: string, service: string): Promise<VerifiedToken> {
    let payload: unknown;
    try {
      ({ payload } = await jwtVerify(token, (header) => this.#publicKey(header), {
        algorithms: [SIGNING_ALGORITHM],
        issuer: TOKEN_ISSUER,
        audience: service,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['exp', 'nbf', 'iat', 'sub'],
      }));
    } catch (err) {
      throw asTokenError(err);
    }
    const parsed = claims.safeParse(payload);
    if (!parsed.success) throw new TokenError('bad-claims', 'the token does not carry a valid principal and access claim');
    const exp = (payload as { exp: number }).exp; // required and checked by jwtVerify
    return { principal: principalFrom(parsed.data.sub, parsed.data.wharf), access: parsed.data.access, expiresAt: exp * 1000 };
  }

  async #publicKey(header: JWTHeaderParameters): Promise<CryptoKey> {
    const kid = header.kid;
    if (typeof kid !== 'string' || kid === '') throw new TokenError('unknown-key', 'the token names no key (kid)');
    if (kid === this.#key.kid) return this.#ownPublicKey;
    const cached = this.#knownKeys.get(kid);
    if (cached) return cached;
    const retryAt = this.#unknownKids.get(kid);
    if (retryAt !== undefined && retryAt > Date.now()) throw new TokenError('unknown-key', 'the token was signed by an unknown key');
    const row = await this.#keys.find(kid);
    if (!row) {
      remember(this.#unknownKids, kid, Date.now() + UNKNOWN_KID_RETRY_MS);
      throw new TokenError('unknown-key', 'the token was signed by an unknown key');
    }
    let key: CryptoKey;
    try {
      key = (await importJWK(row.jwk as JWK, SIGNING_ALGORITHM)) as CryptoKey;
    } catch {
      throw new TokenError('unknown-key', `the published key ${kid} is not an ES256 public key`);
    }
    remember(this.#knownKeys, kid, key);
    this.#unknownKids.delete(kid);
    return key;
  }
}

/** A bounded map: the oldest entry goes when it is full. */
function remember<V>(map: Map<string, V>, key: string, value: V): void {
  if (map.size >= KEY_CACHE_SIZE) map.delete(map.keys().next().value as string);
  map.set(key, value);
}

function principalClaimOf(principal: Principal): z.infer<typeof principalClaim> {
  switch (principal.kind) {
    case 'anonymous':
      return { kind: 'anonymous' };
    case 'user':
      return { kind: 'user', id: principal.id, superuser: principal.superuser };
    case 'robot':
      return { kind: 'robot', id: principal.id, namespace_id: principal.namespaceId };
  }
}

function principalFrom(sub: string, claim: z.infer<typeof principalClaim>): Principal {
  switch (claim.kind) {
    case 'anonymous':
      return { kind: 'anonymous' };
    case 'user':
      return { kind: 'user', id: claim.id, name: sub, superuser: claim.superuser };
    case 'robot':
      return { kind: 'robot', id: claim.id, name: sub, namespaceId: claim.namespace_id };
  }
}

function asTokenError(err: unknown): Error {
  if (err instanceof TokenError) return err;
  if (err instanceof jose.JWTExpired) return new TokenError('expired', 'the token has expired');
  if (err instanceof jose.JWSSignatureVerificationFailed) return new TokenError('bad-signature', 'the token signature does not verify');
  if (err instanceof jose.JOSEAlgNotAllowed) return new TokenError('algorithm', 'the token is not signed with ES256');
  if (err instanceof jose.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return new TokenError('wrong-audience', 'the token is for another service');
    if (err.claim === 'iss') return new TokenError('wrong-issuer', 'the token was not issued by Wharf');
    if (err.claim === 'nbf' || err.claim === 'iat') return new TokenError('not-yet-valid', 'the token is not valid yet');
    return new TokenError('bad-claims', `invalid ${err.claim} claim`);
  }
  if (err instanceof jose.JOSEError) return new TokenError('malformed', 'the token is not a well-formed JWT');
  return err instanceof Error ? err : new Error(String(err)); // e.g. the key store failed: not the client's fault
}
