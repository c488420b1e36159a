// Builds (once, then caches under bench/.cache) a 3-layer OCI image layout of ~150 MB with umoci,
// offline. Layer files are AES-256-CTR keystream under a fixed key: deterministic, fast to make,
// and incompressible, so the gzip layers stay as large as their contents.
import { execFile } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const CACHE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '.cache');

export interface ImageSpec {
  readonly layers: number;
  readonly bytesPerLayer: number;
}

export interface BenchImage {
  /** The OCI layout directory; the image is tagged `latest` in it. */
  readonly layout: string;
  readonly tag: string;
  /** Sum of the manifest's layer sizes plus its config (what a push uploads), in bytes. */
  readonly blobBytes: number;
  readonly layerSizes: readonly number[];
  readonly cached: boolean;
}

export const DEFAULT_IMAGE: ImageSpec = { layers: 3, bytesPerLayer: 50_000_000 };

const CHUNK = 1 << 20;

/** Writes `bytes` of AES-256-CTR keystream (fixed key, IV from `seed`) to `path`. */
export async function writePseudoRandomFile(path: string, bytes: number, seed: number): Promise<void> {
  const key = createHash('sha256').update('wharf-bench-key').digest();
  const iv = createHash('sha256').update(`wharf-bench-iv-${seed}`).digest().subarray(0, 16);
  const cipher = createCipheriv('aes-256-ctr', key, iv);
  const zeros = Buffer.alloc(CHUNK);
  function* chunks(): Generator<Buffer> {
    for (let left = bytes; left > 0; left -= CHUNK) yield cipher.update(left >= CHUNK ? zeros : zeros.subarray(0, left));
  }
  await pipeline(Readable.from(chunks()), createWriteStream(path));
}

interface Descriptor {
  readonly digest: string;
  readonly size: number;
}

async function readBlobJson<T>(layout: string, digest: string): Promise<T> {
  const [algorithm, hex] = digest.split(':');
  return JSON.parse(await readFile(join(layout, 'blobs', algorithm ?? 'sha256', hex ?? ''), 'utf8')) as T;
}

async function describe(layout: string, cached: boolean): Promise<BenchImage> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: Descriptor[] };
  const top = index.manifests[0];
  if (top === undefined) throw new Error(`${layout}: index.json lists no manifest`);
  const manifest = await readBlobJson<{ config: Descriptor; layers: Descriptor[] }>(layout, top.digest);
  const layerSizes = manifest.layers.map((l) => l.size);
  const blobBytes = layerSizes.reduce((a, b) => a + b, 0) + manifest.config.size;
  return { layout, tag: 'latest', blobBytes, layerSizes, cached };
}

/** Returns the cached layout for `spec`, building it with umoci first when it is missing. */
export async function ensureImage(spec: ImageSpec = DEFAULT_IMAGE, log: (line: string) => void = () => {}): Promise<BenchImage> {
  const name = `oci-${spec.layers}x${spec.bytesPerLayer}-v1`;
  const layout = join(CACHE_DIR, name);
  if (existsSync(join(layout, 'bench-complete'))) return describe(layout, true);

  await mkdir(CACHE_DIR, { recursive: true });
  const work = await mkdtemp(join(CACHE_DIR, `${name}.build-`));
  try {
    const staging = join(work, 'layout');
    const bundle = join(work, 'bundle');
    const image = `${staging}:latest`;
    log(`building ${spec.layers}-layer image (${spec.layers} x ${(spec.bytesPerLayer / 1e6).toFixed(0)} MB) with umoci in ${layout}`);
    await run('umoci', ['init', '--layout', staging]);
    await run('umoci', ['new', '--image', image]);
    for (let i = 0; i < spec.layers; i++) {
      await run('umoci', ['unpack', '--rootless', '--image', image, bundle]);
      await writePseudoRandomFile(join(bundle, 'rootfs', `layer-${i}.bin`), spec.bytesPerLayer, i);
      await run('umoci', ['repack', '--image', image, bundle], { maxBuffer: 16 << 20 });
      await rm(bundle, { recursive: true, force: true });
    }
    await run('umoci', ['gc', '--layout', staging]);
    await writeFile(join(staging, 'bench-complete'), `${JSON.stringify(spec)}\n`);
    await rm(layout, { recursive: true, force: true });
    await rename(staging, layout);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return describe(layout, false);
}
