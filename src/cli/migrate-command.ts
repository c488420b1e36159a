import { Command } from 'commander';
import { configOption, fail } from './options.js';

export function migrateCommand(): Command {
  return new Command('migrate')
    .description('apply pending database migrations (serve does this at start unless --no-migrate)')
    .addOption(configOption())
    .option('--json', 'print the applied migrations as JSON')
    .action(async (opts: { config?: string; json?: boolean }) => {
      try {
        const { openMetadata, resolveConfig } = await import('../main.js');
        const config = resolveConfig(opts.config);
        const metadata = await openMetadata(config);
        try {
          const applied = await metadata.migrate();
          if (opts.json) process.stdout.write(`${JSON.stringify({ database: config.database.dialect, applied })}\n`);
          else process.stdout.write(applied.length === 0 ? 'database is up to date\n' : applied.map((m) => `applied ${m}\n`).join(''));
        } finally {
          await metadata.close();
        }
      } catch (err) {
        fail(err);
      }
    });
}
