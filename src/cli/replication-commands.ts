/** The geo-replication operator commands, registered on the `wharf` program by cli/main.ts. */
import type { Command } from 'commander';
import { backfillReplicationCommand } from './backfill-replication-command.js';
import { namespaceRegionCommand } from './namespace-region-command.js';
import { removeLocationCommand } from './remove-location-command.js';
import { replicationCommand } from './replication-status-command.js';
import { verifyPlacementsCommand } from './verify-placements-command.js';

export function addReplicationCommands(program: Command): Command {
  return program
    .addCommand(backfillReplicationCommand())
    .addCommand(removeLocationCommand())
    .addCommand(replicationCommand())
    .addCommand(verifyPlacementsCommand())
    .addCommand(namespaceRegionCommand());
}
