/**
 * Splits an OCI path (after `/v2/`) into the repository name and the resource. Names contain
 * slashes, so a router cannot do it: the resource is found from the right. The path is the raw
 * request path, never percent-decoded, so `%2e%2e` stays invalid for the name grammar.
 */
export type OciRoute =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; uploadId: string }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'tags'; name: string }
  | { kind: 'referrers'; name: string; digest: string }
  | { kind: 'unknown' };

const PATTERNS: ReadonlyArray<[RegExp, (m: RegExpExecArray) => OciRoute]> = [
  [/^(.+)\/blobs\/uploads\/?$/, (m) => ({ kind: 'uploads', name: m[1] as string })],
  [/^(.+)\/blobs\/uploads\/([^/]+)$/, (m) => ({ kind: 'upload', name: m[1] as string, uploadId: m[2] as string })],
  [/^(.+)\/blobs\/([^/]+)$/, (m) => ({ kind: 'blob', name: m[1] as string, digest: m[2] as string })],
  [/^(.+)\/manifests\/([^/]+)$/, (m) => ({ kind: 'manifest', name: m[1] as string, reference: m[2] as string })],
  [/^(.+)\/tags\/list$/, (m) => ({ kind: 'tags', name: m[1] as string })],
  [/^(.+)\/referrers\/([^/]+)$/, (m) => ({ kind: 'referrers', name: m[1] as string, digest: m[2] as string })],
];

export function matchOciPath(rawPath: string): OciRoute {
  if (!rawPath.startsWith('/v2/')) return { kind: 'unknown' };
  const rest = rawPath.slice('/v2/'.length);
  if (rest === '') return { kind: 'base' };
  if (rest === '_catalog') return { kind: 'catalog' };
  for (const [pattern, build] of PATTERNS) {
    const match = pattern.exec(rest);
    if (match) return build(match);
  }
  return { kind: 'unknown' };
}

/** The raw path of a request URL (no query string, no decoding). */
export function rawPathOf(url: string): string {
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}
