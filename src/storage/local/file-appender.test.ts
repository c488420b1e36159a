import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, it } from 'node:test';
import { fileHandleWith } from '../../../test/support/file-handle.js';
import { FileAppender, SYNC_EVERY, WRITE_JOIN } from './file-appender.js';

/** `count` pieces of `size` random bytes, as a socket would deliver a body. */
function pieces(count: number, size = 64 * 1024): Buffer[] {
  return Array.from({ length: count }, () => randomBytes(size));
}

/** A handle whose writev and datasync calls are recorded (and optionally altered). */
function spy(handle: FileHandle, options: { maxPerWrite?: number; failSync?: boolean } = {}) {
  const calls = { writev: [] as number[], datasync: 0 };
  const spied = fileHandleWith(handle, {
    writev: (buffers: Buffer[], position: number) => {
      // A short write: only the first maxPerWrite bytes.
      let room = options.maxPerWrite ?? Infinity;
      const some: Buffer[] = [];
      for (const buffer of buffers) {
        if (room <= 0) break;
        some.push(buffer.subarray(0, Math.min(buffer.length, room)));
        room -= buffer.length;
      }
      calls.writev.push(some.reduce((n, b) => n + b.length, 0));
      return handle.writev(some, position);
    },
    datasync: () => {
      calls.datasync += 1;
      return options.failSync ? Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' })) : handle.datasync();
    },
  });
  return { handle: spied, calls };
}

describe('FileAppender', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wharf-file-appender-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  async function fileWith(name: string, content: Buffer): Promise<{ file: string; handle: FileHandle }> {
    const file = path.join(dir, name);
    await writeFile(file, content);
    return { file, handle: await open(file, 'r+') };
  }

  it('appends from `start` on, gathering the pieces into writes of WRITE_JOIN bytes', async () => {
    const head = Buffer.from('already here');
    const { file, handle } = await fileWith('join', head);
    const body = pieces(64);
    const { handle: spied, calls } = spy(handle);
    const out = new FileAppender(spied, head.length);
    await pipeline(Readable.from(body), out);
    await handle.close();
    assert.deepEqual(await readFile(file), Buffer.concat([head, ...body]));
    assert.equal(out.bytesWritten, 64 * 64 * 1024);
    // Pieces that queued behind a write join the next one, which may then exceed WRITE_JOIN a little.
    assert.ok(calls.writev.length <= (64 * 64 * 1024) / WRITE_JOIN, `${calls.writev.length} writes for 64 pieces`);
    assert.ok(calls.writev.slice(0, -1).every((n) => n >= WRITE_JOIN && n < 2 * WRITE_JOIN), calls.writev.join(' '));
  });

  it('writes what is left below WRITE_JOIN when the stream ends', async () => {
    const { file, handle } = await fileWith('tail', Buffer.alloc(0));
    const body = pieces(3, 1000);
    const { handle: spied, calls } = spy(handle);
    await pipeline(Readable.from(body), new FileAppender(spied, 0));
    await handle.close();
    assert.deepEqual(await readFile(file), Buffer.concat(body));
    assert.deepEqual(calls.writev, [3000]);
  });

  it('syncs in the background as it goes, every SYNC_EVERY bytes', async () => {
    const { handle } = await fileWith('sync', Buffer.alloc(0));
    const { handle: spied, calls } = spy(handle);
    const count = Math.ceil((2.5 * SYNC_EVERY) / (1 << 20));
    await pipeline(Readable.from(pieces(count, 1 << 20)), new FileAppender(spied, 0));
    await handle.close();
    assert.ok(calls.datasync >= 1 && calls.datasync <= 2, `${calls.datasync} syncs`);
  });

  it('finishes what a short write left', async () => {
    const { file, handle } = await fileWith('short', Buffer.alloc(0));
    const body = pieces(20, 10_000);
    const { handle: spied, calls } = spy(handle, { maxPerWrite: 15_000 });
    await pipeline(Readable.from(body), new FileAppender(spied, 0));
    await handle.close();
    assert.deepEqual(await readFile(file), Buffer.concat(body));
    assert.ok(calls.writev.every((n) => n <= 15_000));
  });

  it('fails when a background sync fails', async () => {
    const { handle } = await fileWith('eio', Buffer.alloc(0));
    const { handle: spied } = spy(handle, { failSync: true });
    await assert.rejects(pipeline(Readable.from(pieces(Math.ceil(SYNC_EVERY / (1 << 20)) + 2, 1 << 20)), new FileAppender(spied, 0)), /EIO/);
    await handle.close();
  });

  it('accepts the next join while a write is in flight, and no more than that', async () => {
    const { file, handle } = await fileWith('behind', Buffer.alloc(0));
    let inFlight = 0;
    let most = 0;
    let release: (() => void) | undefined;
    const gated = fileHandleWith(handle, {
      writev: async (buffers: Buffer[], position: number) => {
        most = Math.max(most, ++inFlight);
        await new Promise<void>((resolve) => (release = resolve));
        inFlight--;
        return handle.writev(buffers, position);
      },
    });
    const out = new FileAppender(gated, 0);
    const body = pieces(4, WRITE_JOIN);
    const accepted: number[] = [];
    const writes = body.map((piece, i) => new Promise<void>((resolve) => out.write(piece, () => (accepted.push(i), resolve()))));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // The first join is being written (held); the stream has been called back for it already.
    assert.deepEqual(accepted, [0]);
    assert.equal(inFlight, 1);
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      release?.();
    }
    await Promise.all(writes);
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    await handle.close();
    assert.equal(most, 1, 'one write at a time');
    assert.deepEqual(await readFile(file), Buffer.concat(body));
  });

  it('fails the stream when a write behind the producer fails', async () => {
    const { handle } = await fileWith('fails', Buffer.alloc(0));
    let calls = 0;
    const failing = fileHandleWith(handle, {
      writev: async (buffers: Buffer[], position: number) => {
        if (++calls === 2) throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
        return handle.writev(buffers, position);
      },
    });
    // The failing write is the last one: only `_final` can report it.
    await assert.rejects(pipeline(Readable.from(pieces(2, WRITE_JOIN)), new FileAppender(failing, 0)), /ENOSPC/);
    calls = 0;
    // Here later writes follow it: the next call reports it.
    await assert.rejects(pipeline(Readable.from(pieces(6, WRITE_JOIN)), new FileAppender(failing, 0)), /ENOSPC/);
    await handle.close();
  });

  it('when destroyed, closes only after the write in flight has settled', async () => {
    const { handle } = await fileWith('destroy', Buffer.alloc(0));
    let settled = false;
    const slow = fileHandleWith(handle, {
      writev: async (buffers: Buffer[], position: number) => {
        await new Promise((resolve) => setTimeout(resolve, 50));
        const result = await handle.writev(buffers, position);
        settled = true;
        return result;
      },
    });
    const out = new FileAppender(slow, 0);
    out.write(randomBytes(WRITE_JOIN));
    out.destroy();
    await new Promise((resolve) => out.once('close', resolve));
    assert.equal(settled, true);
    await handle.close();
  });
});
