import cluster from 'node:cluster';
import { Command, Option } from 'commander';
import type { App } from '../main.js';
import { type Role, ROLES } from '../roles.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { configOption, fail } from './options.js';
import { parseWorkerCount, reportFacts, superviseWorkers, workerIndex } from './serve-workers.js';

interface ServeOptions {
  config?: string;
  host: string;
  port: string;
  roles: string;
  migrate: boolean;
  replicationConcurrency: string;
  workers: string;
}

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the registry (HTTP API) on the configured database and storage')
    .addOption(configOption())
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('-p, --port <port>', 'port to listen on', '5000')
    .addOption(new Option('--roles <roles>', `comma-separated roles to run: web (the HTTP API), replication (the replication worker; only with FEATURE_STORAGE_REPLICATION)`).default(ROLES.join(',')))
    .addOption(
      new Option('--workers <n>', 'serving processes sharing the port (node:cluster); "auto" = one per core. Worker 1 also migrates and runs the replication role')
        .default('1')
        .env('WHARF_WORKERS'),
    )
    .option('--replication-concurrency <n>', 'blobs this process copies at once (replication role)', '8')
    .option('--no-migrate', 'do not apply database migrations at start')
    .action(async (opts: ServeOptions) => {
      const index = workerIndex();
      const logger = createLogger(index === undefined ? {} : { bindings: { worker: index } });
      try {
        const roles = opts.roles.split(',').map((r) => r.trim());
        const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
        if (unknown.length > 0) throw new Error(`unknown role(s) ${unknown.join(', ')}; known: ${ROLES.join(', ')}`);
        const workers = parseWorkerCount(opts.workers);
        if (workers > 1 && !roles.includes('web')) throw new Error('--workers needs the web role: background roles run in one process');
        const replicationConcurrency = Number(opts.replicationConcurrency);
        if (!Number.isInteger(replicationConcurrency) || replicationConcurrency < 1) throw new Error('--replication-concurrency must be a positive integer');
        // The supervisor of --workers N loads neither the application nor the config (worker 1
        // reports what it runs with), so it stays small; a bad config stops worker 1, then it.
        if (workers > 1 && cluster.isPrimary) return superviseWorkers({ workers, logger });
        const { buildApp, resolveConfig } = await import('../main.js');
        const config = resolveConfig(opts.config);
        const facts = {
          config: config.source,
          roles,
          authentication: config.authenticationType,
          database: config.database.dialect,
          preference: config.storage.preference,
          replication: config.storage.replication,
        };
        // Once per server: the single process, or worker 1. In a cluster, workers 2..N start after
        // worker 1 has migrated and leave the background roles to it.
        const first = index === undefined || index === 1;
        const ownRoles = (first ? roles : roles.filter((r) => r === 'web')) as Role[];
        if (first) {
          for (const warning of config.warnings) logger.warn({ config: config.source }, warning);
          if (config.authenticationType === 'Open') {
            logger.warn({ config: config.source }, 'AUTHENTICATION_TYPE is Open: every request is allowed (local-development mode)');
          }
        }
        if (index === 1) reportFacts(facts);
        await serve(logger, opts, { ...facts, roles: ownRoles }, index, () => buildApp(config, logger, { migrate: opts.migrate && first, roles: ownRoles, replicationConcurrency }));
      } catch (err) {
        logger.flush();
        fail(err);
        // A cluster worker's channel to the supervisor would keep it alive; the supervisor sees the exit.
        if (cluster.isWorker) process.exit(1);
      }
    });
}

/** Builds the app, listens, and closes it on SIGINT/SIGTERM (or when it cannot listen). */
async function serve(logger: Logger, opts: ServeOptions, facts: Record<string, unknown> & { roles: string[] }, index: number | undefined, build: () => Promise<App>): Promise<void> {
  const app = await build();
  let stopping: Promise<void> | undefined;
  const stop = (signal: string, exitCode: number) => {
    stopping ??= (async () => {
      logger.info({ signal }, 'shutting down');
      await app.close();
      logger.flush();
      process.exit(exitCode);
    })();
    return stopping;
  };
  process.once('SIGINT', () => void stop('SIGINT', 0));
  process.once('SIGTERM', () => void stop('SIGTERM', 0));
  if (!facts.roles.includes('web')) return void logger.info(facts, 'wharf is running without the HTTP API');
  try {
    const address = await app.server.listen({ host: opts.host, port: Number(opts.port) });
    // A worker's line has no `address` field: the supervisor announces the server once every worker listens.
    if (index === undefined) logger.info({ address, ...facts }, 'wharf is serving');
    else logger.info({ listening: address, pid: process.pid, ...facts }, 'worker is serving');
  } catch (err) {
    fail(err);
    await stop('listen failed', 1);
  }
}
