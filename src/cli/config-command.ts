import { Command } from 'commander';
import { ConfigError } from '../config/index.js';
import { fail } from './options.js';

export function configCommand(): Command {
  const config = new Command('config').description('inspect configuration');
  config
    .command('validate')
    .description('check a Quay-style config.yaml: every problem is reported with its key path; exit 1 when invalid')
    .argument('<file>', 'the config.yaml to check')
    .option('--json', 'print the result as JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      try {
        const { loadConfig } = await import('../main.js');
        const loaded = loadConfig(file);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ valid: true, warnings: loaded.warnings, locations: loaded.storage.locations.map((l) => l.name), preference: loaded.storage.preference })}\n`);
        } else {
          for (const w of loaded.warnings) process.stdout.write(`warning: ${w}\n`);
          process.stdout.write(`${file}: valid (${loaded.storage.locations.length} storage location(s), database ${loaded.database.dialect})\n`);
        }
      } catch (err) {
        if (opts.json && err instanceof ConfigError) {
          process.stdout.write(`${JSON.stringify({ valid: false, problems: err.problems })}\n`);
          process.exitCode = 1;
        } else fail(err);
      }
    });
  return config;
}
