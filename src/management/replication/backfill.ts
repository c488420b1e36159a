/**
 * Backfill (Quay's util.backfillreplication, paginated and set-based): walks every blob in id
 * order, a batch at a time, and enqueues replication for those missing a required location.
 * Safe to run repeatedly: blobs with a live job are skipped, complete blobs cost one scan.
 */
import type { BackfillBatch, BlobRef, Id, ReplicationStore } from '../../metadata/store.js';

export interface BackfillOptions {
  readonly dryRun: boolean;
  readonly batchSize: number;
  /** Resume after this blob id (default 0: from the start). */
  readonly afterId?: Id;
}

export interface BackfillTotals {
  readonly dryRun: boolean;
  readonly scanned: number;
  /** Scanned blobs already placed everywhere they must be. */
  readonly complete: number;
  /** Blobs that needed a job (on a dry run: would be enqueued). */
  readonly toEnqueue: number;
  /** Jobs added (0 on a dry run). */
  readonly enqueued: number;
  readonly alreadyQueued: number;
  /** Blobs missing a location with no copy anywhere: nothing to replicate from. */
  readonly lost: BlobRef[];
  /** The last blob id scanned: pass it as `afterId` to resume. */
  readonly lastId: Id | undefined;
}

export async function backfillReplication(
  store: ReplicationStore,
  defaults: readonly Id[],
  options: BackfillOptions,
  onBatch: (batch: BackfillBatch) => void = () => {},
): Promise<BackfillTotals> {
  if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new Error(`batch size must be a positive integer, not ${options.batchSize}`);
  let totals = { dryRun: options.dryRun, scanned: 0, complete: 0, toEnqueue: 0, enqueued: 0, alreadyQueued: 0, lost: [] as BlobRef[], lastId: undefined as Id | undefined };
  for (let after = options.afterId ?? 0; ; ) {
    const batch = await store.backfill(after, options.batchSize, defaults, options.dryRun);
    if (batch.lastId === undefined) return totals;
    onBatch(batch);
    totals = {
      ...totals,
      scanned: totals.scanned + batch.scanned,
      complete: totals.complete + batch.scanned - batch.blobs.length - batch.alreadyQueued - batch.lost.length,
      toEnqueue: totals.toEnqueue + batch.blobs.length,
      enqueued: totals.enqueued + batch.enqueued,
      alreadyQueued: totals.alreadyQueued + batch.alreadyQueued,
      lost: [...totals.lost, ...batch.lost],
      lastId: batch.lastId,
    };
    after = batch.lastId;
  }
}
