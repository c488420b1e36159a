import { Command } from 'commander';
import { backfillReplication } from '../management/replication/backfill.js';
import { REPLICATION_DISABLED } from '../management/replication/remove-location.js';
import { configOption, fail } from './options.js';
import { withOperator } from './operator-context.js';
import { positiveInt } from './parse.js';
import { progress } from './progress.js';
import { blobText } from './replication-format.js';

interface Options {
  config?: string;
  dryRun?: boolean;
  batchSize: number;
  json?: boolean;
}

export function backfillReplicationCommand(): Command {
  return new Command('backfill-replication')
    .description('enqueue replication for every blob missing a required location (default locations + namespace regions); safe to repeat')
    .addOption(configOption())
    .option('--dry-run', 'list the blobs that would be enqueued, change nothing')
    .option('--batch-size <n>', 'blobs scanned per statement', positiveInt, 1000)
    .option('--json', 'print one JSON summary (with every blob) instead of lines')
    .action(async (opts: Options) => {
      try {
        await withOperator(opts.config, {}, async (ctx) => {
          if (!ctx.config.storage.replication) {
            process.stderr.write(`${REPLICATION_DISABLED}\n`);
            process.exitCode = 1;
            return;
          }
          const store = ctx.metadata.stores.replication;
          if (ctx.defaults.length === 0 && (await ctx.metadata.stores.regions.list()).length === 0) {
            process.stderr.write('note: DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS is empty and no namespace has a region: no blob is required anywhere\n');
          }
          const bar = progress(await store.blobCount(), { enabled: !opts.json, label: opts.dryRun ? 'checking' : 'backfilling' });
          const verb = opts.dryRun ? 'Would enqueue' : 'Enqueueing';
          const blobs: { uuid: string; digest: string }[] = [];
          const totals = await backfillReplication(store, ctx.defaults, { dryRun: !!opts.dryRun, batchSize: opts.batchSize }, (batch) => {
            for (const b of batch.blobs) {
              if (opts.json) blobs.push({ uuid: b.uuid, digest: b.digest });
              else bar.line(`${verb} blob ${b.uuid} to be replicated`);
            }
            bar.advance(batch.scanned);
          }).finally(() => bar.done());
          if (totals.enqueued > 0) await ctx.announceReplication();
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ ...totals, lost: totals.lost.map((b) => ({ uuid: b.uuid, digest: b.digest })), blobs })}\n`);
            return;
          }
          for (const b of totals.lost) process.stderr.write(`WARNING: blob ${blobText(b)} has no verified copy in any location; it cannot be replicated (push it again)\n`);
          const done = opts.dryRun ? `${totals.toEnqueue} would be enqueued` : `${totals.enqueued} enqueued`;
          process.stdout.write(
            `${opts.dryRun ? 'Dry run: scanned' : 'Scanned'} ${totals.scanned} blob(s): ${done}, ${totals.alreadyQueued} already queued, ` +
              `${totals.complete} complete, ${totals.lost.length} without any copy\n`,
          );
        });
      } catch (err) {
        fail(err);
      }
    });
}
