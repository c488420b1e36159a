/** Small HTTP helpers for API tests (undici, so HEAD, streaming bodies and raw paths work). */
import { createHash } from 'node:crypto';
import { getGlobalDispatcher } from 'undici';

export interface Res {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  json<T = unknown>(): T;
  /** The OCI error code of an error response. */
  readonly code: string | undefined;
}

export async function http(
  base: string,
  method: string,
  path: string,
  options: { body?: Buffer | string | NodeJS.ReadableStream; headers?: Record<string, string> } = {},
): Promise<Res> {
  // The dispatcher sends the path as written (no dot-segment normalisation), like a hostile client.
  const res = await getGlobalDispatcher().request({ origin: base, path, method: method as 'GET', body: options.body as Buffer | undefined, headers: options.headers });
  const body = Buffer.from(await res.body.arrayBuffer());
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(res.headers)) headers[k] = Array.isArray(v) ? v.join(', ') : String(v);
  let code: string | undefined;
  try {
    code = (JSON.parse(body.toString()) as { errors?: { code: string }[] }).errors?.[0]?.code;
  } catch {
    code = undefined;
  }
  return { status: res.statusCode, headers, body, code, json: <T>() => JSON.parse(body.toString()) as T };
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** Pushes a blob in one POST and returns its digest. */
export async function pushBlob(base: string, name: string, data: Buffer): Promise<string> {
  const digest = sha256(data);
  const res = await http(base, 'POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, {
    body: data,
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (res.status !== 201) throw new Error(`push blob failed: ${res.status} ${res.body.toString()}`);
  return digest;
}

/** An OCI image manifest over a config and layers (given as bytes). */
export function imageManifest(config: Buffer, layers: Buffer[], extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(l), size: l.length })),
      ...extra,
    }),
  );
}

/** Pushes config + layers + manifest under `reference`; returns the manifest bytes and digest. */
export async function pushImage(base: string, name: string, reference: string, seed: string, extra: Record<string, unknown> = {}): Promise<{ manifest: Buffer; digest: string }> {
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', seed }));
  const layer = Buffer.from(`layer of ${seed}`);
  await pushBlob(base, name, config);
  await pushBlob(base, name, layer);
  const manifest = imageManifest(config, [layer], extra);
  const res = await http(base, 'PUT', `/v2/${name}/manifests/${reference}`, {
    body: manifest,
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
  });
  if (res.status !== 201) throw new Error(`push manifest failed: ${res.status} ${res.body.toString()}`);
  return { manifest, digest: sha256(manifest) };
}
