/**
 * What a failed run means for its job: retried later with exponential backoff, or buried (kept
 * as dead with its error) once out of attempts or when the failure can never heal.
 */

/** Thrown by a handler when retrying cannot help (bad payload, nothing to copy from): bury now. */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}

/** The reason a handler's signal aborts when its lease was lost: another worker may run the job. */
export class LeaseLostError extends Error {
  constructor(jobId: number) {
    super(`lost the lease of job ${jobId}`);
    this.name = 'LeaseLostError';
  }
}

export interface BackoffOptions {
  /** The first retry's delay, in ms (default 1 s). */
  readonly baseMs?: number;
  /** No retry waits longer than this, in ms (default 5 min). */
  readonly maxMs?: number;
}

/**
 * The delay before the next attempt, after `attempts` failed ones: `min(max, base * 2^(attempts-1))`,
 * of which a random half is dropped ("equal jitter"): the delay still grows, and jobs that failed
 * together (a region went down) do not all come back in the same instant.
 */
export function backoffDelay(attempts: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { baseMs = 1000, maxMs = 5 * 60_000 } = options;
  const delay = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(delay / 2 + (random() * delay) / 2);
}

/** The text kept as the job's last error: the message, with its causes (a storage error's reason). */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e !== undefined && depth < 4; depth++) {
    parts.push(e instanceof Error ? e.message : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': caused by: ');
}
