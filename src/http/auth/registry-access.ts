/**
 * Who may do what on `/v2/`: every request is admitted (or refused) here before its OCI handler
 * runs, and the handler finds the admission, with the caller's identity, through
 * {@link admissionOf}. Two policies, picked by main.ts from AUTHENTICATION_TYPE:
 *
 * - Open: no accounts; everyone is an anonymous caller allowed everything.
 * - Database: the credentials decide. A Bearer token (from `/v2/auth`) allows exactly its
 *   `access` claim; Basic credentials (user or robot) and no credentials (anonymous) are checked
 *   with the authorizer. An anonymous caller that is refused gets 401 with a challenge (so a
 *   client logs in and retries); a known principal that is refused gets 403 DENIED.
 *
 * A token's signature is checked once per process: what it proved (principal and access) is
 * kept, by token, until the token's `exp` (the cache never outlives the token, and a token
 * cannot change). Authorizer decisions (Basic credentials, anonymous requests) are not cached:
 * permissions and visibility change, and those requests read the database every time.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { parseAuthorization } from '../../auth/authenticator.js';
import type { Authenticator } from '../../auth/authenticator.js';
import type { Authorizer } from '../../auth/authorizer.js';
import { ANONYMOUS, type Actor, type Principal, type RepositoryAction, type ResourceAccess } from '../../auth/principal.js';
import { TokenError, type RegistryTokens, type VerifiedToken } from '../../auth/registry-tokens.js';
import { ExpiringMap } from '../../cache/expiring-map.js';
import { parseRepositoryName } from '../../domain/index.js';
import { Errors, isWharfError, WharfError } from '../../errors/index.js';
import type { Viewer } from '../../metadata/store.js';
import type { Challenges } from './challenge.js';
import { type AccessNeed, isRepositoryName } from './required-access.js';

export interface Admission {
  readonly actor: Actor;
  /** Whether the caller may also pull `name` (the source of a cross-repository mount). */
  mayPull(name: string): Promise<boolean>;
  /** Whose repositories `_catalog` lists. */
  readonly viewer: Viewer;
}

export interface RegistryAccess {
  /** The admission for `need`, or throws 401 UNAUTHORIZED (with a challenge), 403 DENIED or 429 TOOMANYREQUESTS. */
  admit(request: FastifyRequest, need: AccessNeed): Promise<Admission>;
  /**
   * Whether a pull of `name` is allowed from what this process holds in memory alone, with no
   * I/O: the fast path of manifest GETs. False means "ask {@link admit}", never "refused".
   */
  mayPullFromMemory(headers: IncomingHttpHeaders, name: string): boolean;
}

const admissions = new WeakMap<FastifyRequest, Admission>();

export function rememberAdmission(request: FastifyRequest, admission: Admission): void {
  admissions.set(request, admission);
}

/** The admission the router recorded for this request; OCI handlers run only after one. */
export function admissionOf(request: FastifyRequest): Admission {
  const admission = admissions.get(request);
  if (!admission) throw new Error(`no admission recorded for ${request.method} ${request.url}`);
  return admission;
}

const EVERYTHING: Viewer = Object.freeze({ kind: 'everything' });

/** AUTHENTICATION_TYPE Open: everything allowed; the actor is anonymous (audit still names the address). */
export function openAccess(): RegistryAccess {
  return {
    async admit(request) {
      return { actor: { principal: ANONYMOUS, ip: request.ip }, mayPull: async () => true, viewer: EVERYTHING };
    },
    mayPullFromMemory: () => true,
  };
}

export interface CheckedAccessDeps {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly tokens: RegistryTokens;
  readonly challenges: Challenges;
  /** FEATURE_ANONYMOUS_ACCESS: anonymous callers may list the catalog (public repositories). */
  readonly anonymousAccess: boolean;
}

/** Verified tokens kept per process (a token is ~1 KiB; clients reuse theirs for its lifetime). */
const VERIFIED_TOKENS = 10_000;

interface KnownToken {
  /** The audience it was verified for. */
  readonly service: string;
  readonly verified: VerifiedToken;
}

/** AUTHENTICATION_TYPE Database. */
export class CheckedAccess implements RegistryAccess {
  readonly #deps: CheckedAccessDeps;
  readonly #verified = new ExpiringMap<KnownToken>({ maxEntries: VERIFIED_TOKENS });

  constructor(deps: CheckedAccessDeps) {
    this.#deps = deps;
  }

  mayPullFromMemory(headers: IncomingHttpHeaders, name: string): boolean {
    const authorization = headers.authorization;
    if (authorization === undefined || !authorization.startsWith('Bearer ')) return false;
    const known = this.#verified.get(authorization.slice(BEARER.length));
    if (!known || known.service !== this.#service(headers)) return false;
    return known.verified.access.some((a) => a.type === 'repository' && a.name === name && covers(a.actions, PULL));
  }

  /** Challenges.service reads only the Host header, which the raw request has too. */
  #service(headers: IncomingHttpHeaders): string {
    return this.#deps.challenges.service({ headers } as FastifyRequest);
  }

  /** The token's verification, from memory while the token lives. */
  async #verify(token: string, service: string): Promise<VerifiedToken> {
    const known = this.#verified.get(token);
    if (known && known.service === service) return known.verified;
    const verified = await this.#deps.tokens.verify(token, service);
    this.#verified.set(token, { service, verified }, verified.expiresAt);
    return verified;
  }

  async admit(request: FastifyRequest, need: AccessNeed): Promise<Admission> {
    // A malformed name is a 400 whoever asks: the grammar is public, and no lookup happens.
    if (need.kind === 'repository') parseRepositoryName(need.name);
    const credentials = this.#credentials(request, need);
    if (credentials?.kind === 'bearer') return this.#withToken(request, need, credentials.token);
    const principal = credentials ? await this.#password(request, need, credentials.username, credentials.password) : ANONYMOUS;
    return this.#withPrincipal(request, need, principal);
  }

  #credentials(request: FastifyRequest, need: AccessNeed) {
    try {
      return parseAuthorization(request.headers.authorization);
    } catch (err) {
      if (isWharfError(err) && err.entry === Errors.UNAUTHORIZED) throw this.#deps.challenges.unauthorized(request, err.detail, scopeOf(need));
      throw err;
    }
  }

  async #password(request: FastifyRequest, need: AccessNeed, username: string, password: string): Promise<Principal> {
    const principal = await this.#deps.authenticator.password(username, password, request.ip);
    if (!principal) throw this.#deps.challenges.unauthorized(request, 'wrong user name or password', scopeOf(need));
    return principal;
  }

  /** Basic credentials or none: the authorizer decides, now. */
  async #withPrincipal(request: FastifyRequest, need: AccessNeed, principal: Principal): Promise<Admission> {
    const { authorizer, challenges } = this.#deps;
    const anonymous = principal.kind === 'anonymous';
    switch (need.kind) {
      case 'login':
        // No credentials at all: the challenge is what `docker login` and friends wait for.
        if (anonymous) throw challenges.unauthorized(request, 'credentials are required');
        break;
      case 'catalog':
        if (anonymous && !this.#deps.anonymousAccess) throw challenges.unauthorized(request, 'credentials are required', need.scope);
        break;
      case 'repository': {
        const allowed = await authorizer.repositoryActions(principal, need.name, need.actions);
        if (!covers(allowed, need.actions)) throw this.#refusal(request, principal, need);
        break;
      }
    }
    return {
      actor: { principal, ip: request.ip },
      mayPull: async (name) => isRepositoryName(name) && (await authorizer.repositoryActions(principal, name, ['pull'])).includes('pull'),
      viewer: authorizer.viewer(principal),
    };
  }

  /** A Bearer token allows exactly what its `access` claim lists. */
  async #withToken(request: FastifyRequest, need: AccessNeed, token: string): Promise<Admission> {
    const { challenges, authorizer } = this.#deps;
    let verified;
    try {
      verified = await this.#verify(token, challenges.service(request));
    } catch (err) {
      if (!(err instanceof TokenError)) throw err;
      request.log.info({ reason: err.reason }, 'registry token refused');
      throw challenges.unauthorized(request, err.message, scopeOf(need), 'invalid_token');
    }
    const { principal, access } = verified;
    if (need.kind !== 'login' && !grants(access, need)) {
      // The token lacks the scope. When the principal could have it (or is anonymous, and
      // logging in might help), 401 sends the client back to the token endpoint for this
      // scope; a known principal that may not have it is refused.
      const couldHave = need.kind === 'catalog' || covers(await authorizer.repositoryActions(principal, need.name, need.actions), need.actions);
      if (need.kind === 'repository' && !couldHave && principal.kind !== 'anonymous') throw this.#refusal(request, principal, need);
      throw challenges.unauthorized(request, 'the token does not grant this access', need.scope, 'insufficient_scope');
    }
    return {
      actor: { principal, ip: request.ip },
      mayPull: async (name) => access.some((a) => a.type === 'repository' && a.name === name && covers(a.actions, ['pull'])),
      viewer: authorizer.viewer(principal),
    };
  }

  /** Anonymous: 401 and a challenge (logging in may help). A known principal: 403 DENIED. */
  #refusal(request: FastifyRequest, principal: Principal, need: AccessNeed & { kind: 'repository' }): WharfError {
    const detail = { type: 'repository', name: need.name, actions: need.actions };
    if (principal.kind === 'anonymous') return this.#deps.challenges.unauthorized(request, detail, need.scope);
    return new WharfError(Errors.DENIED, detail);
  }
}

const BEARER = 'Bearer ';
const PULL: readonly RepositoryAction[] = ['pull'];

function scopeOf(need: AccessNeed): ResourceAccess | undefined {
  return need.kind === 'login' ? undefined : need.scope;
}

/** `*` is everything (Distribution's meaning). */
function covers(allowed: readonly string[], needed: readonly RepositoryAction[]): boolean {
  return allowed.includes('*') || needed.every((action) => allowed.includes(action));
}

/** Whether a token's access claim covers the need. */
function grants(access: readonly ResourceAccess[], need: AccessNeed): boolean {
  if (need.kind === 'login') return true;
  if (need.kind === 'catalog') return access.some((a) => a.type === 'registry' && a.name === 'catalog' && a.actions.includes('*'));
  return access.some((a) => a.type === 'repository' && a.name === need.name && covers(a.actions, need.actions));
}
