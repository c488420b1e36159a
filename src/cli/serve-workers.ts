/**
 * `wharf serve --workers N`: one supervising process and N serving processes (node:cluster)
 * that share the listening port. One Node process answers on one core; the manifest GET hot
 * path needs every core to come near a static file server.
 *
 * Nothing in a serving process assumes it is alone: every write goes through the shared
 * database, caches check versions every process sees (the SQLite file's commit counter, or
 * Redis), and upload hash states missing in one process are rebuilt from storage. What runs
 * once per deployment is given to worker 1 only: migrations, first-start setup (signing key,
 * initial superuser) and the background replication worker. Worker 1 starts alone and the
 * others start once it listens, so they never race it through that setup.
 *
 * The supervisor restarts a worker that dies, with the same index and roles; one that keeps
 * dying (MAX_RESTARTS within RESTART_WINDOW_MS) stops the whole server with exit code 1, as a
 * worker that cannot start does. SIGTERM or SIGINT stop every worker gracefully.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Logger } from '../observability/logger.js';

/** Set in each serving process's environment: its index, 1..N. */
export const WORKER_INDEX_ENV = 'WHARF_WORKER_INDEX';

const RESTART_DELAY_MS = 1000;
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;
/** A worker still running this long after SIGTERM is killed. */
const STOP_TIMEOUT_MS = 30_000;

/** `--workers` value: a positive integer, or `auto` for one per core. */
export function parseWorkerCount(value: string): number {
  if (value === 'auto') return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--workers must be a positive integer or "auto", got ${value}`);
  return n;
}

/** This process's worker index when it is one of `serve --workers N`'s processes. */
export function workerIndex(env: NodeJS.ProcessEnv = process.env): number | undefined {
  if (!cluster.isWorker) return undefined;
  const index = Number(env[WORKER_INDEX_ENV]);
  return Number.isInteger(index) && index >= 1 ? index : undefined;
}

export interface SupervisorOptions {
  readonly workers: number;
  readonly logger: Logger;
}

const FACTS_MESSAGE = 'wharf:facts';

/** Worker 1 tells the supervisor what it runs with (config, roles, database...), for the "serving" line. */
export function reportFacts(facts: Record<string, unknown>): void {
  process.send?.({ type: FACTS_MESSAGE, facts });
}

const origin = (address: { address: string; port: number; addressType: number | string }) =>
  `http://${address.addressType === 6 ? `[${address.address}]` : address.address}:${address.port}`;

/** Runs in the primary process: forks, watches and stops the serving processes. */
export function superviseWorkers(options: SupervisorOptions): void {
  const { workers, logger } = options;
  const byIndex = new Map<number, Worker>();
  const indexOf = new Map<Worker, number>();
  const restarts = new Map<number, number[]>();
  let listening = 0;
  let facts: Record<string, unknown> = {};
  let started = false;
  let stopping = false;

  const fork = (index: number) => {
    const worker = cluster.fork({ [WORKER_INDEX_ENV]: String(index) });
    byIndex.set(index, worker);
    indexOf.set(worker, index);
    return worker;
  };

  const stop = (signal: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    process.exitCode = exitCode;
    logger.info({ signal, workers: byIndex.size }, 'shutting down');
    const alive = [...byIndex.values()].filter((w) => !w.isDead());
    if (alive.length === 0) return void process.exit(exitCode);
    for (const worker of alive) worker.process.kill('SIGTERM');
    setTimeout(() => {
      for (const worker of byIndex.values()) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }, STOP_TIMEOUT_MS).unref();
  };

  cluster.on('listening', (worker, address) => {
    if (started) return void logger.info({ worker: indexOf.get(worker), pid: worker.process.pid }, 'worker restarted');
    listening++;
    // Worker 1 has migrated and set up; the others may start now.
    if (indexOf.get(worker) === 1) for (let i = 2; i <= workers; i++) fork(i);
    if (listening === workers) {
      started = true;
      logger.info({ address: origin(address), workers, supervisor: process.pid, ...facts }, 'wharf is serving');
    }
  });

  cluster.on('message', (_worker, message: { type?: string; facts?: Record<string, unknown> }) => {
    if (message?.type === FACTS_MESSAGE && message.facts) facts = message.facts;
  });

  cluster.on('exit', (worker, code, signal) => {
    const index = indexOf.get(worker) ?? 0;
    indexOf.delete(worker);
    if (byIndex.get(index) === worker) byIndex.delete(index);
    if (stopping) {
      if (byIndex.size === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    logger.error({ worker: index, pid: worker.process.pid, code, signal }, 'worker exited');
    if (!started) return stop('worker failed to start', 1);
    const now = Date.now();
    const recent = (restarts.get(index) ?? []).filter((t) => now - t < RESTART_WINDOW_MS);
    if (recent.length >= MAX_RESTARTS) {
      logger.error({ worker: index, restarts: recent.length, windowMs: RESTART_WINDOW_MS }, 'worker keeps exiting; stopping the server');
      return stop('worker keeps exiting', 1);
    }
    restarts.set(index, [...recent, now]);
    setTimeout(() => {
      if (!stopping) fork(index);
    }, RESTART_DELAY_MS);
  });

  process.once('SIGINT', () => stop('SIGINT', 0));
  process.once('SIGTERM', () => stop('SIGTERM', 0));
  fork(1);
}
