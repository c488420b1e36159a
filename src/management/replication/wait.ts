/**
 * `replication status --wait`: polls the status until every required placement exists, or
 * until it is clear that it never will (dead jobs, blobs with no copy), or the time is up.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReplicationStatus } from '../../metadata/store.js';

export type WaitOutcome =
  /** Missing = 0 everywhere. */
  | 'converged'
  /** Dead jobs for blobs still missing a location: they will not be retried by themselves. */
  | 'dead'
  /** Blobs missing a location with no copy anywhere to replicate from. */
  | 'unreplicable'
  | 'timeout';

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs: number;
  /** Called with every status read (for progress output). */
  readonly onPoll?: (status: ReplicationStatus) => void;
  readonly now?: () => number;
}

export function totalMissing(status: ReplicationStatus): number {
  return status.locations.reduce((n, l) => n + l.missing, 0);
}

/** What a status says about convergence; undefined while it may still converge. */
export function verdict(status: ReplicationStatus): Exclude<WaitOutcome, 'timeout'> | undefined {
  if (totalMissing(status) === 0) return 'converged';
  if (status.locations.some((l) => l.dead > 0)) return 'dead';
  if (status.unreplicable > 0) return 'unreplicable';
  return undefined;
}

export async function waitForReplication(
  read: () => Promise<ReplicationStatus>,
  options: WaitOptions,
): Promise<{ outcome: WaitOutcome; status: ReplicationStatus }> {
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  for (;;) {
    const status = await read();
    options.onPoll?.(status);
    const outcome = verdict(status);
    if (outcome) return { outcome, status };
    const left = deadline - now();
    if (left <= 0) return { outcome: 'timeout', status };
    await sleep(Math.min(options.intervalMs, left));
  }
}
