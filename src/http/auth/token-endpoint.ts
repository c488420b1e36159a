/**
 * The Docker token endpoint at `/v2/auth` (Quay's path; the realm of every challenge):
 *
 * - `GET /v2/auth?service=&scope=&scope=&account=` with Basic credentials (a user, a robot, or
 *   a user's API token as the password) or none (anonymous, only with FEATURE_ANONYMOUS_ACCESS);
 * - `POST /v2/auth` with an OAuth2 password-grant form (grant_type=password, username, password,
 *   service, scope), which containerd and BuildKit try first.
 *
 * The token grants the subset of the requested scopes the principal may have, so a client
 * learns what it may do from the token and from 403s, never from a refusal here. A missing
 * `service` means ours; a different one is refused with 401 UNAUTHORIZED (the token would not
 * be valid here, and the client is talking to the wrong registry).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseAuthorization } from '../../auth/authenticator.js';
import type { Authenticator } from '../../auth/authenticator.js';
import type { Authorizer } from '../../auth/authorizer.js';
import { ANONYMOUS, type Principal, REPOSITORY_ACTIONS, type RepositoryAction, type ResourceAccess } from '../../auth/principal.js';
import type { RegistryTokens } from '../../auth/registry-tokens.js';
import { formatScope, parseScopes } from '../../auth/scope.js';
import { Errors, isWharfError, WharfError } from '../../errors/index.js';
import { readBounded } from '../oci/request-parts.js';
import type { Challenges } from './challenge.js';
import { isRepositoryName } from './required-access.js';

/** An OAuth2 form is a few hundred bytes; this only stops abuse. */
const MAX_FORM_BYTES = 64 * 1024;

export interface TokenEndpointDeps {
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly tokens: RegistryTokens;
  readonly challenges: Challenges;
  /** FEATURE_ANONYMOUS_ACCESS: callers without credentials get (anonymous) tokens. */
  readonly anonymousAccess: boolean;
}

interface TokenRequest {
  readonly service: string | undefined;
  readonly scopes: readonly string[];
  readonly credentials: { readonly username: string; readonly password: string } | undefined;
}

export function tokenHandler(deps: TokenEndpointDeps): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    const oauth = request.method === 'POST';
    const refuse = (detail: unknown) => deps.challenges.tokenEndpointRefusal(request, detail);
    const asked = oauth ? await fromForm(request, refuse) : fromQuery(request, refuse);
    const ours = deps.challenges.service(request);
    if (asked.service !== undefined && asked.service !== ours) {
      throw refuse({ reason: 'tokens here are for another service', service: ours, requested: asked.service.slice(0, 300) });
    }
    const principal = await authenticate(deps, request, asked.credentials, refuse);
    const access = await grant(deps.authorizer, principal, parseScopes(asked.scopes));
    const issued = await deps.tokens.issue(principal, ours, access);
    const body: Record<string, unknown> = { token: issued.token, access_token: issued.token, expires_in: issued.expiresIn, issued_at: issued.issuedAt };
    if (oauth) body.scope = access.map(formatScope).join(' ');
    reply.code(200).header('Cache-Control', 'no-store').type('application/json').send(JSON.stringify(body));
  };
}

/** Builds the endpoint's 401 (with its Basic challenge). */
type Refuse = (detail: unknown) => WharfError;

async function authenticate(deps: TokenEndpointDeps, request: FastifyRequest, credentials: TokenRequest['credentials'], refuse: Refuse): Promise<Principal> {
  if (!credentials) {
    if (deps.anonymousAccess) return ANONYMOUS;
    throw refuse('credentials are required (anonymous access is off)');
  }
  const principal = await deps.authenticator.password(credentials.username, credentials.password, request.ip);
  if (!principal) throw refuse('wrong user name or password');
  return principal;
}

/** Of the requested scopes, what the principal may have; scopes that grant nothing are left out. */
async function grant(authorizer: Authorizer, principal: Principal, requested: readonly ResourceAccess[]): Promise<ResourceAccess[]> {
  const granted: ResourceAccess[] = [];
  for (const scope of requested) {
    if (scope.type === 'registry' && scope.name === 'catalog' && scope.actions.includes('*')) {
      // Everyone who may get a token may list the catalog; the listing shows only what they may see.
      granted.push({ type: 'registry', name: 'catalog', actions: ['*'] });
      continue;
    }
    if (scope.type !== 'repository' || !isRepositoryName(scope.name)) continue;
    const actions = scope.actions.filter((a): a is RepositoryAction => (REPOSITORY_ACTIONS as readonly string[]).includes(a));
    if (actions.length === 0) continue;
    const allowed = await authorizer.repositoryActions(principal, scope.name, actions);
    if (allowed.length > 0) granted.push({ type: 'repository', name: scope.name, actions: allowed });
  }
  return granted;
}

function fromQuery(request: FastifyRequest, refuse: Refuse): TokenRequest {
  const query = request.query as Record<string, string | string[] | undefined>;
  let header;
  try {
    header = parseAuthorization(request.headers.authorization);
  } catch (err) {
    throw isWharfError(err) && err.entry === Errors.UNAUTHORIZED ? refuse(err.detail) : err;
  }
  if (header?.kind === 'bearer') throw refuse('the token endpoint takes Basic credentials');
  return { service: first(query.service), scopes: all(query.scope), credentials: header && { username: header.username, password: header.password } };
}

async function fromForm(request: FastifyRequest, refuse: Refuse): Promise<TokenRequest> {
  const form = new URLSearchParams((await readBounded(request, MAX_FORM_BYTES)).toString('utf8'));
  const grantType = form.get('grant_type');
  if (grantType !== 'password') {
    // Wharf issues no refresh tokens, so the password grant is the only one that can work.
    throw new WharfError({ ...Errors.UNSUPPORTED, status: 400 }, { reason: 'only grant_type=password is supported', grant_type: grantType?.slice(0, 50) ?? null });
  }
  const username = form.get('username');
  const password = form.get('password');
  if (!username || password === null) throw refuse('the password grant needs username and password');
  return { service: form.get('service') ?? undefined, scopes: form.getAll('scope'), credentials: { username, password } };
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function all(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}
