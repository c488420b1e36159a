#!/usr/bin/env node
import { Command } from 'commander';
import { configCommand } from './config-command.js';
import { migrateCommand } from './migrate-command.js';
import { addReplicationCommands } from './replication-commands.js';
import { serveCommand } from './serve-command.js';
import { userCommand } from './user-command.js';

const program = new Command()
  .name('wharf')
  .description('Wharf: an OCI container registry with Quay-style geo-replication')
  .showHelpAfterError()
  .addCommand(serveCommand())
  .addCommand(migrateCommand())
  .addCommand(configCommand())
  .addCommand(userCommand());
addReplicationCommands(program);

await program.parseAsync(process.argv);
