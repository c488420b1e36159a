import { Command, Option } from 'commander';
import { buildApp, resolveConfig, type Role, ROLES } from '../main.js';
import { createLogger } from '../observability/logger.js';
import { configOption, fail } from './options.js';

export function serveCommand(): Command {
  return new Command('serve')
    .description('run the registry (HTTP API) on the configured database and storage')
    .addOption(configOption())
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('-p, --port <port>', 'port to listen on', '5000')
    .addOption(new Option('--roles <roles>', `comma-separated roles to run: web (the HTTP API), replication (the replication worker; only with FEATURE_STORAGE_REPLICATION)`).default(ROLES.join(',')))
    .option('--replication-concurrency <n>', 'blobs this process copies at once (replication role)', '8')
    .option('--no-migrate', 'do not apply database migrations at start')
    .action(async (opts: { config?: string; host: string; port: string; roles: string; migrate: boolean; replicationConcurrency: string }) => {
      const logger = createLogger();
      try {
        const roles = opts.roles.split(',').map((r) => r.trim());
        const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
        if (unknown.length > 0) throw new Error(`unknown role(s) ${unknown.join(', ')}; known: ${ROLES.join(', ')}`);
        const config = resolveConfig(opts.config);
        for (const warning of config.warnings) logger.warn({ config: config.source }, warning);
        if (config.authenticationType === 'Open') {
          logger.warn({ config: config.source }, 'AUTHENTICATION_TYPE is Open: every request is allowed (local-development mode)');
        }
        const replicationConcurrency = Number(opts.replicationConcurrency);
        if (!Number.isInteger(replicationConcurrency) || replicationConcurrency < 1) throw new Error('--replication-concurrency must be a positive integer');
        const app = await buildApp(config, logger, { migrate: opts.migrate, roles: roles as Role[], replicationConcurrency });
        const stop = async (signal: string) => {
          logger.info({ signal }, 'shutting down');
          await app.close();
          process.exit(0);
        };
        process.once('SIGINT', () => void stop('SIGINT'));
        process.once('SIGTERM', () => void stop('SIGTERM'));
        const facts = {
          config: config.source,
          roles,
          authentication: config.authenticationType,
          database: config.database.dialect,
          preference: config.storage.preference,
          replication: config.storage.replication,
        };
        if (roles.includes('web')) {
          const address = await app.server.listen({ host: opts.host, port: Number(opts.port) });
          logger.info({ address, ...facts }, 'wharf is serving');
        } else {
          logger.info(facts, 'wharf is running without the HTTP API');
        }
      } catch (err) {
        logger.flush();
        fail(err);
      }
    });
}
