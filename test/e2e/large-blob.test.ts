/**
 * A large blob goes in (chunked, streamed PATCH) and out (GET) of a real `wharf serve`
 * process, and the server's peak memory stays flat: it grows by far less than the blob.
 * Size: WHARF_TEST_LARGE_BLOB_MB (default 1024; set 5120 for the multi-GB check).
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
const sizeMb = Number(process.env.WHARF_TEST_LARGE_BLOB_MB ?? 1024);

/** Peak resident memory (VmHWM) of a process, in MB. */
async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

function generated(totalMb: number, hash: ReturnType<typeof createHash>): Readable {
  const block = randomBytes(MB);
  let sent = 0;
  return new Readable({
    read() {
      if (sent === totalMb) return void this.push(null);
      block.writeUInt32BE(sent, 0); // every MiB differs, so nothing can be deduplicated
      hash.update(block);
      sent += 1;
      this.push(Buffer.from(block));
    },
  });
}

it(`a ${sizeMb} MiB blob streams in and out in constant memory`, { timeout: 600_000 }, async () => {
  const cwd = await mkdtemp(join(tmpdir(), 'wharf-large-'));
  const server = await startServe([], { cwd, });
  const { origin } = server;
  const pid = server.child.pid as number;
  try {
    const http = getGlobalDispatcher();
    const baseline = await peakRssMb(pid);

    const post = await http.request({ origin, path: '/v2/big/blob/blobs/uploads/', method: 'POST' });
    await post.body.dump();
    const location = String(post.headers.location);
    const sent = createHash('sha256');
    const patch = await http.request({ origin, path: location, method: 'PATCH', body: generated(sizeMb, sent), headers: { 'content-type': 'application/octet-stream' } });
    await patch.body.dump();
    assert.equal(patch.statusCode, 202);
    assert.equal(patch.headers.range, `0-${sizeMb * MB - 1}`);
    const digest = `sha256:${sent.digest('hex')}`;
    const put = await http.request({ origin, path: `${location}?digest=${digest}`, method: 'PUT' });
    await put.body.dump();
    assert.equal(put.statusCode, 201);

    const get = await http.request({ origin, path: `/v2/big/blob/blobs/${digest}`, method: 'GET' });
    assert.equal(get.statusCode, 200);
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
    assert.ok(growth < 128, `peak RSS grew by ${growth.toFixed(1)} MB`);
  } finally {
    await server.stop();
    await rm(cwd, { recursive: true, force: true });
  }
});
