// A small OCI image (a config and three 1 KiB layers) with fixed bytes, pushed over the plain
// registry API, so that every registry stores — and nginx serves — the very same manifest bytes.
import { createHash } from 'node:crypto';

export const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json';

/** The Accept header docker sends for a pull by tag (its several Accept lines, joined). */
export const DOCKER_ACCEPT = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
].join(', ');

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export interface SmallImage {
  readonly blobs: readonly { readonly digest: string; readonly bytes: Buffer }[];
  readonly manifest: Buffer;
  readonly digest: string;
  readonly mediaType: string;
}

/** The image: deterministic bytes (layers are sha256 counter streams), so every run pushes the same. */
export function smallImage(): SmallImage {
  const layers = [0, 1, 2].map((n) => Buffer.concat(Array.from({ length: 32 }, (_, i) => createHash('sha256').update(`wharf-bench-layer-${n}-${i}`).digest())));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: layers.map(sha256) }, config: {} }));
  const descriptor = (mediaType: string, bytes: Buffer) => ({ mediaType, digest: sha256(bytes), size: bytes.length });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: descriptor('application/vnd.oci.image.config.v1+json', config),
      layers: layers.map((l) => descriptor('application/vnd.oci.image.layer.v1.tar+gzip', l)),
    }),
  );
  return { blobs: [config, ...layers].map((bytes) => ({ digest: sha256(bytes), bytes })), manifest, digest: sha256(manifest), mediaType: MANIFEST_TYPE };
}

async function expect(response: Response, status: number, what: string): Promise<Response> {
  if (response.status !== status) throw new Error(`${what}: ${response.status} ${(await response.text()).slice(0, 500)}`);
  return response;
}

/** Pushes the image's blobs (POST + monolithic PUT) and its manifest as `repo:tag`. */
export async function pushSmallImage(baseUrl: string, repo: string, tag: string, image: SmallImage): Promise<void> {
  for (const blob of image.blobs) {
    const post = await expect(await fetch(`${baseUrl}/v2/${repo}/blobs/uploads/`, { method: 'POST' }), 202, `POST ${repo} upload`);
    await post.arrayBuffer();
    const location = new URL(post.headers.get('location') ?? '', baseUrl);
    location.searchParams.set('digest', blob.digest);
    const put = await fetch(location, { method: 'PUT', body: new Uint8Array(blob.bytes), headers: { 'Content-Type': 'application/octet-stream' } });
    await (await expect(put, 201, `PUT ${repo} blob ${blob.digest}`)).arrayBuffer();
  }
  const put = await fetch(`${baseUrl}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: new Uint8Array(image.manifest), headers: { 'Content-Type': image.mediaType } });
  await (await expect(put, 201, `PUT ${repo}:${tag} manifest`)).arrayBuffer();
}

/** What a GET by tag answers, with docker's Accept header: checked to be the image's bytes. */
export async function checkManifest(baseUrl: string, repo: string, tag: string, image: SmallImage): Promise<{ contentType: string; contentLength: string; dockerContentDigest: string }> {
  const response = await expect(await fetch(`${baseUrl}/v2/${repo}/manifests/${tag}`, { headers: { Accept: DOCKER_ACCEPT } }), 200, `GET ${repo}:${tag}`);
  const body = Buffer.from(await response.arrayBuffer());
  if (sha256(body) !== image.digest) throw new Error(`GET ${baseUrl}/v2/${repo}/manifests/${tag}: not the pushed bytes (${sha256(body)})`);
  const header = (name: string) => response.headers.get(name) ?? '(none)';
  return { contentType: header('content-type'), contentLength: header('content-length'), dockerContentDigest: header('docker-content-digest') };
}
