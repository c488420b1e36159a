/**
 * Wakes workers the moment work is enqueued, across processes: Redis pub/sub when a shared
 * Redis is configured, PostgreSQL LISTEN/NOTIFY on PostgreSQL, in-process otherwise. A lost
 * notification only delays work until the worker's next poll: the job table is the truth.
 */
export interface WorkNotifier {
  /** Announces that jobs of `kind` are due. Never throws (a failure is logged and ignored). */
  notify(kind: string): Promise<void>;
  /** Calls `listener` whenever jobs of `kind` are announced; returns the unsubscribe function. */
  subscribe(kind: string, listener: () => void): () => void;
  /** Resolves once every subscription made so far receives announcements (for tests and startup). */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/** The job kind of blob replication; its key is the blob digest, its payload `{ blobId }`. */
export const REPLICATE_BLOB = 'replicate-blob';
