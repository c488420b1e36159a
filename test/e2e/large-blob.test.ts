/**
 * Large blobs go in (a streamed PATCH, then the closing PUT carrying the rest of the bytes) and
 * out (GET) of a real `wharf serve` process, and the server's memory stays flat: its peak grows
 * by far less than the blob, and by about as much for a large blob as for a small one.
 * Sizes: 256 MiB, then WHARF_TEST_LARGE_BLOB_MB (default 1024; set 5120 for the multi-GB check).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { it } from 'node:test';
import { getGlobalDispatcher } from 'undici';
import { startServe } from '../support/wharf-process.js';

const MB = 1024 * 1024;
const SMALL_MB = 256;
const largeMb = Number(process.env.WHARF_TEST_LARGE_BLOB_MB ?? 1024);
/** How much the server's peak may grow while a blob goes in and out (30–70 MB before pulls recycled their buffers and pushes collected theirs; 7–20 MB since). */
const MAX_GROWTH_MB = 32;
/** How much more it may grow for the large blob than for the small one: flat, but for noise. */
const MAX_SIZE_EFFECT_MB = 16;

/** Peak resident memory (VmHWM) of a process, in MB. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

const pattern = randomBytes(MB);

/** MiB number `i` of the test blobs; every MiB differs, so nothing can be deduplicated. */
function block(i: number): Buffer {
  const copy = Buffer.from(pattern);
  copy.writeUInt32BE(i, 0);
  return copy;
}

/** MiB `from` to `to` (excluded) of a test blob, generated as it is read. */
function generated(from: number, to: number): Readable {
  let next = from;
  return new Readable({
    read() {
      this.push(next === to ? null : block(next++));
    },
  });
}

function digestOf(sizeMb: number): string {
  const hash = createHash('sha256');
  for (let i = 0; i < sizeMb; i += 1) hash.update(block(i));
  return `sha256:${hash.digest('hex')}`;
}

/** Pushes and pulls a `sizeMb` blob through a fresh server; returns how much its peak RSS grew. */
async function roundTrip(sizeMb: number): Promise<{ baseline: number; growth: number }> {
  const cwd = await mkdtemp(join(tmpdir(), 'wharf-large-'));
  const server = await startServe([], { cwd });
  const { origin } = server;
  const pid = server.child.pid as number;
  try {
    const http = getGlobalDispatcher();
    const baseline = await peakRssMb(pid);
    const half = Math.floor(sizeMb / 2);
    const digest = digestOf(sizeMb);

    const post = await http.request({ origin, path: '/v2/big/blob/blobs/uploads/', method: 'POST' });
    await post.body.dump();
    const location = String(post.headers.location);
    const patch = await http.request({ origin, path: location, method: 'PATCH', body: generated(0, half), headers: { 'content-type': 'application/octet-stream' } });
    await patch.body.dump();
    assert.equal(patch.statusCode, 202);
    assert.equal(patch.headers.range, `0-${half * MB - 1}`);
    const put = await http.request({
      origin,
      path: `${location}?digest=${digest}`,
      method: 'PUT',
      body: generated(half, sizeMb),
      headers: { 'content-type': 'application/octet-stream', 'content-length': String((sizeMb - half) * MB) },
    });
    await put.body.dump();
    assert.equal(put.statusCode, 201);

    const get = await http.request({ origin, path: `/v2/big/blob/blobs/${digest}`, method: 'GET' });
    assert.equal(get.statusCode, 200);
    assert.equal(get.headers['content-length'], String(sizeMb * MB));
    const received = createHash('sha256');
    let bytes = 0;
    for await (const chunk of get.body) {
      received.update(chunk as Buffer);
      bytes += (chunk as Buffer).length;
    }
    assert.equal(bytes, sizeMb * MB);
    assert.equal(`sha256:${received.digest('hex')}`, digest);

    const growth = (await peakRssMb(pid)) - baseline;
    process.stdout.write(`# server peak RSS grew by ${growth.toFixed(1)} MB for a ${sizeMb} MiB blob (baseline ${baseline.toFixed(1)} MB)\n`);
    return { baseline, growth };
  } finally {
    await server.stop();
    await rm(cwd, { recursive: true, force: true });
  }
}

it(`blobs of ${SMALL_MB} and ${largeMb} MiB stream in and out in constant memory`, { timeout: 900_000 }, async () => {
  const small = await roundTrip(SMALL_MB);
  const large = await roundTrip(largeMb);
  for (const [size, round] of [[SMALL_MB, small], [largeMb, large]] as const) {
    assert.ok(round.growth < MAX_GROWTH_MB, `peak RSS grew by ${round.growth.toFixed(1)} MB for ${size} MiB`);
  }
  assert.ok(
    large.growth - small.growth < MAX_SIZE_EFFECT_MB,
    `peak RSS grew by ${large.growth.toFixed(1)} MB for ${largeMb} MiB against ${small.growth.toFixed(1)} MB for ${SMALL_MB} MiB`,
  );
});
