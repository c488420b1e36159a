import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdtemp, open, rm, truncate, writeFile } from 'node:fs/promises';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { fileHandleWith } from '../../../test/support/file-handle.js';
import { FileRange, READ_CHUNK } from './file-range.js';

/** Serves each request with whatever `respond` pipes into the response. */
async function serve(respond: (res: import('node:http').ServerResponse) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((_req, res) => respond(res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

/** The body of a GET, whole. */
function fetchBody(url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    get(url, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => resolve(Buffer.concat(parts)));
      res.on('error', reject);
    }).on('error', reject);
  });
}

describe('FileRange', () => {
  // Chunk boundaries fall inside the ranges below.
  const bytes = randomBytes(3 * READ_CHUNK + 12345);
  let dir: string;
  let file: string;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wharf-file-range-'));
    file = path.join(dir, 'blob');
    await writeFile(file, bytes);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** A FileRange on `file`; `buffers` collects the memory each read went into. */
  async function range(start: number, end: number): Promise<{ stream: FileRange; handle: FileHandle; buffers: Set<ArrayBufferLike> }> {
    const handle = await open(file, 'r');
    const buffers = new Set<ArrayBufferLike>();
    const spied = fileHandleWith(handle, { read: (buffer: Buffer, ...rest: [number, number, number]) => (buffers.add(buffer.buffer), handle.read(buffer, ...rest)) });
    return { stream: new FileRange(spied, start, end), handle, buffers };
  }

  it('read in a loop, yields the inclusive range in fresh buffers and closes the file', async () => {
    for (const [start, end] of [[0, bytes.length - 1], [7, 2 * READ_CHUNK + 3], [READ_CHUNK, READ_CHUNK], [5, 4]] as const) {
      const { stream, handle } = await range(start, end);
      const parts: Buffer[] = [];
      for await (const part of stream) parts.push(part as Buffer);
      assert.deepEqual(Buffer.concat(parts), bytes.subarray(start, end + 1), `${start}-${end}`);
      assert.equal(new Set(parts.map((p) => p.buffer)).size, parts.length, 'every piece has its own memory');
      assert.equal(handle.fd, -1, 'closed');
    }
  });

  it('piped into an HTTP response, sends the range exactly from two recycled buffers and closes the file', async () => {
    const opened: Array<FileHandle> = [];
    const used: number[] = [];
    const ranges = [[0, bytes.length - 1], [100, 3 * READ_CHUNK - 1], [bytes.length - 10, bytes.length - 1]] as const;
    let next = 0;
    const { server, url } = await serve((res) => {
      const [start, end] = ranges[next++] as readonly [number, number];
      void range(start, end).then(({ stream, handle, buffers }) => {
        opened.push(handle);
        stream.once('end', () => used.push(buffers.size));
        res.writeHead(200, { 'content-length': end - start + 1 });
        stream.pipe(res);
      });
    });
    try {
      for (const [start, end] of ranges) assert.deepEqual(await fetchBody(url), bytes.subarray(start, end + 1));
      assert.deepEqual(opened.map((h) => h.fd), [-1, -1, -1]);
      assert.deepEqual(used, [2, 2, 1]);
    } finally {
      server.close();
    }
  });

  it('also works through stream.pipeline into a response (which ends it)', async () => {
    const { server, url } = await serve((res) => {
      void range(0, bytes.length - 1).then(({ stream }) => {
        res.writeHead(200, { 'content-length': bytes.length });
        void pipeline(stream, res);
      });
    });
    try {
      assert.deepEqual(await fetchBody(url), bytes);
    } finally {
      server.close();
    }
  });

  it('piped into any other writable, never reuses a buffer the writable may still hold', async () => {
    const { stream, buffers } = await range(0, bytes.length - 1);
    const kept: Buffer[] = [];
    await pipeline(stream, new Writable({ write: (part: Buffer, _encoding, callback) => (kept.push(part), callback()) }));
    assert.deepEqual(Buffer.concat(kept), bytes);
    assert.equal(buffers.size, kept.length);
  });

  it('stops and closes the file, without an error, when the client hangs up', async () => {
    let handle: FileHandle | undefined;
    const closed = new Promise<Error | undefined>((resolve) => {
      void serve((res) => {
        void range(0, bytes.length - 1).then((opened) => {
          handle = opened.handle;
          opened.stream.once('error', resolve);
          opened.stream.once('close', () => resolve(undefined));
          res.writeHead(200, { 'content-length': bytes.length });
          opened.stream.pipe(res);
        });
      }).then(({ server, url }) => {
        get(url, (res) => res.once('data', () => res.destroy())).on('error', () => undefined);
        closed.finally(() => server.close());
      });
    });
    assert.equal(await closed, undefined);
    assert.equal(handle?.fd, -1);
  });

  it('fails when the file ends before the range does', async () => {
    const short = path.join(dir, 'short');
    await writeFile(short, bytes.subarray(0, 2 * READ_CHUNK));
    const handle = await open(short, 'r');
    const stream = new FileRange(handle, 0, 2 * READ_CHUNK - 1);
    await truncate(short, READ_CHUNK + 10);
    await assert.rejects(
      (async () => {
        for await (const _ of stream);
      })(),
      /file ended at byte 1048586/,
    );
    assert.equal(handle.fd, -1);
  });
});
