/**
 * `wharf user create|set-password|list`: accounts from the command line, above all the first
 * superuser of a new Database-mode registry. Passwords come from a no-echo prompt or stdin,
 * never from an argument. Changes are audited like the API's, with performer `anonymous` and
 * `source: cli` (the operator is whoever can open the database).
 */
import { Command } from 'commander';
import { ANONYMOUS, type Actor } from '../auth/principal.js';
import type { Config } from '../config/index.js';
import { checkNamespaceName, normalizeEmail } from '../management/account-rules.js';
import { createUser, setPassword } from '../management/users.js';
import type { UserRow } from '../metadata/store.js';
import { withOperator } from './operator-context.js';
import { configOption, fail } from './options.js';
import { readPassword } from './password-input.js';
import { table } from './replication-format.js';

const CLI: Actor = { principal: ANONYMOUS, ip: undefined };
const FROM_CLI = { source: 'cli' };
const PAGE = 500;

interface CreateOptions {
  config?: string;
  superuser?: boolean;
  email?: string;
  passwordStdin?: boolean;
}

export function userCommand(): Command {
  const user = new Command('user').description('create users, set their passwords, list them (Database authentication)');
  user
    .command('create')
    .description('create a user who logs in with a password (from a no-echo prompt, one line of piped stdin, or --password-stdin)')
    .argument('<name>', 'the user name (lowercase letters, digits, single . _ - separators)')
    .addOption(configOption())
    .option('--superuser', 'make the user a superuser')
    .option('--email <address>', "the user's e-mail address")
    .option('--password-stdin', 'read the password from stdin (all of it, one trailing newline dropped)')
    .action(async (name: string, opts: CreateOptions) => {
      await run(async () => {
        // Bad input fails before anyone types a password.
        checkNamespaceName(name);
        normalizeEmail(opts.email);
        const password = await readPassword({ fromStdin: !!opts.passwordStdin, prompt: `Password for ${name}: ` });
        await withOperator(opts.config, { sync: false }, async (ctx) => {
          warnIfOpen(ctx.config);
          await createUser(ctx.metadata, CLI, { username: name, email: opts.email, password, superuser: !!opts.superuser }, FROM_CLI);
          process.stdout.write(`Created ${opts.superuser ? 'superuser' : 'user'} ${name}\n`);
        });
      });
    });
  user
    .command('set-password')
    .description("replace a user's password (same input rules as create)")
    .argument('<name>')
    .addOption(configOption())
    .option('--password-stdin', 'read the password from stdin (all of it, one trailing newline dropped)')
    .action(async (name: string, opts: { config?: string; passwordStdin?: boolean }) => {
      await run(async () => {
        const password = await readPassword({ fromStdin: !!opts.passwordStdin, prompt: `New password for ${name}: ` });
        await withOperator(opts.config, { sync: false }, async (ctx) => {
          warnIfOpen(ctx.config);
          await setPassword(ctx.metadata, CLI, name, password, FROM_CLI);
          process.stdout.write(`Password of ${name} changed\n`);
        });
      });
    });
  user
    .command('list')
    .description('list the users (superusers include those in SUPER_USERS)')
    .addOption(configOption())
    .option('--json', 'print a JSON array')
    .action(async (opts: { config?: string; json?: boolean }) => {
      await run(() =>
        withOperator(opts.config, { sync: false }, async (ctx) => {
          const users = await allUsers(ctx.metadata.stores.accounts.listUsers.bind(ctx.metadata.stores.accounts));
          const listed = new Set(ctx.config.access.superUsers);
          const rows = users.map((u) => ({ username: u.name, email: u.email ?? null, superuser: u.superuser || listed.has(u.name), enabled: u.enabled }));
          if (opts.json) {
            process.stdout.write(`${JSON.stringify(rows)}\n`);
            return;
          }
          if (rows.length === 0) {
            process.stdout.write('no users\n');
            return;
          }
          const yes = (b: boolean) => (b ? 'yes' : 'no');
          process.stdout.write(`${table(['USERNAME', 'EMAIL', 'SUPERUSER', 'ENABLED'], rows.map((r) => [r.username, r.email ?? '-', yes(r.superuser), yes(r.enabled)]))}\n`);
        }),
      );
    });
  return user;
}

async function allUsers(list: (page: { last?: string; n: number }) => Promise<UserRow[]>): Promise<UserRow[]> {
  const users: UserRow[] = [];
  for (let last: string | undefined; ; ) {
    const page = await list({ last, n: PAGE });
    users.push(...page);
    if (page.length < PAGE) return users;
    last = page[page.length - 1]?.name;
  }
}

function warnIfOpen(config: Config): void {
  if (config.authenticationType === 'Open') {
    process.stderr.write(`note: AUTHENTICATION_TYPE is Open in ${config.source}: accounts are not checked until it is Database\n`);
  }
}

async function run(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (err) {
    fail(err);
  }
}
