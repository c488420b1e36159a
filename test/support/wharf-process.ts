/** Runs the real `wharf` CLI (TypeScript sources, one node process) as a child process. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(import.meta.dirname, '../..');

/** node arguments that run `wharf <args>` in this very process (no tsx wrapper process). */
export function wharfArgv(args: readonly string[]): string[] {
  return ['--import', pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href, join(root, 'src/cli/main.ts'), ...args];
}

export interface ServeProcess {
  readonly child: ChildProcessWithoutNullStreams;
  /** e.g. http://127.0.0.1:40123, from the "wharf is serving" log line. */
  readonly origin: string;
  /** Everything the process wrote to stdout and stderr so far (the first 16 MiB). */
  output(): string;
  stop(): Promise<void>;
}

const MAX_KEPT_OUTPUT = 16 * 1024 * 1024;

/** Starts `wharf serve --port 0 ...` and waits until it logs its address. */
export async function startServe(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<ServeProcess> {
  const child = spawn(process.execPath, wharfArgv(['serve', '--port', '0', ...args]), { cwd: options.cwd, env: { ...process.env, ...options.env } });
  let out = '';
  // Draining both pipes all along also keeps the server from blocking on a full pipe.
  const keep = (chunk: Buffer) => {
    if (out.length < MAX_KEPT_OUTPUT) out += chunk.toString();
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const origin = await new Promise<string>((resolveOrigin, reject) => {
    const onData = () => {
      const match = /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (match?.[1]) {
        child.stdout.off('data', onData);
        resolveOrigin(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`wharf serve exited with ${code}: ${out.slice(-2000)}`)));
  });
  return {
    child,
    origin,
    output: () => out,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** The environment variable the config of `writeDatabaseConfig` reads root's password from. */
export const ROOT_PASSWORD_ENV = 'WHARF_TEST_ROOT_PASSWORD';

/**
 * Writes `dir`/config.yaml for Database mode (the default with a config file): SQLite
 * `wharf.db` beside it, one LocalStorage location under `dir`, and `root` as the initial
 * superuser, whose password `wharf serve` reads from ROOT_PASSWORD_ENV. Returns its path.
 */
export async function writeDatabaseConfig(dir: string): Promise<string> {
  const config = join(dir, 'config.yaml');
  await writeFile(
    config,
    [
      'DB_URI: sqlite:///wharf.db',
      'DISTRIBUTED_STORAGE_CONFIG:',
      `  local: [LocalStorage, {storage_path: ${join(dir, 'storage')}}]`,
      `WHARF_INITIAL_SUPERUSER: {username: root, password_env: ${ROOT_PASSWORD_ENV}}`,
      '',
    ].join('\n'),
  );
  return config;
}
