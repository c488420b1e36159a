import { Command } from 'commander';
import { totalMissing, waitForReplication, type WaitOutcome } from '../management/replication/wait.js';
import type { ReplicationStatus } from '../metadata/store.js';
import { withOperator } from './operator-context.js';
import { configOption, fail } from './options.js';
import { seconds } from './parse.js';
import { replicationStatusView } from '../management/storage-views.js';
import { blobText, statusText } from './replication-format.js';

interface Options {
  config?: string;
  json?: boolean;
  wait?: boolean;
  timeout: number;
  interval: number;
}

/** Exit codes of `--wait`: converged, will not converge (dead jobs, blobs without a copy), timed out. */
const EXIT: Record<WaitOutcome, number> = { converged: 0, dead: 1, unreplicable: 1, timeout: 2 };

export function replicationCommand(): Command {
  const replication = new Command('replication').description('geo-replication: status per storage location');
  replication
    .command('status')
    .description(
      'per location: blobs required, present, missing, queued, dead, and the oldest pending job. ' +
        'With --wait: exit 0 once nothing is missing, 1 early when it never will be (dead jobs, blobs with no copy), 2 on timeout',
    )
    .addOption(configOption())
    .option('--json', 'print the status as JSON')
    .option('--wait', 'poll until every required placement exists')
    .option('--timeout <seconds>', 'give up waiting after this long (exit 2)', seconds, 600_000)
    .option('--interval <seconds>', 'time between polls', seconds, 2_000)
    .action(async (opts: Options) => {
      try {
        await withOperator(opts.config, {}, async (ctx) => {
          const read = () => ctx.metadata.stores.replication.status(ctx.defaults);
          const print = (status: ReplicationStatus, extra: object = {}) =>
            process.stdout.write(opts.json ? `${JSON.stringify({ ...replicationStatusView(status), ...extra })}\n` : statusText(status));
          if (!opts.wait) return print(await read());
          if (!ctx.config.storage.replication) process.stderr.write('note: FEATURE_STORAGE_REPLICATION is false: no worker replicates, waiting may not end\n');
          const { outcome, status } = await waitForReplication(read, {
            timeoutMs: opts.timeout,
            intervalMs: Math.max(50, opts.interval),
            onPoll: (s) => {
              if (!opts.json && process.stderr.isTTY) process.stderr.write(`\rwaiting: ${totalMissing(s)} placement(s) missing `);
            },
          });
          if (!opts.json && process.stderr.isTTY) process.stderr.write('\n');
          print(status, { outcome });
          if (!opts.json) explain(outcome, status);
          process.exitCode = EXIT[outcome];
        });
      } catch (err) {
        fail(err);
      }
    });
  return replication;
}

function explain(outcome: WaitOutcome, status: ReplicationStatus): void {
  const err = (line: string) => process.stderr.write(`${line}\n`);
  if (outcome === 'dead') {
    err('replication will not converge: dead jobs for blobs still missing a location (fix the cause, then run `wharf backfill-replication`):');
    for (const j of status.deadJobs) err(`  blob ${blobText(j.blob)} after ${j.attempts} attempt(s): ${j.lastError ?? 'no error recorded'}`);
  } else if (outcome === 'unreplicable') {
    err(`replication will not converge: ${status.unreplicable} blob(s) missing a location have no verified copy anywhere (run \`wharf verify-placements\`, push them again)`);
  } else if (outcome === 'timeout') {
    const missing = status.locations.filter((l) => l.missing > 0).map((l) => `${l.name}: ${l.missing} missing (${l.queued} queued)`);
    err(`timed out with ${totalMissing(status)} placement(s) still missing: ${missing.join('; ')}`);
  }
}
