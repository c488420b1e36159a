/** podman as the e2e tests run it: root, with a storage, config and auth file of its own under a folder. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './tools.js';

export type PrivatePodman = ReturnType<typeof podmanIn>;

function podmanIn(dir: string) {
  const global = ['--root', join(dir, 'root'), '--runroot', join(dir, 'runroot'), '--tmpdir', join(dir, 'tmp'), '--storage-driver', 'vfs', '--events-backend', 'file', '--cgroup-manager', 'cgroupfs'];
  const env = {
    CONTAINERS_CONF: join(dir, 'containers.conf'),
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
    CONTAINERS_REGISTRIES_CONF: join(dir, 'registries.conf'),
    REGISTRY_AUTH_FILE: join(dir, 'auth.json'),
    XDG_RUNTIME_DIR: join(dir, 'runroot'),
  };
  const podman = (...args: string[]) => run('podman', [...global, ...args], { env, timeout: 120_000 });
  /** podman in `cwd` (for `oci:` paths given relative to it). */
  podman.in = (cwd: string, ...args: string[]) => run('podman', [...global, ...args], { env, cwd, timeout: 120_000 });
  return podman;
}

/** A podman whose images, config and logins never touch the machine's own (vfs storage, file events, cgroupfs). */
export async function privatePodman(dir: string): Promise<PrivatePodman> {
  await mkdir(join(dir, 'tmp'), { recursive: true });
  await writeFile(join(dir, 'storage.conf'), `[storage]\ndriver = "vfs"\nrunroot = "${dir}/runroot"\ngraphroot = "${dir}/root"\n`);
  await writeFile(join(dir, 'registries.conf'), 'unqualified-search-registries = []\n');
  await writeFile(join(dir, 'containers.conf'), '[engine]\nevents_logger = "file"\ncgroup_manager = "cgroupfs"\n');
  // podman wants the file REGISTRY_AUTH_FILE names to exist.
  await writeFile(join(dir, 'auth.json'), '{}\n');
  return podmanIn(dir);
}
