/** Manifest media types Wharf stores and serves. */
export const MediaTypes = Object.freeze({
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
});

export type ManifestKind = 'image' | 'index';

const KINDS: Record<string, ManifestKind> = {
  [MediaTypes.ociManifest]: 'image',
  [MediaTypes.dockerManifest]: 'image',
  [MediaTypes.ociIndex]: 'index',
  [MediaTypes.dockerManifestList]: 'index',
};

export function manifestKindOf(mediaType: string): ManifestKind | undefined {
  return KINDS[mediaType];
}

/** Strips parameters (`; charset=...`) and whitespace from a Content-Type header value. */
export function bareMediaType(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const bare = contentType.split(';')[0]?.trim().toLowerCase();
  return bare ? bare : undefined;
}
