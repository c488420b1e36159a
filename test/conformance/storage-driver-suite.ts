import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { digestOf, parseDigest } from '../../src/domain/index.js';
import { blobKey, isStorageError, type StorageDriver, type StorageErrorKind } from '../../src/storage/index.js';

export interface DriverUnderTest {
  readonly driver: StorageDriver;
  cleanup(): Promise<void>;
}

/**
 * The conformance suite every StorageDriver runs (LocalStorage, S3, Azure…). Each test gets a
 * fresh, empty storage from `setup`. A driver's test file is a call to this function plus the
 * tests that only make sense for that driver.
 */
export function storageDriverSuite(name: string, setup: () => Promise<DriverUnderTest>): void {
  describe(`StorageDriver conformance: ${name}`, () => {
    let ctx: DriverUnderTest;
    let d: StorageDriver;
    beforeEach(async () => {
      ctx = await setup();
      d = ctx.driver;
    });
    afterEach(async () => ctx.cleanup());

    /** Uploads `chunks` (one append each) and commits them at the blob key of their digest. */
    async function putBlob(chunks: Buffer[]): Promise<string> {
      const key = keyFor(Buffer.concat(chunks));
      let state = await d.startUpload(randomUUID());
      for (const chunk of chunks) state = await d.appendUpload(state, Readable.from([chunk]));
      await d.commitUpload(state, key);
      return key;
    }

    it('stat of a missing key is undefined', async () => {
      assert.equal(await d.stat(keyFor(Buffer.from('missing'))), undefined);
    });

    it('read of a missing key throws not-found before returning a stream', async () => {
      await rejectsWith(d.read(keyFor(Buffer.from('missing'))), 'not-found');
      await rejectsWith(d.read(keyFor(Buffer.from('missing')), { start: 1, end: 2 }), 'not-found');
    });

    it('uploads several chunks, commits them and reads them back', async () => {
      const chunks = [Buffer.from('hello, '), Buffer.alloc(70_000, 7), Buffer.from('world')];
      let state = await d.startUpload(randomUUID());
      assert.equal(state.size, 0);
      for (const chunk of chunks) {
        const before: number = state.size;
        state = await d.appendUpload(state, Readable.from([chunk]));
        assert.equal(state.size, before + chunk.length);
      }
      const all = Buffer.concat(chunks);
      const key = keyFor(all);
      await d.commitUpload(state, key);
      assert.deepEqual(await d.stat(key), { size: all.length });
      assert.deepEqual(await collect(await d.read(key)), all);
    });

    it('commits an empty upload as an empty object', async () => {
      const key = keyFor(Buffer.alloc(0));
      await d.commitUpload(await d.startUpload(randomUUID()), key);
      assert.deepEqual(await d.stat(key), { size: 0 });
      assert.equal((await collect(await d.read(key))).length, 0);
    });

    it('reads inclusive byte ranges, clamping the end to the size', async () => {
      const all = Buffer.from('0123456789abcdef');
      const key = await putBlob([all]);
      assert.equal((await collect(await d.read(key, { start: 10 }))).toString(), 'abcdef');
      assert.equal((await collect(await d.read(key, { start: 2, end: 5 }))).toString(), '2345');
      assert.equal((await collect(await d.read(key, { start: 7, end: 7 }))).toString(), '7');
      assert.equal((await collect(await d.read(key, { start: 0, end: 15 }))).toString(), all.toString());
      assert.equal((await collect(await d.read(key, { start: 12, end: 100 }))).toString(), 'cdef');
    });

    it('readUpload returns exactly the appended bytes', async () => {
      let state = await d.startUpload(randomUUID());
      assert.equal((await collect(await d.readUpload(state))).length, 0);
      state = await d.appendUpload(state, Readable.from([Buffer.from('abc')]));
      state = await d.appendUpload(state, Readable.from([Buffer.from('defg'), Buffer.from('h')]));
      assert.equal((await collect(await d.readUpload(state))).toString(), 'abcdefgh');
      await d.abortUpload(state);
    });

    // A source stream's own error is rethrown as is, so callers can tell a client abort from a storage failure.
    it('a failed append leaves the session unchanged and a later append continues it', async () => {
      let state = await d.startUpload(randomUUID());
      state = await d.appendUpload(state, Readable.from([Buffer.from('first|')]));
      const failure = new Error('client went away');
      await assert.rejects(d.appendUpload(state, failingStream(Buffer.alloc(100_000, 1), failure)), (err) => err === failure);
      await assert.rejects(d.appendUpload(state, abortedStream(Buffer.alloc(50_000, 2))));
      assert.equal((await collect(await d.readUpload(state))).toString(), 'first|');
      state = await d.appendUpload(state, Readable.from([Buffer.from('second')]));
      assert.equal(state.size, 'first|second'.length);
      const key = keyFor(Buffer.from('first|second'));
      await d.commitUpload(state, key);
      assert.equal((await collect(await d.read(key))).toString(), 'first|second');
      assert.deepEqual(await d.stat(key), { size: 12 });
    });

    it('an object is not visible before its upload is committed', async () => {
      const bytes = Buffer.from('not yet');
      const key = keyFor(bytes);
      const state = await d.appendUpload(await d.startUpload(randomUUID()), Readable.from([bytes]));
      assert.equal(await d.stat(key), undefined);
      await rejectsWith(d.read(key), 'not-found');
      assert.deepEqual(await keys(d.list('sha256/')), []);
      await d.commitUpload(state, key);
      assert.deepEqual(await d.stat(key), { size: bytes.length });
    });

    it('committing to an existing key keeps the object readable', async () => {
      const bytes = Buffer.from('same content twice');
      const key = await putBlob([bytes]);
      const again = await putBlob([bytes.subarray(0, 5), bytes.subarray(5)]);
      assert.equal(again, key);
      assert.deepEqual(await collect(await d.read(key)), bytes);
      assert.deepEqual(await keys(d.list('sha256/')), [key]);
    });

    it('abort removes the session and is idempotent', async () => {
      const state = await d.appendUpload(await d.startUpload(randomUUID()), Readable.from([Buffer.from('x')]));
      await d.abortUpload(state);
      await rejectsWith(d.readUpload(state), 'not-found');
      await d.abortUpload(state);
      await d.abortUpload({ id: randomUUID(), size: 0 });
    });

    it('delete removes an object and is idempotent', async () => {
      const key = await putBlob([Buffer.from('to delete')]);
      await d.delete(key);
      assert.equal(await d.stat(key), undefined);
      await rejectsWith(d.read(key), 'not-found');
      await d.delete(key);
    });

    it('list yields the committed keys under a prefix', async () => {
      const written = await Promise.all(['a', 'b', 'c', 'd'].map((s) => putBlob([Buffer.from(s)])));
      assert.deepEqual(await keys(d.list('sha256/')), [...written].sort());
      const first = written[0] as string;
      const dir = first.slice(0, first.lastIndexOf('/') + 1); // sha256/<2 hex>/
      assert.deepEqual(await keys(d.list(dir)), written.filter((k) => k.startsWith(dir)).sort());
      assert.deepEqual(await keys(d.list(first)), [first]);
      assert.deepEqual(await keys(d.list('sha512/')), []);
    });

    it('refuses invalid keys with invalid-key', async () => {
      const state = await d.startUpload(randomUUID());
      for (const key of ['../x', '/etc/passwd', 'a/../../b', './a', 'a//b', 'a\\b', 'a\0b', '']) {
        await rejectsWith(d.stat(key), 'invalid-key', key);
        await rejectsWith(d.read(key), 'invalid-key', key);
        await rejectsWith(d.delete(key), 'invalid-key', key);
        await rejectsWith(d.commitUpload(state, key), 'invalid-key', key);
      }
      await rejectsWith(keys(d.list('../')), 'invalid-key');
      await rejectsWith(d.startUpload('../../etc'), 'invalid-key');
      await rejectsWith(d.appendUpload({ id: '../x', size: 0 }, Readable.from([Buffer.from('x')])), 'invalid-key');
      await d.abortUpload(state);
    });

    it('streams a 64 MiB blob in and out with the same sha256', async () => {
      const MiB = 1024 * 1024;
      const expected = createHash('sha256');
      for await (const chunk of deterministicStream(0, 64 * MiB)) expected.update(chunk);
      const digest = `sha256:${expected.digest('hex')}`;
      const key = blobKey(parseDigest(digest));
      let state = await d.startUpload(randomUUID());
      state = await d.appendUpload(state, deterministicStream(0, 40 * MiB + 123));
      state = await d.appendUpload(state, deterministicStream(40 * MiB + 123, 64 * MiB));
      assert.equal(state.size, 64 * MiB);
      await d.commitUpload(state, key);
      assert.deepEqual(await d.stat(key), { size: 64 * MiB });
      const actual = createHash('sha256');
      for await (const chunk of await d.read(key)) actual.update(chunk as Buffer);
      assert.equal(`sha256:${actual.digest('hex')}`, digest);
      const tail = await collect(await d.read(key, { start: 64 * MiB - 10 }));
      assert.deepEqual(tail, await collect(deterministicStream(64 * MiB - 10, 64 * MiB)));
    });
  });
}

function keyFor(bytes: Buffer): string {
  return blobKey(parseDigest(digestOf(bytes)));
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

async function keys(iterable: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const key of iterable) out.push(key);
  return out.sort();
}

async function rejectsWith(promise: Promise<unknown>, kind: StorageErrorKind, label = ''): Promise<void> {
  await assert.rejects(promise, (err) => isStorageError(err, kind), `expected StorageError ${kind} ${label}`);
}

/** Emits `bytes` (so some reach the driver), then fails with `error`. */
function failingStream(bytes: Buffer, error: Error): Readable {
  return Readable.from((async function* () {
    yield bytes;
    await new Promise((resolve) => setTimeout(resolve, 20));
    throw error;
  })());
}

/** Emits `bytes`, then is destroyed without an error, as when a client disconnects. */
function abortedStream(bytes: Buffer): Readable {
  const stream = new Readable({ read() {} });
  stream.push(bytes);
  setTimeout(() => stream.destroy(), 20);
  return stream;
}

/**
 * Bytes [from, to) of an endless deterministic sequence, generated 1 MiB block by block
 * (block i from an xorshift seeded by i), so large tests never hold the data in memory.
 */
export function deterministicStream(from: number, to: number): Readable {
  const BLOCK = 1024 * 1024;
  return Readable.from((function* () {
    for (let block = Math.floor(from / BLOCK); block * BLOCK < to; block++) {
      const data = deterministicBlock(block, BLOCK);
      yield data.subarray(Math.max(0, from - block * BLOCK), Math.min(BLOCK, to - block * BLOCK));
    }
  })());
}

function deterministicBlock(index: number, size: number): Buffer {
  const words = new Uint32Array(size / 4);
  let x = (index * 2654435761 + 1) >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return Buffer.from(words.buffer);
}
