/**
 * The `wharf` CLI as an operator runs it: a child process per command, checked by exit code
 * and output. Uses the TypeScript sources through tsx, so no build step is needed.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startServe, wharfArgv } from '../support/wharf-process.js';


async function wharf(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, wharfArgv(args), { cwd, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('wharf CLI', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-cli-'));
  });
  after(async () => rm(dir, { recursive: true, force: true }));

  it('every command has --help', async () => {
    for (const args of [['--help'], ['serve', '--help'], ['migrate', '--help'], ['config', 'validate', '--help']]) {
      const res = await wharf(args, dir);
      assert.equal(res.code, 0, args.join(' '));
      assert.match(res.stdout, /Usage: wharf/, args.join(' '));
    }
    assert.match((await wharf(['serve', '--help'], dir)).stdout, /--config <file>[\s\S]*--port <port>/);
  });

  it('config validate accepts a Quay config and names each problem of a bad one', async () => {
    const good = join(dir, 'good.yaml');
    await writeFile(good, ['DB_URI: sqlite:///wharf.db', 'AUTHENTICATION_TYPE: Open', 'DISTRIBUTED_STORAGE_CONFIG:', '  local_us:', '    - LocalStorage', '    - storage_path: /tmp/wharf-us', 'DISTRIBUTED_STORAGE_PREFERENCE: [local_us]', 'SETUP_COMPLETE: true', ''].join('\n'));
    const ok = await wharf(['config', 'validate', good], dir);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /valid \(1 storage location/);
    assert.match(ok.stdout, /warning: SETUP_COMPLETE: not used by Wharf/);

    const bad = join(dir, 'bad.yaml');
    await writeFile(bad, ['DB_URI: sqlite:///wharf.db', 'DISTRIBUTED_STORAGE_CONFIG:', '  us: [LocalStorage, {storage_path: /tmp/x, s3_bucket: oops}]', '  eu: [FakeStorage, {}]', 'DISTRIBUTED_STORAGE_PREFERENCE: [us, asia]', ''].join('\n'));
    const res = await wharf(['config', 'validate', bad], dir);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /DISTRIBUTED_STORAGE_CONFIG\.us\[1\]\.s3_bucket: /);
    assert.match(res.stderr, /DISTRIBUTED_STORAGE_CONFIG\.eu\[0\]: .*FakeStorage/);
    assert.match(res.stderr, /DISTRIBUTED_STORAGE_PREFERENCE\[1\]: "asia" is not defined/);
    const json = await wharf(['config', 'validate', '--json', bad], dir);
    assert.equal(json.code, 1);
    assert.equal((JSON.parse(json.stdout) as { problems: unknown[] }).problems.length, 3);
    assert.equal((await wharf(['config', 'validate', join(dir, 'missing.yaml')], dir)).code, 1);
  });

  it('migrate applies migrations once', async () => {
    const config = join(dir, 'migrate.yaml');
    // SQLAlchemy form: sqlite:/// followed by an absolute path gives four slashes.
    await writeFile(config, `DB_URI: sqlite:///${join(dir, 'm.db')}\nDISTRIBUTED_STORAGE_CONFIG:\n  local: [LocalStorage, {storage_path: ${join(dir, 's')}}]\n`);
    const first = await wharf(['migrate', '--config', config], dir);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /applied /);
    const second = await wharf(['migrate', '--config', config], dir);
    assert.equal(second.stdout.trim(), 'database is up to date');
  });

  it('serve with no config runs the embedded default: SQLite and LocalStorage under ./data', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'wharf-serve-'));
    const server = await startServe([], { cwd });
    try {
      const address = server.origin;
      const res = await fetch(`${address}/v2/`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('docker-distribution-api-version'), 'registry/2.0');
      assert.ok(existsSync(join(cwd, 'data/wharf.db')));
      assert.ok(existsSync(join(cwd, 'data/storage')));
    } finally {
      await server.stop();
      await rm(cwd, { recursive: true, force: true });
    }
  });
});
