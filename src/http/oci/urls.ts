/**
 * Builds the URLs returned in Location headers. With SERVER_HOSTNAME they are absolute on
 * that host (PREFERRED_URL_SCHEME); without it they are relative paths, which every client
 * resolves against the URL it used, so nothing depends on the Host header a proxy passes.
 */
export class UrlBuilder {
  readonly #origin: string;

  constructor(serverHostname: string | undefined, scheme: 'http' | 'https') {
    this.#origin = serverHostname ? `${scheme}://${serverHostname}` : '';
  }

  blob(name: string, digest: string): string {
    return `${this.#origin}/v2/${name}/blobs/${digest}`;
  }

  upload(name: string, uploadId: string): string {
    return `${this.#origin}/v2/${name}/blobs/uploads/${uploadId}`;
  }

  manifest(name: string, reference: string): string {
    return `${this.#origin}/v2/${name}/manifests/${reference}`;
  }

  /** A `Link: <...>; rel="next"` value for the next page of a listing. */
  nextPage(path: string, n: number | undefined, last: string): string {
    const query = new URLSearchParams();
    if (n !== undefined) query.set('n', String(n));
    query.set('last', last);
    return `<${path}?${query.toString()}>; rel="next"`;
  }
}
