/** Runs the real `wharf` CLI (TypeScript sources, one node process) as a child process. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
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
  stop(): Promise<void>;
}

/** Starts `wharf serve --port 0 ...` and waits until it logs its address. */
export async function startServe(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<ServeProcess> {
  const child = spawn(process.execPath, wharfArgv(['serve', '--port', '0', ...args]), { cwd: options.cwd, env: { ...process.env, ...options.env } });
  const origin = await new Promise<string>((resolveOrigin, reject) => {
    let out = '';
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"address":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(out);
      if (match?.[1]) {
        child.stdout.off('data', onData);
        child.stdout.resume(); // keep draining logs so the server never blocks on a full pipe
        resolveOrigin(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`wharf serve exited with ${code}: ${out.slice(-2000)}`)));
  });
  return {
    child,
    origin,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
