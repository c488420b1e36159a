/**
 * The Docker token protocol's challenge: `WWW-Authenticate: Bearer realm=...,service=...,scope=...`
 * sent with every 401 from `/v2/`, so clients know where to get a token and for what.
 */
import type { FastifyRequest } from 'fastify';
import { formatScope } from '../../auth/scope.js';
import type { ResourceAccess } from '../../auth/principal.js';
import { Errors, WharfError } from '../../errors/index.js';
import type { UrlBuilder } from '../oci/urls.js';

/** The token endpoint, under the registry API like Quay's (`/v2/auth`). */
export const TOKEN_PATH = '/v2/auth';

/** RFC 6750 error codes a challenge may carry. */
export type ChallengeError = 'invalid_token' | 'insufficient_scope';

export class Challenges {
  readonly #urls: UrlBuilder;
  readonly #serverHostname: string | undefined;

  constructor(urls: UrlBuilder, serverHostname: string | undefined) {
    this.#urls = urls;
    this.#serverHostname = serverHostname;
  }

  /**
   * The `service` tokens are issued for (their audience): SERVER_HOSTNAME, else the Host the
   * client used. Clients echo the challenge's value to the token endpoint, so both agree.
   */
  service(request: FastifyRequest): string {
    return this.#serverHostname ?? request.headers.host ?? 'localhost';
  }

  header(request: FastifyRequest, scope?: ResourceAccess, error?: ChallengeError): string {
    const params = [`realm="${this.#urls.absoluteOrigin(request)}${TOKEN_PATH}"`, `service="${quoted(this.service(request))}"`];
    if (scope) params.push(`scope="${quoted(formatScope(scope))}"`);
    if (error) params.push(`error="${error}"`);
    return `Bearer ${params.join(',')}`;
  }

  /** 401 UNAUTHORIZED carrying the challenge. */
  unauthorized(request: FastifyRequest, detail: unknown, scope?: ResourceAccess, error?: ChallengeError): WharfError {
    return new WharfError(Errors.UNAUTHORIZED, detail, { 'WWW-Authenticate': this.header(request, scope, error) });
  }

  /** The token endpoint's own 401: it takes Basic credentials (RFC 7235: a 401 names its scheme). */
  tokenEndpointRefusal(request: FastifyRequest, detail: unknown): WharfError {
    return new WharfError(Errors.UNAUTHORIZED, detail, { 'WWW-Authenticate': `Basic realm="${quoted(this.service(request))}"` });
  }
}

/** A quoted-string may not hold `"` or `\` unescaped; names never do, a forged Host might. */
function quoted(value: string): string {
  return value.replace(/["\\]/g, '\\$&');
}
