/**
 * A real S3-compatible HTTP server for tests: s3rver (a dev dependency), run as a child process
 * (so that it does not share the test's event loop) on a free port of 127.0.0.1, storing objects
 * in a temporary folder that `stop()` removes.
 *
 * What s3rver is and is not, as the S3 tests rely on it:
 * - it has the dummy account `S3RVER` / `S3RVER`; an unknown access key id is refused
 *   (InvalidAccessKeyId), but SigV4 signatures are not verified, so a wrong secret passes;
 * - it lacks UploadPartCopy, ListParts, ListMultipartUploads and AbortMultipartUpload, and
 *   ignores `If-None-Match: *`.
 */
import { GetObjectCommand, UploadPartCommand, type S3Client, type UploadPartCopyCommandInput } from '@aws-sdk/client-s3';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listeningPort, stopChild } from './child-process.js';

export const S3RVER_ACCESS_KEY = 'S3RVER';
export const S3RVER_SECRET_KEY = 'S3RVER';

export interface S3rver {
  /** e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
  readonly port: number;
  /** The folder holding the buckets. */
  readonly directory: string;
  stop(): Promise<void>;
}

/** Starts s3rver with `buckets` created; rejects (with its output) if it is not up within 20 s. */
export async function startS3rver(buckets: readonly string[]): Promise<S3rver> {
  const directory = await mkdtemp(path.join(tmpdir(), 'wharf-s3rver-'));
  const bin = path.join(path.dirname(createRequire(import.meta.url).resolve('s3rver/package.json')), 'bin', 's3rver.js');
  const args = [bin, '-d', directory, '-a', '127.0.0.1', '-p', '0', '--silent', '--no-vhost-buckets'];
  for (const bucket of buckets) args.push('--configure-bucket', bucket);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const port = await listeningPort(child, 's3rver', /S3rver listening on [^:\s]+:(\d+)/, 20_000);
    return {
      endpoint: `http://127.0.0.1:${port}`,
      port,
      directory,
      async stop() {
        await stopChild(child);
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await stopChild(child);
    await rm(directory, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Makes `client` perform each UploadPartCopy itself, as a ranged GetObject plus an UploadPart,
 * since s3rver answers UploadPartCopy with NotImplemented. With it, the driver's server-side
 * assembly (part planning, CompleteMultipartUpload from copied parts) runs end to end against
 * s3rver; the bytes pass through the test process instead of staying on the server.
 */
export function emulateUploadPartCopy(client: S3Client): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'UploadPartCopyCommand') return next(args);
      const input = args.input as UploadPartCopyCommandInput;
      const [bucket, ...key] = (input.CopySource ?? '').split('/').map(decodeURIComponent);
      const source = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key.join('/'), Range: input.CopySourceRange }));
      const Body = Buffer.from((await source.Body?.transformToByteArray()) ?? []);
      const { Bucket, Key, UploadId, PartNumber } = input;
      const part = await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber, Body }));
      return { output: { CopyPartResult: { ETag: part.ETag }, $metadata: {} }, response: {} } as Awaited<ReturnType<typeof next>>;
    },
    { step: 'initialize', name: 'wharfTestEmulateUploadPartCopy' },
  );
}

let recorders = 0;

/** Records the name of every command `client` sends (e.g. `CopyObjectCommand`), in order. */
export function recordCommands(client: S3Client): string[] {
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize', priority: 'high', name: `wharfTestRecordCommands${++recorders}` },
  );
  return sent;
}
