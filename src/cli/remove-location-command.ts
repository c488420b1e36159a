import { Command } from 'commander';
import { lastCopyAdvice, removalRefusal, stillConfigured } from '../management/replication/remove-location.js';
import { LastCopyError } from '../metadata/store.js';
import { confirm } from './confirm.js';
import { withOperator } from './operator-context.js';
import { configOption } from './options.js';
import { blobText } from './replication-format.js';

interface Options {
  config?: string;
  yes?: boolean;
  force?: boolean;
  quiet?: boolean;
}

/** Quay's prompt, word for word. */
export const removePrompt = (name: string): string =>
  `WARNING: This is a destructive operation. Are you sure you want to remove ${name} from your storage locations? [y/n] `;

export function removeLocationCommand(): Command {
  return new Command('remove-location')
    .description(
      'remove a storage location from the database in one transaction: its uploads, namespace regions, placements and row. ' +
        'Refuses while the location is still configured, or while some blob has its only verified copy there, unless --force. ' +
        'Exit 0 when removed; 1 on refusal, cancel or error.',
    )
    .argument('<name>', 'the location (a key of DISTRIBUTED_STORAGE_CONFIG)')
    .addOption(configOption())
    .option('-y, --yes', 'do not ask for confirmation')
    .option('--force', 'remove even if still configured, and even if blobs lose their only verified copy')
    .option('-q, --quiet', 'one count line instead of a line per deleted placement')
    .action(async (name: string, opts: Options) => {
      const error = (message: string) => {
        process.stderr.write(`Error removing storage location: ${message}\n`);
        process.exitCode = 1;
      };
      try {
        await withOperator(opts.config, { sync: false }, async (ctx) => {
          const refusal = removalRefusal(ctx.config, name, !!opts.force);
          if (refusal) return error(refusal.message);
          if (stillConfigured(ctx.config, name)) {
            process.stderr.write(`warning: ${name} is still listed in DISTRIBUTED_STORAGE_CONFIG of ${ctx.config.source}; the next start of an instance with it re-creates the location\n`);
          }
          if (!opts.yes) {
            const answer = await confirm(removePrompt(name));
            if (answer === 'no-answer') return error('no confirmation: standard input ended without an answer; pass --yes to run unattended');
            if (answer === 'no') {
              process.stdout.write('Canceling operation...\n');
              process.exitCode = 1; // nothing was done (Quay exits 0 here)
              return;
            }
          }
          const result = await ctx.metadata.stores.replication.removeLocation(name, { force: !!opts.force });
          const out: string[] = [`Removed ${result.uploadsRemoved} temporary blobs from blobupload table.`];
          if (opts.quiet) out.push(`Deleted ${result.placementIds.length} placements`);
          else for (const id of result.placementIds) out.push(`Deleted placement ${id}`);
          if (result.regionsRemoved > 0) out.push(`Removed ${result.regionsRemoved} namespace region(s) for ${name}`);
          if (result.jobsDropped > 0) out.push(`Dropped ${result.jobsDropped} pending replication job(s) of blobs left without a copy`);
          out.push(`Deleted location ${name}`);
          process.stdout.write(`${out.join('\n')}\n`);
          if (result.orphanedBlobs.length > 0) {
            const lines = result.orphanedBlobs.map((b) => `  blob ${blobText(b)}`);
            process.stderr.write(`WARNING: ${result.orphanedBlobs.length} blob(s) had their only verified copy at ${name} and now have none:\n${lines.join('\n')}\n`);
          }
        });
      } catch (err) {
        if (err instanceof LastCopyError) error(lastCopyAdvice(err.location, err.blobs));
        else error(err instanceof Error ? err.message : String(err));
      }
    });
}
