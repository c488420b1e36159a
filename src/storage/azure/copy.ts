import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobClient } from '@azure/storage-blob';
import { withTimeout } from './timeout.js';

/**
 * Server-side copies. Azure has two "copy from URL" operations:
 * - Copy Blob From URL (`syncCopyFromURL`): returns when done, for sources up to 256 MiB;
 * - Copy Blob (`beginCopyFromURL`): asynchronous, any size; the destination exists at once with
 *   `x-ms-copy-status: pending` and must be polled. Quay gives up after ≈30 s; here the wait is
 *   bounded by a generous, size-proportional deadline and by the driver's abort signal, and a
 *   copy that does not finish is aborted and its destination removed.
 * Put Block From URL (assembling the destination from ranges, then one commit) would make large
 * copies atomic without polling, but azurite does not implement it (HTTP 501), so it could not
 * be tested here; see {@link isComplete} for how pending destinations stay invisible instead.
 */
export const SYNC_COPY_MAX_BYTES = 256 * 1024 * 1024;

/** A blob is complete unless it is the destination of a copy that is pending, failed or aborted. */
export function isComplete(copyStatus: string | undefined): boolean {
  return copyStatus === undefined || copyStatus === 'success';
}

/** Ten minutes plus 10 MB/s: far beyond Azure's in-region copy speed, yet not forever. */
export function defaultCopyDeadlineMs(size: number): number {
  return 10 * 60_000 + Math.ceil(size / 10_000);
}

export interface CopyProbe {
  readonly copyId?: string;
  readonly copyStatus?: string;
  readonly copyStatusDescription?: string;
}

export type CopyWaitFailure = 'failed' | 'superseded' | 'timeout' | 'aborted';

export class CopyWaitError extends Error {
  constructor(readonly reason: CopyWaitFailure, message: string) {
    super(message);
    this.name = 'CopyWaitError';
  }
}

export interface WaitOptions {
  /** Give up at this time (epoch ms). */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  readonly firstIntervalMs?: number;
  readonly maxIntervalMs?: number;
  readonly now?: () => number;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<unknown>;
}

/** Polls `probe` (the destination's properties) with backoff until copy `copyId` succeeded. */
export async function waitForCopy(copyId: string, probe: () => Promise<CopyProbe>, options: WaitOptions): Promise<void> {
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? ((ms: number, signal?: AbortSignal) => sleep(ms, undefined, { signal }));
  let interval = options.firstIntervalMs ?? 250;
  for (;;) {
    if (options.signal?.aborted) throw new CopyWaitError('aborted', 'copy aborted');
    const state = await probe();
    if (state.copyId !== copyId) throw new CopyWaitError('superseded', `another copy (${state.copyId ?? 'none'}) replaced copy ${copyId}`);
    if (state.copyStatus === 'success') return;
    if (state.copyStatus !== 'pending') {
      throw new CopyWaitError('failed', `copy ${state.copyStatus ?? 'vanished'}: ${state.copyStatusDescription ?? 'no description'}`);
    }
    const left = options.deadline - now();
    if (left <= 0) throw new CopyWaitError('timeout', `copy still pending at its deadline`);
    try {
      await wait(Math.min(interval, left), options.signal);
    } catch {
      throw new CopyWaitError('aborted', 'copy aborted');
    }
    interval = Math.min(interval * 2, options.maxIntervalMs ?? 5_000);
  }
}

export interface CopyOptions {
  readonly syncMaxBytes: number;
  /** Bound on the synchronous copy request. */
  readonly syncTimeoutMs: number;
  /** Bound on the asynchronous copy, from its start to its end. */
  readonly deadlineMs: number;
  /** Bound on every other request. */
  readonly requestTimeoutMs: number;
  readonly signal?: AbortSignal;
  /** ETag the source must still have. */
  readonly sourceEtag?: string;
}

/**
 * Copies `sourceUrl` (readable: a SAS URL) of `size` bytes to `dest`, returning once `dest` is
 * complete. On failure no complete-looking destination is left behind.
 */
export async function copyFromUrl(dest: BlobClient, sourceUrl: string, size: number, options: CopyOptions): Promise<void> {
  const sourceConditions = options.sourceEtag ? { ifMatch: options.sourceEtag } : {};
  const request = <T>(op: (abortSignal: AbortSignal) => Promise<T>, ms = options.requestTimeoutMs) => withTimeout(ms, op, options.signal);
  if (size <= options.syncMaxBytes) {
    await request((abortSignal) => dest.syncCopyFromURL(sourceUrl, { sourceConditions, abortSignal }), options.syncTimeoutMs);
    return;
  }
  const poller = await request((abortSignal) => dest.beginCopyFromURL(sourceUrl, { sourceConditions, abortSignal }));
  if (poller.isDone()) return;
  const probe = () => request((abortSignal) => dest.getProperties({ abortSignal }));
  const copyId = (poller.getOperationState() as { copyId?: string }).copyId ?? (await probe()).copyId;
  if (copyId === undefined) throw new CopyWaitError('failed', 'the service returned no copy id');
  try {
    await waitForCopy(copyId, probe, { deadline: Date.now() + options.deadlineMs, ...(options.signal ? { signal: options.signal } : {}) });
  } catch (err) {
    await discardCopy(dest, copyId, options.requestTimeoutMs);
    throw err;
  }
}

/** Aborts copy `copyId` and deletes its destination, unless another copy replaced it. Best effort. */
async function discardCopy(dest: BlobClient, copyId: string, ms: number): Promise<void> {
  const ignore = () => undefined;
  await withTimeout(ms, (abortSignal) => dest.abortCopyFromURL(copyId, { abortSignal })).catch(ignore);
  const props = await withTimeout(ms, (abortSignal) => dest.getProperties({ abortSignal })).catch(ignore);
  if (props?.copyId !== copyId || !props.etag) return;
  const conditions = { ifMatch: props.etag };
  await withTimeout(ms, (abortSignal) => dest.deleteIfExists({ conditions, abortSignal })).catch(ignore);
}
