import type { FastifyRequest } from 'fastify';

const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Builds the URLs returned in Location headers:
 * - with SERVER_HOSTNAME: absolute on that host with PREFERRED_URL_SCHEME (the configured
 *   public name wins over anything a request says);
 * - else behind a proxy that sends X-Forwarded-Host (and X-Forwarded-Proto): absolute on it;
 * - else relative paths, which every client resolves against the URL it used.
 */
export class UrlBuilder {
  readonly #configured: string | undefined;

  constructor(serverHostname: string | undefined, scheme: 'http' | 'https') {
    this.#configured = serverHostname ? `${scheme}://${serverHostname}` : undefined;
  }

  /** The origin Location URLs start with, or '' for relative URLs. */
  origin(request: FastifyRequest): string {
    if (this.#configured) return this.#configured;
    const host = firstValue(request.headers['x-forwarded-host']);
    if (!host || !HOST.test(host)) return '';
    const proto = firstValue(request.headers['x-forwarded-proto']);
    return `${proto === 'https' ? 'https' : 'http'}://${host}`;
  }

  /**
   * Always absolute, for what clients cannot resolve against their request (the token realm in
   * a challenge): {@link origin}, else the request's own Host header.
   */
  absoluteOrigin(request: FastifyRequest): string {
    const origin = this.origin(request);
    if (origin) return origin;
    const host = request.headers.host;
    return `${request.protocol}://${host && HOST.test(host) ? host : 'localhost'}`;
  }

  blob(request: FastifyRequest, name: string, digest: string): string {
    return `${this.origin(request)}/v2/${name}/blobs/${digest}`;
  }

  upload(request: FastifyRequest, name: string, uploadId: string): string {
    return `${this.origin(request)}/v2/${name}/blobs/uploads/${uploadId}`;
  }

  manifest(request: FastifyRequest, name: string, reference: string): string {
    return `${this.origin(request)}/v2/${name}/manifests/${reference}`;
  }

  /** A `Link: <...>; rel="next"` value for the next page of a listing. */
  nextPage(request: FastifyRequest, path: string, n: number | undefined, last: string): string {
    const query = new URLSearchParams();
    if (n !== undefined) query.set('n', String(n));
    query.set('last', last);
    return `<${this.origin(request)}${path}?${query.toString()}>; rel="next"`;
  }
}

/** The first of a comma-separated header (proxies append their own values). */
function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(',')[0]?.trim() || undefined;
}
