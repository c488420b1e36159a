import { Command } from 'commander';
import { addNamespaceRegion, checkNamespace } from '../management/replication/regions.js';
import { withOperator } from './operator-context.js';
import { configOption, fail } from './options.js';
import { table } from './replication-format.js';

type Opts = { config?: string; json?: boolean };

export function namespaceRegionCommand(): Command {
  const region = new Command('namespace-region').description(
    "per-namespace required locations (Quay's UserRegion): every blob of the namespace is also replicated there",
  );
  region
    .command('add')
    .description('require LOCATION for every blob of NAMESPACE (created as an organization if missing); then run backfill-replication')
    .argument('<namespace>')
    .argument('<location>', 'a key of DISTRIBUTED_STORAGE_CONFIG')
    .addOption(configOption())
    .action(async (namespace: string, location: string, opts: Opts) => {
      await run(opts, async (ctx) => {
        const added = await addNamespaceRegion(ctx.config, ctx.metadata.stores, namespace, location);
        process.stdout.write(added ? `Added region ${location} to namespace ${namespace}\n` : `Namespace ${namespace} already has region ${location}\n`);
        if (added) process.stdout.write('Run `wharf backfill-replication` to replicate the blobs it already has\n');
      });
    });
  region
    .command('remove')
    .description('stop requiring LOCATION for NAMESPACE (copies already made stay)')
    .argument('<namespace>')
    .argument('<location>')
    .addOption(configOption())
    .action(async (namespace: string, location: string, opts: Opts) => {
      await run(opts, async (ctx) => {
        if (!(await ctx.metadata.stores.regions.remove(namespace, location))) throw new Error(`namespace ${namespace} has no region ${location}`);
        process.stdout.write(`Removed region ${location} from namespace ${namespace}\n`);
      });
    });
  region
    .command('list')
    .description('list namespace regions')
    .argument('[namespace]')
    .addOption(configOption())
    .option('--json', 'print as JSON')
    .action(async (namespace: string | undefined, opts: Opts) => {
      await run(opts, async (ctx) => {
        if (namespace !== undefined) checkNamespace(namespace);
        const rows = await ctx.metadata.stores.regions.list(namespace);
        if (opts.json) process.stdout.write(`${JSON.stringify(rows)}\n`);
        else process.stdout.write(rows.length === 0 ? 'no namespace regions\n' : `${table(['NAMESPACE', 'LOCATION'], rows.map((r) => [r.namespace, r.location]))}\n`);
      });
    });
  return region;
}

const run = async (opts: Opts, fn: Parameters<typeof withOperator>[2]) => {
  try {
    await withOperator(opts.config, {}, fn);
  } catch (err) {
    fail(err);
  }
};
