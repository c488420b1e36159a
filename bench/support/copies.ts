// The byte-moving pieces of the replication benchmark: a random blob written through a storage
// driver, and the reference copies Wharf's replication is compared with.
import { execFile, spawn } from 'node:child_process';
import { createHash, randomFill, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { parseDigest } from '../../src/domain/index.js';
import type { StorageDriver } from '../../src/storage/driver.js';
import { blobKey } from '../../src/storage/layout.js';

export const run = promisify(execFile);

/** Writes `size` random bytes through the driver, committed at the blob's key; returns digest and key. */
export async function writeRandomBlob(driver: StorageDriver, size: number): Promise<{ digest: string; key: string }> {
  const hash = createHash('sha256');
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let left = size; left > 0; left -= 4 << 20) {
      const chunk = Buffer.alloc(Math.min(left, 4 << 20));
      await new Promise((resolve, reject) => randomFill(chunk, (err) => (err ? reject(err) : resolve(chunk))));
      hash.update(chunk);
      yield chunk;
    }
  }
  const state = await driver.appendUpload(await driver.startUpload(randomUUID()), Readable.from(chunks()));
  const digest = `sha256:${hash.digest('hex')}`;
  const key = blobKey(parseDigest(digest));
  await driver.commitUpload(state, key);
  return { digest, key };
}

/** Wall-clock seconds of a command run to completion. */
export async function timed(command: string, args: readonly string[]): Promise<number> {
  const started = performance.now();
  await run(command, [...args], { maxBuffer: 1 << 20 });
  return (performance.now() - started) / 1000;
}

// The smallest node program doing what a streamed, verified replica needs: 1 MiB reads, sha256 on
// the way, write, fsync. It times itself (node's start-up excluded, as for the running worker).
const STREAM_COPY = `
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
const [src, dst] = process.argv.slice(1);
const started = performance.now();
const hash = createHash('sha256');
const input = (await open(src, 'r')).createReadStream({ highWaterMark: 1 << 20 });
const verify = new Transform({ transform(chunk, _e, done) { hash.update(chunk); done(null, chunk); } });
await pipeline(input, verify, createWriteStream(dst));
const out = await open(dst, 'r+');
await out.sync();
await out.close();
hash.digest('hex');
const cpu = process.cpuUsage();
console.log((performance.now() - started) / 1000, (cpu.user + cpu.system) / 1e6);
`;

/**
 * Seconds the minimal node read → sha256 → write → fsync pipeline takes for `src` → `dst`, and
 * the CPU seconds of that process (start-up included: about 0.05 s).
 */
export async function nodeStreamCopy(src: string, dst: string): Promise<{ seconds: number; cpuSeconds: number }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', STREAM_COPY, src, dst], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | null>((resolve, reject) => child.once('error', reject).once('close', resolve));
  if (code !== 0) throw new Error(`the node stream copy exited with ${code}`);
  const [seconds, cpuSeconds] = out.trim().split(' ').map(Number);
  return { seconds: seconds ?? NaN, cpuSeconds: cpuSeconds ?? NaN };
}
