/**
 * How each principal talks to the registry, the way real clients do:
 * - /v2 with Bearer: the client reads the realm and service from the `WWW-Authenticate`
 *   challenge of `GET /v2/`, asks the realm for a token with Basic credentials (none when
 *   anonymous) and the scopes it needs, and sends the request with that token. Tokens are
 *   cached per principal and scope set, as docker does; it also keeps the scrypt cost of
 *   password checks out of the runtime.
 * - /v2 with Basic directly (the registry accepts Basic credentials on every request).
 * - /api/v1: users send their app-specific token as Bearer (or Basic with their password),
 *   robots Basic with their token, anonymous nothing.
 */
import assert from 'node:assert/strict';
import { http, type Res } from '../../support/http.js';
import type { KnownPrincipal, PrincipalName } from './principals.js';

export interface Credentials {
  readonly login: string;
  /** Password for users, the robot token for the robot. */
  readonly secret: string;
  /** A user's app-specific token (/api/v1 Bearer); undefined for the robot. */
  readonly appToken: string | undefined;
}

export interface Call {
  readonly method: string;
  /** Path and query, e.g. `/v2/acme/private/tags/list`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Buffer | string;
}

/** A response; `tokenEndpoint` marks the token endpoint's refusal, which a client stops at. */
export type MatrixRes = Res & { readonly tokenEndpoint?: true };

export type V2Auth = 'bearer' | 'basic';
export type ApiAuth = 'token' | 'basic';

interface Challenge {
  readonly realm: URL;
  readonly service: string | undefined;
}

export class MatrixClient {
  readonly base: string;
  readonly #credentials: Readonly<Record<KnownPrincipal, Credentials>>;
  readonly #tokens = new Map<string, Promise<string | Res>>();
  #challenge: Promise<Challenge> | undefined;

  constructor(base: string, credentials: Readonly<Record<KnownPrincipal, Credentials>>) {
    this.base = base;
    this.#credentials = credentials;
  }

  /** The same principals, talking to another server (fresh token cache). */
  on(base: string): MatrixClient {
    return new MatrixClient(base, this.#credentials);
  }

  credentials(who: KnownPrincipal): Credentials {
    return this.#credentials[who];
  }

  /** A /v2 request as `who`, authenticated the way `auth` says, with a token for `scopes`. */
  async v2(who: PrincipalName, call: Call, scopes: readonly string[], auth: V2Auth = 'bearer'): Promise<MatrixRes> {
    if (auth === 'basic') return this.#send(call, who === 'anonymous' ? undefined : this.#basic(who));
    const token = await this.token(who, scopes);
    // A client that cannot get a token stops there: what it sees is the token endpoint's answer.
    return typeof token === 'string' ? this.#send(call, `Bearer ${token}`) : { ...token, tokenEndpoint: true };
  }

  /** A request exactly as given, without an Authorization header. */
  bare(call: Call): Promise<MatrixRes> {
    return this.#send(call, undefined);
  }

  /** A /api/v1 request as `who`. */
  async api(who: PrincipalName, call: Call, auth: ApiAuth = 'token'): Promise<MatrixRes> {
    let authorization: string | undefined;
    if (who === 'anonymous') authorization = undefined;
    else if (who === 'robot' || auth === 'basic') authorization = this.#basic(who);
    else authorization = `Bearer ${this.#credentials[who].appToken ?? assert.fail(`${who} has no app token`)}`;
    const headers = call.body === undefined ? call.headers : { 'content-type': 'application/json', ...call.headers };
    return this.#send({ ...call, headers }, authorization);
  }

  /**
   * The registry token `who` gets for `scopes` from the realm of the challenge (cached), or the
   * token endpoint's refusal. Only anonymous requests may be refused (when anonymous access is
   * off): a known principal with valid credentials always gets a token, for the granted subset
   * of the scopes, possibly none (Docker's token protocol).
   */
  token(who: PrincipalName, scopes: readonly string[]): Promise<string | Res> {
    const key = `${who} ${[...scopes].sort().join(' ')}`;
    let token = this.#tokens.get(key);
    if (!token) {
      token = this.#fetchToken(who, scopes);
      this.#tokens.set(key, token);
      token.catch(() => this.#tokens.delete(key));
    }
    return token;
  }

  /** The parsed challenge of an unauthenticated `GET /v2/` (what docker reads first). */
  challenge(): Promise<Challenge> {
    this.#challenge ??= (async () => {
      const res = await http(this.base, 'GET', '/v2/');
      assert.equal(res.status, 401, 'GET /v2/ without credentials must answer 401 in Database mode');
      const challenge = parseChallenge(res.headers['www-authenticate'] ?? '');
      assert.ok(challenge, `GET /v2/ sent no Bearer challenge: ${res.headers['www-authenticate']}`);
      return challenge;
    })();
    return this.#challenge;
  }

  async #fetchToken(who: PrincipalName, scopes: readonly string[]): Promise<string | Res> {
    const { realm, service } = await this.challenge();
    const url = new URL(realm);
    if (service !== undefined) url.searchParams.set('service', service);
    for (const scope of scopes) url.searchParams.append('scope', scope);
    const headers: Record<string, string> = who === 'anonymous' ? {} : { authorization: this.#basic(who) };
    const res = await http(url.origin, 'GET', `${url.pathname}${url.search}`, { headers });
    if (who === 'anonymous' && res.status === 401) return res;
    assert.equal(res.status, 200, `token endpoint refused ${who} for ${scopes.join(' ') || 'no scope'}: ${res.status} ${res.body.toString()}`);
    const body = res.json<{ token?: string; access_token?: string }>();
    const token = body.token ?? body.access_token;
    assert.ok(token, `token endpoint answered without a token: ${res.body.toString()}`);
    return token;
  }

  #basic(who: KnownPrincipal): string {
    const { login, secret } = this.#credentials[who];
    return `Basic ${Buffer.from(`${login}:${secret}`).toString('base64')}`;
  }

  #send(call: Call, authorization: string | undefined): Promise<Res> {
    const headers = { ...call.headers, ...(authorization === undefined ? {} : { authorization }) };
    return http(this.base, call.method, call.path, { headers, ...(call.body === undefined ? {} : { body: call.body }) });
  }
}

/** `Bearer realm="...",service="...",scope="..."` → realm and service; undefined for any other scheme. */
export function parseChallenge(header: string): Challenge | undefined {
  const match = /^Bearer\s+(.*)$/i.exec(header.trim());
  if (!match) return undefined;
  const params = new Map<string, string>();
  for (const m of (match[1] as string).matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) params.set((m[1] as string).toLowerCase(), m[2] as string);
  const realm = params.get('realm');
  if (realm === undefined) return undefined;
  return { realm: new URL(realm), service: params.get('service') };
}
