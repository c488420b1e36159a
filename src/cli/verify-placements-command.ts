import { Command } from 'commander';
import { verifyPlacements, type VerifyReport } from '../management/replication/verify.js';
import { withOperator } from './operator-context.js';
import { configOption, fail } from './options.js';
import { positiveInt } from './parse.js';
import { progress } from './progress.js';
import { blobText } from './replication-format.js';

interface Options {
  config?: string;
  repair?: boolean;
  full?: boolean;
  json?: boolean;
  batchSize: number;
}

export function verifyPlacementsCommand(): Command {
  return new Command('verify-placements')
    .description(
      'check every placement against its storage location (object present with the recorded size; --full: digest). ' +
        'Exit 0 when all verify (or all drift was repaired and every blob keeps a copy), 2 when drift is found without --repair, ' +
        '1 on errors or when blobs have no verified copy',
    )
    .addOption(configOption())
    .option('--repair', 'drop bad placements and enqueue replication for the affected blobs')
    .option('--full', 're-read every object and compare its digest (slow: reads all bytes)')
    .option('--json', 'print the report as JSON')
    .option('--batch-size <n>', 'blobs per batch', positiveInt, 500)
    .action(async (opts: Options) => {
      try {
        await withOperator(opts.config, {}, async (ctx) => {
          const drivers = await ctx.drivers();
          const locationNames = new Map([...ctx.locationIds].map(([name, id]) => [id, name]));
          const bar = progress(await ctx.metadata.stores.replication.blobCount(), { enabled: !opts.json, label: 'verifying' });
          const report = await verifyPlacements(
            { metadata: ctx.metadata, drivers, locationNames, defaults: ctx.defaults },
            { full: !!opts.full, repair: !!opts.repair, batchSize: opts.batchSize },
            (blobs, findings) => {
              if (!opts.json) for (const f of findings) bar.line(`${f.kind === 'error' ? 'ERROR' : `DRIFT ${f.kind}`}: blob ${blobText(f.blob)} at ${f.location}: ${f.detail}`);
              bar.advance(blobs);
            },
          ).finally(() => bar.done());
          if (report.enqueued > 0) await ctx.announceReplication();
          if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
          else printSummary(report, !!opts.repair);
          process.exitCode = exitCode(report, !!opts.repair);
        });
      } catch (err) {
        fail(err);
      }
    });
}

function exitCode(report: VerifyReport, repair: boolean): number {
  if (report.withoutCopy.length > 0 || report.findings.some((f) => f.kind === 'error')) return 1;
  const repairable = report.findings.filter((f) => f.kind !== 'unconfigured').length;
  if (repairable > 0 && !repair) return 2;
  return report.findings.some((f) => f.kind === 'unconfigured') ? 2 : 0;
}

function printSummary(report: VerifyReport, repair: boolean): void {
  const drift = report.findings.filter((f) => f.kind !== 'error').length;
  const errors = report.findings.length - drift;
  process.stdout.write(`Verified ${report.placements} placement(s) of ${report.blobs} blob(s): ${report.verified} ok, ${drift} drift, ${errors} error(s)\n`);
  if (repair) process.stdout.write(`Dropped ${report.dropped} bad placement(s); enqueued ${report.enqueued} blob(s) for replication\n`);
  else if (drift > 0) process.stdout.write('Run again with --repair to drop the bad placements and re-replicate those blobs\n');
  if (report.findings.some((f) => f.kind === 'unconfigured')) {
    process.stdout.write('Placements at unconfigured locations are kept: add the location back to the config, or run `wharf remove-location`\n');
  }
  for (const b of report.withoutCopy) process.stderr.write(`ERROR: blob ${blobText(b)} has NO verified copy in any location; push it again\n`);
}
