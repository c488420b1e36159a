/**
 * Runs the jobs of one kind (DESIGN §5.4, STYLE-ANCHORS §8.8): claims due jobs with a lease,
 * runs up to `concurrency` handlers at once, renews each lease while its handler runs, and ends
 * every run by completing, retrying with backoff, or burying the job. It wakes at once when the
 * notifier announces work and otherwise polls; either way the job table is the only truth.
 */
import type { JobRow, JobStore } from '../metadata/store.js';
import type { Logger } from '../observability/logger.js';
import type { WorkNotifier } from './notifier.js';
import { backoffDelay, errorText, LeaseLostError, PermanentJobError, type BackoffOptions } from './retry-policy.js';

export { PermanentJobError, LeaseLostError } from './retry-policy.js';

/** Does the job's work. Must stop (and leave nothing half-done) when `lease.signal` aborts. */
export type JobHandler = (job: JobRow, lease: { readonly signal: AbortSignal }) => Promise<void>;

/**
 * How a run ended, for metrics and logs. `lost`: the lease went to another worker (or the store
 * could not be told), so the job's fate is no longer this run's to decide.
 */
export interface JobResult {
  readonly job: JobRow;
  readonly outcome: 'completed' | 'retried' | 'buried' | 'lost';
  readonly ms: number;
  readonly error?: string;
}

export interface JobRunnerOptions {
  readonly kind: string;
  /** This process, e.g. `host:pid`; each claim's lease owner is `<workerId>#<n>`. */
  readonly workerId: string;
  readonly jobs: JobStore;
  readonly notifier: WorkNotifier;
  readonly handler: JobHandler;
  readonly logger: Logger;
  readonly concurrency?: number;
  readonly leaseMs?: number;
  readonly pollMs?: number;
  readonly maxAttempts?: number;
  readonly backoff?: BackoffOptions;
  readonly onResult?: (result: JobResult) => void;
}

interface Run {
  readonly job: JobRow;
  readonly owner: string;
  readonly controller: AbortController;
  leaseUntil: number;
  renewTimer?: NodeJS.Timeout;
  stopping?: boolean;
  done?: Promise<void>;
}

export class JobRunner {
  readonly #o: Required<Omit<JobRunnerOptions, 'backoff' | 'onResult'>> & Pick<JobRunnerOptions, 'backoff' | 'onResult'>;
  readonly #log: Logger;
  readonly #active = new Set<Run>();
  #started = false;
  #filling: Promise<void> | undefined;
  #again = false;
  #claims = 0;
  #pollTimer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(options: JobRunnerOptions) {
    this.#o = { concurrency: 2, leaseMs: 60_000, pollMs: 2000, maxAttempts: 10, ...options };
    this.#log = options.logger.child({ component: 'job-runner', kind: options.kind, worker: options.workerId });
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#unsubscribe = this.#o.notifier.subscribe(this.#o.kind, () => this.#wake());
    this.#pollTimer = setInterval(() => this.#wake(), this.#o.pollMs);
    this.#wake();
  }

  /**
   * Stops claiming and waits for running handlers; after `timeoutMs` aborts them, and their jobs
   * go back to pending, due now, for another worker (their attempt still counts).
   */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (!this.#started) return;
    this.#started = false;
    this.#unsubscribe?.();
    clearInterval(this.#pollTimer);
    await this.#filling;
    const settled = () => Promise.allSettled([...this.#active].map((r) => r.done));
    if (await within(settled(), timeoutMs)) return;
    this.#log.warn({ running: this.#active.size }, 'stopping: aborting jobs that are still running');
    for (const run of this.#active) {
      run.stopping = true;
      clearInterval(run.renewTimer);
      run.controller.abort(new Error('the worker is stopping'));
    }
    await within(settled(), Math.min(timeoutMs, 5000));
  }

  #wake(): void {
    if (!this.#started) return;
    if (this.#filling) {
      this.#again = true; // announced while claiming: look once more when this round ends
      return;
    }
    this.#filling = this.#fill().finally(() => (this.#filling = undefined));
  }

  async #fill(): Promise<void> {
    do {
      this.#again = false;
      while (this.#started && this.#active.size < this.#o.concurrency) {
        const owner = `${this.#o.workerId}#${++this.#claims}`;
        let job: JobRow | undefined;
        try {
          job = await this.#o.jobs.claim(this.#o.kind, owner, this.#o.leaseMs);
        } catch (err) {
          this.#log.warn({ err }, 'cannot claim jobs; trying again at the next poll');
          return;
        }
        if (!job) break;
        this.#launch(job, owner);
      }
    } while (this.#again && this.#started && this.#active.size < this.#o.concurrency);
  }

  #launch(job: JobRow, owner: string): void {
    const run: Run = { job, owner, controller: new AbortController(), leaseUntil: job.leaseUntil ?? Date.now() + this.#o.leaseMs };
    this.#active.add(run);
    run.renewTimer = setInterval(() => void this.#renew(run), Math.max(1, Math.floor(this.#o.leaseMs / 3)));
    run.done = this.#execute(run).finally(() => {
      clearInterval(run.renewTimer);
      this.#active.delete(run);
      this.#wake(); // a slot is free: take the next due job without waiting for the poll
    });
  }

  async #renew(run: Run): Promise<void> {
    const { job, owner, controller } = run;
    if (controller.signal.aborted) return;
    try {
      if (await this.#o.jobs.renew(job.id, owner, this.#o.leaseMs)) {
        run.leaseUntil = Date.now() + this.#o.leaseMs;
        return;
      }
      controller.abort(new LeaseLostError(job.id));
    } catch (err) {
      // The store is unreachable: keep going while the lease we hold lasts, but stop before
      // another worker may legitimately take the job over.
      this.#log.warn({ err, jobId: job.id }, 'cannot renew a job lease');
      if (Date.now() > run.leaseUntil - this.#o.leaseMs / 3) controller.abort(new LeaseLostError(job.id));
    }
  }

  async #execute(run: Run): Promise<void> {
    const { job, owner, controller } = run;
    const started = Date.now();
    let failure: { error: unknown } | undefined;
    try {
      await this.#o.handler(job, { signal: controller.signal });
    } catch (error) {
      failure = { error };
    }
    clearInterval(run.renewTimer);
    let result: Omit<JobResult, 'ms' | 'job'>;
    try {
      result = failure ? await this.#failed(run, failure.error) : { outcome: (await this.#o.jobs.complete(job.id, owner)) ? 'completed' : 'lost' };
    } catch (err) {
      // The store is unreachable: the lease will expire and the job run again (handlers are idempotent).
      result = { outcome: 'lost', error: errorText(failure ? failure.error : err) };
    }
    this.#report({ job, ms: Date.now() - started, ...result });
  }

  async #failed(run: Run, err: unknown): Promise<Omit<JobResult, 'ms' | 'job'>> {
    const { job, owner, controller } = run;
    const error = errorText(err);
    if (controller.signal.reason instanceof LeaseLostError) return { outcome: 'lost', error };
    const jobs = this.#o.jobs;
    if (err instanceof PermanentJobError || (job.attempts >= this.#o.maxAttempts && !run.stopping)) {
      const why = err instanceof PermanentJobError ? error : `${error} (gave up after ${job.attempts} attempts)`;
      return { outcome: (await jobs.bury(job.id, owner, why)) ? 'buried' : 'lost', error: why };
    }
    const runAfter = run.stopping ? Date.now() : Date.now() + backoffDelay(job.attempts, this.#o.backoff);
    return { outcome: (await jobs.retry(job.id, owner, error, runAfter)) ? 'retried' : 'lost', error };
  }

  #report(result: JobResult): void {
    const { job, outcome, ms, error } = result;
    const fields = { jobId: job.id, key: job.key, attempts: job.attempts, ms, outcome, error };
    if (outcome === 'completed') this.#log.debug(fields, 'job completed');
    else if (outcome === 'buried') this.#log.error(fields, 'job buried: it stays dead until an operator acts');
    else if (outcome === 'retried') this.#log.warn(fields, 'job failed; it will be retried');
    else this.#log.warn(fields, 'job lease lost; another worker will finish it');
    try {
      this.#o.onResult?.(result);
    } catch (err) {
      this.#log.warn({ err }, 'job result callback failed');
    }
  }
}

/** Resolves true when `promise` settles within `ms`, else false (without cancelling it). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
