import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BlockBlobClient } from '@azure/storage-blob';
import { z } from 'zod';
import { StorageError, type UploadState } from '../driver.js';
import { DRIVER } from './errors.js';
import { withTimeout } from './timeout.js';

/**
 * An upload session is the block list of its staging blob. Each append stages its bytes as
 * blocks named `<nonce>-<seq>` (a fresh random nonce per append, so that a stale request of a
 * failed append can never replace a block of a later one) and then commits the whole list. The
 * `driverState` records, per append, its nonce and block count: the ids follow from them.
 */
export interface Session {
  readonly runs: readonly (readonly [nonce: string, count: number])[];
}

const sessionSchema = z.object({ runs: z.array(z.tuple([z.string().regex(/^[0-9a-f]{8}$/), z.number().int().positive()])) });

/** Azure's limit of committed blocks per blob. */
export const MAX_BLOCKS = 50_000;

export function parseSession(state: UploadState, key: string): Session {
  if (state.driverState === undefined && state.size === 0) return { runs: [] };
  const parsed = sessionSchema.safeParse(state.driverState);
  if (!parsed.success) throw new StorageError('conflict', DRIVER, key, 'upload state is not an AzureStorage session');
  return parsed.data;
}

export function newNonce(): string {
  return randomBytes(4).toString('hex');
}

/** Block ids must have one length per blob: 8 hex, '-', 6 digits, in base64 (20 characters). */
export function blockId(nonce: string, seq: number): string {
  return Buffer.from(`${nonce}-${String(seq).padStart(6, '0')}`).toString('base64');
}

export function blockIds(session: Session): string[] {
  return session.runs.flatMap(([nonce, count]) => Array.from({ length: count }, (_, seq) => blockId(nonce, seq)));
}

export function blockCount(session: Session): number {
  return session.runs.reduce((sum, [, count]) => sum + count, 0);
}

/** Splits a byte stream into buffers of `size` bytes (the last one may be shorter). */
export async function* blocksOf(source: AsyncIterable<unknown>, size: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = [];
  let held = 0;
  for await (const chunk of source) {
    let buf = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array);
    while (held + buf.length >= size) {
      const take = size - held;
      yield Buffer.concat([...parts, buf.subarray(0, take)]);
      buf = buf.subarray(take);
      parts = [];
      held = 0;
    }
    if (buf.length > 0) {
      parts.push(Buffer.from(buf)); // a copy, so the source may reuse its buffer
      held += buf.length;
    }
  }
  if (held > 0) yield Buffer.concat(parts);
}

/** A failure of the storage side of {@link stageStream} (anything else came from the source). */
export class StageFailure extends Error {
  constructor(cause: unknown) {
    super('staging a block failed', { cause });
  }
}

export interface StageOptions {
  readonly blockSize: number;
  /** Blocks uploaded at once (memory is about (parallel + 1) × blockSize). */
  readonly parallel: number;
  /** Most blocks this append may stage. */
  readonly maxBlocks: number;
  /** Bound on one Put Block, plus 1 ms per kB of the block (so ≥ 1 MB/s is required). */
  readonly requestTimeoutMs: number;
}

/**
 * Stages `data` as blocks `<nonce>-0…n` on `blob`. The source's own error is rethrown as is; a
 * storage failure becomes a {@link StageFailure}. Either way no request is still running when it
 * rejects, so nothing of a failed append lands later.
 */
export async function stageStream(blob: BlockBlobClient, data: Readable, nonce: string, options: StageOptions): Promise<{ count: number; bytes: number }> {
  const controller = new AbortController();
  const inflight = new Set<Promise<void>>();
  let failure: StageFailure | undefined;
  let count = 0;
  let bytes = 0;
  const settle = async () => {
    controller.abort();
    await Promise.allSettled(inflight);
  };
  try {
    for await (const block of blocksOf(data, options.blockSize)) {
      if (count >= options.maxBlocks) {
        failure ??= new StageFailure(new StorageError('conflict', DRIVER, blob.name, `an upload holds at most ${MAX_BLOCKS} blocks`));
      }
      if (failure) break;
      const id = blockId(nonce, count++);
      bytes += block.length;
      const timeoutMs = options.requestTimeoutMs + Math.ceil(block.length / 1_000);
      const put = withTimeout(timeoutMs, (abortSignal) => blob.stageBlock(id, block, block.length, { abortSignal }), controller.signal);
      const staged: Promise<void> = put.then(
        () => void inflight.delete(staged),
        (err: unknown) => {
          inflight.delete(staged);
          failure ??= new StageFailure(err);
        },
      );
      inflight.add(staged);
      while (inflight.size >= options.parallel) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  } catch (sourceError) {
    await settle();
    throw sourceError;
  }
  if (failure) {
    await settle();
    throw failure;
  }
  return { count, bytes };
}
