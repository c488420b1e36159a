/**
 * `wharf user ...` as an operator runs it: a child process per command with the password on
 * stdin, then the account used against a real `wharf serve` in Database mode.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startServe, wharfArgv } from '../support/wharf-process.js';

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `wharf <args>` with `input` on stdin (a pipe: never a terminal). */
function wharf(args: string[], cwd: string, input = ''): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, wharfArgv(args), { cwd, timeout: 60_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

function basic(username: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}

describe('wharf user', () => {
  let dir = '';
  let config = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-user-cli-'));
    config = join(dir, 'config.yaml');
    // A config file means AUTHENTICATION_TYPE: Database (the default).
    await writeFile(config, `DB_URI: sqlite:///${join(dir, 'wharf.db')}\nDISTRIBUTED_STORAGE_CONFIG:\n  local: [LocalStorage, {storage_path: ${join(dir, 'storage')}}]\n`);
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('every user command has --help', async () => {
    const commands = [['user', '--help'], ['user', 'create', '--help'], ['user', 'set-password', '--help'], ['user', 'list', '--help']];
    const runs = await Promise.all(commands.map((args) => wharf(args, dir)));
    runs.forEach((res, i) => {
      assert.equal(res.code, 0, commands[i]!.join(' '));
      assert.match(res.stdout, /Usage: wharf user/, commands[i]!.join(' '));
    });
    assert.match(runs[1]!.stdout, /--superuser[\s\S]*--email <address>[\s\S]*--password-stdin/);
  });

  it('an unmigrated database fails with a hint, and nothing is created', async () => {
    const res = await wharf(['user', 'create', 'root', '--superuser', '--password-stdin', '--config', config], dir, 'root-password\n');
    assert.equal(res.code, 1);
    assert.match(res.stderr, /wharf migrate/);
  });

  it('creates a superuser from stdin who can then log in to the API', async () => {
    assert.equal((await wharf(['migrate', '--config', config], dir)).code, 0);
    const created = await wharf(['user', 'create', 'root', '--superuser', '--email', 'root@example.com', '--password-stdin', '--config', config], dir, 'root-password\n');
    assert.equal(created.code, 0, created.stderr);
    assert.equal(created.stdout, 'Created superuser root\n');
    assert.ok(!created.stdout.includes('root-password') && !created.stderr.includes('root-password'));

    // Without --password-stdin, a pipe gives one line.
    const plain = await wharf(['user', 'create', 'alice', '--config', config], dir, 'alice-password\nignored\n');
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, 'Created user alice\n');

    const list = await wharf(['user', 'list', '--json', '--config', config], dir);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout), [
      { username: 'alice', email: null, superuser: false, enabled: true },
      { username: 'root', email: 'root@example.com', superuser: true, enabled: true },
    ]);
    const text = await wharf(['user', 'list', '--config', config], dir);
    assert.match(text.stdout, /^USERNAME +EMAIL +SUPERUSER +ENABLED\nalice +- +no +yes\nroot +root@example\.com +yes +yes\n$/);

    const server = await startServe(['--config', config], { cwd: dir });
    try {
      const me = await fetch(`${server.origin}/api/v1/user/`, { headers: basic('root', 'root-password') });
      assert.equal(me.status, 200);
      const body = (await me.json()) as { username: string; super_user: boolean };
      assert.equal(body.username, 'root');
      assert.equal(body.super_user, true);
      assert.equal((await fetch(`${server.origin}/api/v1/superuser/users/`, { headers: basic('root', 'root-password') })).status, 200);
      assert.equal((await fetch(`${server.origin}/api/v1/superuser/users/`, { headers: basic('alice', 'alice-password') })).status, 403);

      const changed = await wharf(['user', 'set-password', 'alice', '--config', config], dir, 'alice-second-password\n');
      assert.equal(changed.code, 0, changed.stderr);
      assert.equal(changed.stdout, 'Password of alice changed\n');
      assert.equal((await fetch(`${server.origin}/api/v1/user/`, { headers: basic('alice', 'alice-second-password') })).status, 200);
      assert.equal((await fetch(`${server.origin}/api/v1/user/`, { headers: basic('alice', 'alice-password') })).status, 401);
    } finally {
      await server.stop();
    }
  });

  it('bad input exits 1 with the reason and creates nothing', async () => {
    const cases: [string[], string, RegExp][] = [
      [['user', 'create', 'Bad Name'], 'long-enough\n', /username "Bad Name" is invalid/],
      [['user', 'create', 'bob', '--email', 'nope'], 'long-enough\n', /not a valid e-mail/],
      [['user', 'create', 'bob'], 'short\n', /at least 8 characters/],
      [['user', 'create', 'bob', '--password-stdin'], '', /at least 8 characters/],
      [['user', 'create', 'bob'], '', /no password on stdin/],
      [['user', 'create', 'root', '--password-stdin'], 'long-enough', /already exists/],
      [['user', 'set-password', 'nobody', '--password-stdin'], 'long-enough', /does not exist/],
    ];
    // None of them writes, so they may run side by side.
    const runs = await Promise.all(cases.map(([args, input]) => wharf([...args, '--config', config], dir, input)));
    runs.forEach((res, i) => {
      const [args, , message] = cases[i]!;
      assert.equal(res.code, 1, `${args.join(' ')}: ${res.stdout}`);
      assert.match(res.stderr, message, args.join(' '));
    });
    const list = await wharf(['user', 'list', '--json', '--config', config], dir);
    assert.deepEqual((JSON.parse(list.stdout) as { username: string }[]).map((u) => u.username), ['alice', 'root']);
  });
});
