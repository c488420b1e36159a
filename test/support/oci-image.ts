/**
 * Builds a real multi-layer OCI image layout with umoci, offline (no base image, no network),
 * for the end-to-end tests and benchmarks:
 *
 *   umoci init --layout DIR; umoci new --image DIR:TAG
 *   per layer: umoci unpack --rootless → write files into BUNDLE/rootfs → umoci repack → rm BUNDLE
 *   umoci config --config.cmd=/bin/true; umoci gc (drops the intermediate manifests/configs)
 *
 * Each layer adds one file of pseudo-random bytes (AES-CTR keystream of the seed, so
 * incompressible: the gzip layer is about `layerSize` bytes, which lets benchmarks build layers
 * of tens of MB) plus a small text file. Timestamps are pinned, so the same options give the
 * same digests.
 *
 * umoci's manifests carry no `mediaType` field; a registry must take the type from the
 * Content-Type a client sends with them.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { run } from './tools.js';

export interface OciImageOptions {
  /** Number of layers; default 3. */
  readonly layers?: number;
  /** Bytes of random content per layer (one number for all, or one per layer); default 256 KiB. */
  readonly layerSize?: number | readonly number[];
  /** Seed of the content; default 'wharf'. Different seeds give different layers. */
  readonly seed?: string;
  /** Tag inside the layout; default 'latest'. */
  readonly tag?: string;
}

export interface OciImage {
  /** The OCI image layout folder. */
  readonly layoutDir: string;
  readonly tag: string;
  /** The image as a containers/image reference: `oci:<layoutDir>:<tag>`. */
  readonly ref: string;
  /** Removes the layout and its temporary folder. */
  cleanup(): Promise<void>;
}

/** A fixed, recent time for every file and history entry (reproducible digests). */
const EPOCH = new Date('2024-01-01T00:00:00Z');

export async function buildOciImage(options: OciImageOptions = {}): Promise<OciImage> {
  const layers = options.layers ?? 3;
  const seed = options.seed ?? 'wharf';
  const tag = options.tag ?? 'latest';
  const sizeOf = (i: number): number => {
    const size = options.layerSize ?? 256 * 1024;
    return typeof size === 'number' ? size : (size[i] ?? size[size.length - 1] ?? 0);
  };
  const root = await mkdtemp(join(tmpdir(), 'wharf-oci-'));
  const layoutDir = join(root, 'image');
  const bundle = join(root, 'bundle');
  const image = `${layoutDir}:${tag}`;
  const created = EPOCH.toISOString();
  try {
    await run('umoci', ['init', '--layout', layoutDir]);
    await run('umoci', ['new', '--image', image]);
    for (let i = 0; i < layers; i++) {
      await run('umoci', ['unpack', '--rootless', '--image', image, bundle]);
      const dir = join(bundle, 'rootfs', `layer-${i}`);
      await mkdir(dir, { recursive: true });
      await writeFile(join(dir, 'README'), `layer ${i} of a Wharf test image (seed ${seed})\n`);
      await writeRandomFile(join(dir, 'data.bin'), sizeOf(i), `${seed}/${i}`);
      for (const path of [join(dir, 'README'), join(dir, 'data.bin'), dir]) await utimes(path, EPOCH, EPOCH);
      await run('umoci', ['repack', '--image', image, '--history.created', created, '--history.created_by', `wharf test layer ${i}`, bundle]);
      await rm(bundle, { recursive: true, force: true });
    }
    await run('umoci', ['config', '--image', image, '--config.cmd=/bin/true', '--created', created, '--history.created', created]);
    await run('umoci', ['gc', '--layout', layoutDir]);
  } catch (e) {
    await rm(root, { recursive: true, force: true });
    throw e;
  }
  return {
    layoutDir,
    tag,
    ref: `oci:${layoutDir}:${tag}`,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** Writes `size` deterministic, incompressible bytes (AES-256-CTR keystream keyed by `seed`). */
async function writeRandomFile(path: string, size: number, seed: string): Promise<void> {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(1024 * 1024);
  const out = createWriteStream(path);
  try {
    for (let left = size; left > 0; left -= zeros.length) {
      const chunk = cipher.update(left >= zeros.length ? zeros : zeros.subarray(0, left));
      if (!out.write(chunk)) await once(out, 'drain');
    }
  } finally {
    out.end();
    await once(out, 'close');
  }
}

/** What an OCI layout holds under one tag. */
export interface LayoutImage {
  readonly manifestDigest: string;
  readonly manifestBytes: Buffer;
  readonly manifestMediaType: string;
  readonly configDigest: string;
  readonly layerDigests: string[];
  /** Every blob of the image: config first, then the layers in order. */
  readonly blobDigests: string[];
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

/** Reads `index.json` and the tagged manifest of an OCI layout (tag: the `ref.name` annotation). */
export async function readLayout(layoutDir: string, tag = 'latest'): Promise<LayoutImage> {
  const index = JSON.parse(await readFile(join(layoutDir, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag) ?? (index.manifests.length === 1 ? index.manifests[0] : undefined);
  if (!entry) throw new Error(`${layoutDir}/index.json has no manifest tagged ${tag}`);
  const manifestBytes = await readFile(layoutBlobPath(layoutDir, entry.digest));
  const manifest = JSON.parse(manifestBytes.toString()) as { config: Descriptor; layers: Descriptor[] };
  const layerDigests = manifest.layers.map((l) => l.digest);
  return {
    manifestDigest: entry.digest,
    manifestBytes,
    manifestMediaType: entry.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
    configDigest: manifest.config.digest,
    layerDigests,
    blobDigests: [manifest.config.digest, ...layerDigests],
  };
}

/** The file of a blob in an OCI layout. */
export function layoutBlobPath(layoutDir: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  if (!algorithm || !hex) throw new Error(`not a digest: ${digest}`);
  return join(layoutDir, 'blobs', algorithm, hex);
}
