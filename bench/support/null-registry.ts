// A registry that does no bookkeeping: the client's floor for the skopeo figures. It answers the
// push protocol (HEAD blob 404, POST 202 with a Location, PATCH/PUT read the body, manifest PUT
// 201) and serves pulls of the bench image straight from its OCI layout on disk, for any
// repository and tag. skopeo against it costs what skopeo, loopback and the page cache cost.
//
// With `work: 'store'` each upload body is also what any registry must do with it at least:
// sha256 of every byte and a write into a file that is fdatasynced before the reply (and then
// deleted). The gap between the two floors is the cost of a durable, verified push on this
// machine; what a real registry adds above the second is its own overhead.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import type { BenchImage } from './image.js';

/** 'discard': bodies are read and dropped; 'store': hashed, written and fdatasynced first. */
export type NullWork = 'discard' | 'store';

export interface NullRegistry {
  readonly baseUrl: string;
  /** User + system CPU seconds this process spent serving, since the start (it runs in the bench process). */
  cpuSeconds(): number;
  close(): Promise<void>;
}

interface TopManifest {
  readonly mediaType: string;
  readonly digest: string;
  readonly bytes: Buffer;
}

async function topManifest(layout: string): Promise<TopManifest> {
  const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as { manifests: { mediaType: string; digest: string }[] };
  const top = index.manifests[0];
  if (top === undefined) throw new Error(`${layout}: index.json lists no manifest`);
  return { mediaType: top.mediaType, digest: top.digest, bytes: await readFile(blobFile(layout, top.digest)) };
}

function blobFile(layout: string, digest: string): string {
  const [algorithm, hex] = digest.split(':');
  return join(layout, 'blobs', algorithm ?? '', hex ?? '');
}

/** Reads and drops the body, then replies: the reply never overtakes the upload. */
function drain(request: IncomingMessage, reply: () => void): void {
  request.on('data', () => undefined).once('end', reply);
}

/** Hashes the body and writes it to `file` (written in order, one write at a time), fdatasyncs, deletes it, then replies. */
async function store(request: IncomingMessage, file: string, reply: () => void): Promise<void> {
  const handle = await open(file, 'w');
  const hash: Hash = createHash('sha256');
  try {
    let position = 0;
    for await (const chunk of request) {
      hash.update(chunk as Buffer);
      position += (await handle.write(chunk as Buffer, 0, (chunk as Buffer).length, position)).bytesWritten;
    }
    hash.digest();
    await handle.datasync();
  } finally {
    await handle.close();
    await rm(file, { force: true });
  }
  reply();
}

interface Context {
  readonly image: BenchImage;
  readonly manifest: TopManifest;
  readonly work: NullWork;
  readonly scratch: string;
  uploads: number;
}

function handle(ctx: Context, request: IncomingMessage, response: ServerResponse): void {
  const { image, manifest } = ctx;
  const path = new URL(request.url ?? '/', 'http://null').pathname;
  const send = (status: number, headers: Record<string, string | number> = {}): void => void response.writeHead(status, { 'Content-Length': 0, ...headers }).end();
  if (path === '/v2/' || path === '/v2') return send(200);
  const upload = /^\/v2\/(.+)\/blobs\/uploads\/([^/]*)$/.exec(path);
  if (upload) {
    const location = `/v2/${upload[1]}/blobs/uploads/${upload[2] || 'null-session'}`;
    const reply =
      request.method === 'PUT'
        ? () => send(201, { 'Docker-Content-Digest': new URL(request.url ?? '', 'http://null').searchParams.get('digest') ?? '' })
        : () => send(202, { Location: location, Range: '0-0', 'Docker-Upload-UUID': 'null-session' });
    if (ctx.work === 'discard' || request.method === 'POST') return drain(request, reply);
    store(request, join(ctx.scratch, `upload-${++ctx.uploads}`), reply).catch((err: Error) => response.destroy(err));
    return;
  }
  const blob = /^\/v2\/.+\/blobs\/(sha256:[0-9a-f]{64})$/.exec(path);
  if (blob) {
    if (request.method !== 'GET') return send(404);
    // With its Content-Length, as every registry sends it (without one the body would go
    // chunked, and the client would do work it does not do against a registry).
    const path = blobFile(image.layout, blob[1] ?? '');
    stat(path).then(
      ({ size }) => {
        response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size, 'Docker-Content-Digest': blob[1] ?? '' });
        createReadStream(path, { highWaterMark: 1 << 20 })
          .once('error', (err) => response.destroy(err))
          .pipe(response);
      },
      () => send(404),
    );
    return;
  }
  if (/^\/v2\/.+\/manifests\/[^/]+$/.test(path)) {
    if (request.method === 'PUT') {
      const hash = createHash('sha256');
      request.on('data', (chunk: Buffer) => hash.update(chunk)).once('end', () => send(201, { 'Docker-Content-Digest': `sha256:${hash.digest('hex')}` }));
      return;
    }
    response.writeHead(200, { 'Content-Type': manifest.mediaType, 'Content-Length': manifest.bytes.length, 'Docker-Content-Digest': manifest.digest });
    return void response.end(request.method === 'HEAD' ? undefined : manifest.bytes);
  }
  send(404);
}

/** Starts the null registry on 127.0.0.1 (a free port), in this process; 'store' writes under `scratch` (default: the OS temp directory). */
export async function startNullRegistry(image: BenchImage, work: NullWork = 'discard', scratch?: string): Promise<NullRegistry> {
  const ctx: Context = { image, manifest: await topManifest(image.layout), work, scratch: await mkdtemp(join(scratch ?? tmpdir(), 'null-registry-')), uploads: 0 };
  const server: Server = createServer((request, response) => handle(ctx, request, response));
  server.keepAliveTimeout = 75_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const before = process.cpuUsage();
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    cpuSeconds: () => {
      const used = process.cpuUsage(before);
      return (used.user + used.system) / 1e6;
    },
    async close() {
      await new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
      await rm(ctx.scratch, { recursive: true, force: true });
    },
  };
}
