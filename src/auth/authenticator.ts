/**
 * Checks credentials and says who they belong to. Basic credentials on /v2 (and the token
 * endpoint) are a user's password, a robot's token, or an API token used as a password; a Bearer
 * API token authenticates /api/v1 calls. Registry bearer JWTs are registry-tokens.ts's job.
 *
 * Every wrong credential counts against the client address (login-throttle.ts), and unknown
 * user names pay the same KDF as wrong passwords so the response time does not reveal which
 * names exist. Secrets are never logged.
 */
import { timingSafeEqual } from 'node:crypto';
import { Errors, WharfError } from '../errors/index.js';
import type { LoginThrottle } from '../cache/login-throttle.js';
import type { Id, MetadataStore, UserRow } from '../metadata/store.js';
import type { Logger } from '../observability/logger.js';
import { burnPasswordCheck, verifyPassword } from './password.js';
import type { Principal } from './principal.js';
import { tokenHash } from './secrets.js';

export type Credentials =
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'bearer'; readonly token: string };

/** Quay's user names for "the password is an API token". */
const API_TOKEN_USERNAMES = new Set(['$app', '$oauthtoken']);
/** Last-access times are written at most this often per robot or token. */
const TOUCH_INTERVAL_MS = 60_000;

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** RFC 6750 b64token. */
const BEARER_TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Parses an Authorization header; undefined when absent (or empty); throws
 * WharfError(Errors.UNAUTHORIZED) when it is neither well-formed Basic nor Bearer.
 */
export function parseAuthorization(header: string | undefined): Credentials | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const match = /^([A-Za-z]+) +(\S+) *$/.exec(header);
  const scheme = match?.[1]?.toLowerCase();
  const value = match?.[2] ?? '';
  if (scheme === 'basic' && BASE64.test(value) && value.length % 4 === 0) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon !== -1) return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (scheme === 'bearer' && BEARER_TOKEN.test(value)) return { kind: 'bearer', token: value };
  throw new WharfError(Errors.UNAUTHORIZED, 'malformed Authorization header');
}

export interface AuthenticatorDeps {
  readonly metadata: MetadataStore;
  readonly throttle: LoginThrottle;
  /** SUPER_USERS from the config, on top of users marked in the database. */
  readonly superUsers: readonly string[];
  readonly logger: Logger;
}

export class Authenticator {
  readonly #metadata: MetadataStore;
  readonly #throttle: LoginThrottle;
  readonly #superUsers: ReadonlySet<string>;
  readonly #logger: Logger;

  constructor(deps: AuthenticatorDeps) {
    this.#metadata = deps.metadata;
    this.#throttle = deps.throttle;
    this.#superUsers = new Set(deps.superUsers);
    this.#logger = deps.logger.child({ component: 'authenticator' });
  }

  /**
   * Basic credentials: a user's password; a robot (`ns+short`) and its token; or an API token as
   * the password with username `$app` or `$oauthtoken` (Quay) or the token owner's name.
   * undefined when wrong (counted as a failure for `ip`); throws WharfError(TOOMANYREQUESTS)
   * with Retry-After while the address is throttled. Without an address nothing is throttled.
   */
  async password(username: string, password: string, ip: string | undefined): Promise<Principal | undefined> {
    await this.#refuseWhileThrottled(ip);
    let principal: Principal | undefined;
    if (API_TOKEN_USERNAMES.has(username)) principal = await this.#apiTokenUser(password);
    else if (username.includes('+')) principal = await this.#robot(username, password);
    else principal = await this.#user(username, password);
    await this.#record(principal, ip, username);
    return principal;
  }

  /** An API token presented as Bearer on /api/v1: its user; undefined when unknown, expired or the user is disabled. */
  async apiToken(token: string, ip: string | undefined): Promise<Principal | undefined> {
    await this.#refuseWhileThrottled(ip);
    const principal = await this.#apiTokenUser(token);
    await this.#record(principal, ip, undefined);
    return principal;
  }

  async #user(username: string, password: string): Promise<Principal | undefined> {
    const user = await this.#metadata.stores.accounts.findUser(username);
    let matched = false;
    if (user?.passwordHash !== undefined) matched = await verifyPassword(password, user.passwordHash);
    else await burnPasswordCheck(password);
    // Quay also takes an app token as the password of its owner; the lookup runs for unknown names too, to keep timing alike.
    if (!matched) matched = (await this.#apiTokenUser(password, user?.id ?? -1)) !== undefined;
    if (!user || !matched || !user.enabled) return undefined;
    return this.#userPrincipal(user);
  }

  async #robot(name: string, token: string): Promise<Principal | undefined> {
    const robot = await this.#metadata.stores.robots.find(name);
    const presented = Buffer.from(tokenHash(token), 'hex');
    if (!robot || !sameHash(presented, robot.tokenHash)) return undefined;
    await this.#touch(robot.lastAccessedAt, (at) => this.#metadata.stores.robots.touch(robot.id, at));
    return { kind: 'robot', id: robot.id, name: robot.name, namespaceId: robot.namespaceId };
  }

  /** The enabled owner of an unexpired API token (of `ownerId` only, when given). */
  async #apiTokenUser(token: string, ownerId?: Id): Promise<Principal | undefined> {
    const stores = this.#metadata.stores;
    const row = await stores.apiTokens.findByHash(tokenHash(token));
    if (!row || (ownerId !== undefined && row.userId !== ownerId)) return undefined;
    if (row.expiresAt !== undefined && row.expiresAt <= Date.now()) return undefined;
    const user = await stores.accounts.findUserById(row.userId);
    if (!user?.enabled) return undefined;
    await this.#touch(row.lastAccessedAt, (at) => stores.apiTokens.touch(row.id, at));
    return this.#userPrincipal(user);
  }

  #userPrincipal(user: UserRow): Principal {
    return { kind: 'user', id: user.id, name: user.name, superuser: user.superuser || this.#superUsers.has(user.name) };
  }

  async #refuseWhileThrottled(ip: string | undefined): Promise<void> {
    if (ip === undefined) return;
    const wait = await this.#throttle.retryAfterSeconds(ip);
    if (wait <= 0) return;
    this.#logger.info({ ip, retryAfter: wait }, 'login attempt refused: too many failures from this address');
    throw new WharfError(Errors.TOOMANYREQUESTS, `too many failed logins; retry in ${wait} s`, { 'Retry-After': String(wait) });
  }

  async #record(principal: Principal | undefined, ip: string | undefined, username: string | undefined): Promise<void> {
    if (principal === undefined) this.#logger.debug({ ip, username }, 'login failed');
    if (ip === undefined) return;
    if (principal) await this.#throttle.succeeded(ip);
    else await this.#throttle.failed(ip);
  }

  /** Writes a last-access time unless one was written within the last minute; a failed write does not fail the login. */
  async #touch(last: number | undefined, write: (at: number) => Promise<void>): Promise<void> {
    const now = Date.now();
    if (last !== undefined && now - last < TOUCH_INTERVAL_MS) return;
    try {
      await write(now);
    } catch (err) {
      this.#logger.warn({ err }, 'cannot record the last access time');
    }
  }
}

/** Compares a presented token digest with a stored hex digest in constant time. */
function sameHash(presented: Buffer, storedHex: string): boolean {
  const stored = Buffer.from(storedHex, 'hex');
  return stored.length === presented.length && timingSafeEqual(stored, presented);
}
