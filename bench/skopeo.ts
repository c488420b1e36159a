// skopeo push and pull of the bench image against one registry, timed wall clock.
//
// skopeo keeps a blob-info cache (as root: /var/lib/containers/cache) that remembers in which
// repositories of a registry it has seen each blob; on a later push to another repository of the
// same registry it then asks for a cross-repository mount instead of uploading. That would turn
// every push after the first into a no-op on a registry that mounts, so each skopeo here runs with
// an empty cache of its own: as root in a private mount namespace with a tmpfs over the cache
// directory, otherwise with XDG_DATA_HOME pointing at a fresh directory.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchImage } from './support/image.js';

const SYSTEM_CACHE = '/var/lib/containers/cache';

interface Exec {
  readonly code: number | null;
  readonly output: string;
}

function exec(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Exec> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

export type Isolation = 'private-mount-namespace' | 'per-run-XDG_DATA_HOME' | 'shared-cache';

export interface SkopeoBench {
  readonly isolation: Isolation;
  /** Pushes the bench image to `repo:tag`; seconds. */
  push(repo: string, tag: string): Promise<number>;
  /** Pulls `repo:tag` into a fresh OCI layout (deleted afterwards, untimed); seconds. */
  pull(repo: string, tag: string): Promise<number>;
}

async function chooseIsolation(): Promise<Isolation> {
  if (process.getuid?.() !== 0) return 'per-run-XDG_DATA_HOME';
  const probe = await exec('unshare', ['-m', '--propagation', 'private', 'sh', '-c', `mkdir -p ${SYSTEM_CACHE} && mount -t tmpfs tmpfs ${SYSTEM_CACHE} && skopeo --version`]).catch(() => undefined);
  return probe?.code === 0 ? 'private-mount-namespace' : 'shared-cache';
}

/** Builds a skopeo runner for the registry at `baseUrl` (http://host:port); temp files go under `workDir`. */
export async function skopeoBench(baseUrl: string, image: BenchImage, workDir: string): Promise<SkopeoBench> {
  const host = new URL(baseUrl).host;
  const isolation = await chooseIsolation();

  async function skopeo(args: readonly string[]): Promise<number> {
    let xdg: string | undefined;
    let command = 'skopeo';
    let argv = [...args];
    const env = { ...process.env };
    if (isolation === 'private-mount-namespace') {
      command = 'unshare';
      argv = ['-m', '--propagation', 'private', 'sh', '-c', `mount -t tmpfs tmpfs ${SYSTEM_CACHE} && exec skopeo "$@"`, 'skopeo', ...args];
    } else if (isolation === 'per-run-XDG_DATA_HOME') {
      xdg = await mkdtemp(join(workDir, 'xdg-'));
      env.XDG_DATA_HOME = xdg;
    }
    const started = performance.now();
    const result = await exec(command, argv, env);
    const seconds = (performance.now() - started) / 1000;
    if (xdg !== undefined) await rm(xdg, { recursive: true, force: true });
    if (result.code !== 0) throw new Error(`skopeo ${args.join(' ')} exited ${result.code}:\n${result.output.slice(-2000)}`);
    if (/skipped: already exists/.test(result.output)) {
      throw new Error(`skopeo ${args.join(' ')} reused blobs instead of copying them:\n${result.output.slice(-2000)}`);
    }
    return seconds;
  }

  return {
    isolation,
    push: (repo, tag) => skopeo(['copy', '--dest-tls-verify=false', `oci:${image.layout}:${image.tag}`, `docker://${host}/${repo}:${tag}`]),
    async pull(repo, tag) {
      const parent = await mkdtemp(join(workDir, 'pull-'));
      try {
        return await skopeo(['copy', '--src-tls-verify=false', `docker://${host}/${repo}:${tag}`, `oci:${join(parent, 'layout')}:latest`]);
      } finally {
        await rm(parent, { recursive: true, force: true });
      }
    },
  };
}
