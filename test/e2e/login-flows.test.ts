/**
 * Real clients log in to Wharf with access control on (AUTHENTICATION_TYPE Database), push a
 * PRIVATE repository and pull it back, on each metadata dialect:
 *
 * - skopeo with `--creds user:pass`, and with `skopeo login` (an auth file);
 * - podman: `podman login`, push, rmi, pull (as root, on a store of its own);
 * - docker: a dockerd of the test's own (root; no iptables, no bridge, vfs; data-root,
 *   exec-root, pidfile and socket in a temporary folder), `docker login`, `docker import` of a
 *   small tarball (no network), push, rmi, pull.
 *
 * Each client then proves the repository is private: another user and an anonymous client
 * cannot pull it. Every flow goes through the challenge on /v2/, the token endpoint and Bearer
 * tokens, as these clients do.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { openSync, closeSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { basic, createUser } from '../support/accounts.js';
import { http } from '../support/http.js';
import { buildOciImage, type LayoutImage, type OciImage, readLayout } from '../support/oci-image.js';
import { POSTGRES_SKIP_MESSAGE } from '../support/postgres.js';
import { type Dialect, startTestRegistry, type TestRegistry } from '../support/registry.js';
import { privatePodman, type PrivatePodman } from '../support/podman.js';
import { requireTools, run, RunError, toolPath } from '../support/tools.js';
import { ROOT_PASSWORD_ENV, startServe, writeDatabaseConfig } from '../support/wharf-process.js';

const OWNER = { user: 'alice', password: 'alice-login-pw' } as const;
const OTHER = { user: 'mallory', password: 'mallory-login-pw' } as const;
const TLS = '--tls-verify=false';

/** Runs `fn` expecting a RunError; returns what the tool printed. */
async function failureOf(what: string, fn: () => Promise<unknown>): Promise<string> {
  const outcome = await fn().then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(outcome instanceof RunError, `${what} succeeded`);
  return `${outcome.stderr}\n${outcome.stdout}`;
}

/** A dockerd of our own, talking on a socket in `dir`; `docker` runs the CLI against it with its own config folder. */
interface PrivateDocker {
  docker(...args: string[]): ReturnType<typeof run>;
  stop(): Promise<void>;
}

async function startDockerd(dir: string): Promise<PrivateDocker> {
  const socket = join(dir, 'docker.sock');
  await writeFile(join(dir, 'daemon.json'), '{}\n'); // not /etc/docker/daemon.json
  const log = openSync(join(dir, 'dockerd.log'), 'a');
  const child: ChildProcess = spawn(
    'dockerd',
    [
      '--config-file', join(dir, 'daemon.json'),
      '--data-root', join(dir, 'data'),
      '--exec-root', join(dir, 'exec'),
      '--pidfile', join(dir, 'docker.pid'),
      '--host', `unix://${socket}`,
      '--storage-driver', 'vfs',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-masq=false',
      '--bridge=none',
    ],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  const env = { DOCKER_HOST: `unix://${socket}`, DOCKER_CONFIG: join(dir, 'config') };
  const docker = (...args: string[]) => run('docker', args, { env, timeout: 180_000 });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    }
    // The containerd dockerd supervises normally stops with it; after a SIGKILL it would linger.
    const containerd = Number((await readFile(join(dir, 'exec', 'containerd', 'containerd.pid'), 'utf8').catch(() => '')).trim());
    if (containerd > 0) {
      try {
        process.kill(containerd, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await docker('version', '--format', '{{.Server.Version}}');
      return { docker, stop };
    } catch (err) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await stop();
        const output = await readFile(join(dir, 'dockerd.log'), 'utf8').catch(() => '');
        throw new Error(`dockerd did not start: ${(err as Error).message}\n${output.slice(-3000)}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

describe('wharf serve with a config file (AUTHENTICATION_TYPE Database, the default)', () => {
  it('starts, challenges /v2/ and lets the initial superuser log in', { timeout: 120_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wharf-serve-db-'));
    const config = await writeDatabaseConfig(dir);
    const server = await startServe(['--config', config], { cwd: dir, env: { [ROOT_PASSWORD_ENV]: 'root-login-pw' } });
    try {
      const host = new URL(server.origin).host;
      const challenge = await http(server.origin, 'GET', '/v2/');
      assert.equal(challenge.status, 401);
      assert.equal(challenge.headers['www-authenticate'], `Bearer realm="${server.origin}/v2/auth",service="${host}"`);
      const token = await http(server.origin, 'GET', `/v2/auth?service=${host}&scope=repository:root/app:pull,push`, { headers: { authorization: basic('root', 'root-login-pw') } });
      assert.equal(token.status, 200, token.body.toString());
      const authorization = `Bearer ${token.json<{ token: string }>().token}`;
      assert.equal((await http(server.origin, 'GET', '/v2/', { headers: { authorization } })).status, 200);
      assert.equal((await http(server.origin, 'POST', '/v2/root/app/blobs/uploads/', { headers: { authorization } })).status, 202);
    } finally {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('login flows of real clients against a private repository', () => {
  let dockerScratch = '';
  let docker: PrivateDocker | Error | undefined;

  before(async () => {
    if (!toolPath('docker') || !toolPath('dockerd')) return; // the docker tests report it
    dockerScratch = await mkdtemp(join(tmpdir(), 'wharf-docker-'));
    // A dockerd that cannot start fails the docker tests only, not the other clients'.
    docker = await startDockerd(dockerScratch).catch((err: Error) => err);
  });
  after(async () => {
    if (docker && !(docker instanceof Error)) await docker.stop();
    if (dockerScratch) await rm(dockerScratch, { recursive: true, force: true });
  });

  for (const dialect of ['sqlite', 'postgres'] as const) loginFlows(dialect, () => docker);
});

function loginFlows(dialect: Dialect, dockerOf: () => PrivateDocker | Error | undefined): void {
  describe(`on ${dialect}`, () => {
    let registry: TestRegistry | undefined;
    let host = '';
    let scratch = '';
    let image: OciImage | undefined;
    let local: LayoutImage;

    before(async () => {
      registry = await startTestRegistry({ dialect, authentication: 'Database' });
      if (!registry) return;
      host = new URL(registry.url).host;
      await createUser(registry.app.metadata, OWNER.user, OWNER.password);
      await createUser(registry.app.metadata, OTHER.user, OTHER.password);
      scratch = await mkdtemp(join(tmpdir(), 'wharf-login-'));
      if (toolPath('umoci')) {
        image = await buildOciImage({ layers: 2, layerSize: 64 * 1024, seed: `login-${dialect}-${randomBytes(8).toString('hex')}` });
        local = await readLayout(image.layoutDir);
      }
    });
    after(async () => {
      await registry?.destroy();
      await image?.cleanup();
      if (scratch) await rm(scratch, { recursive: true, force: true });
    });

    const test = (name: string, tools: readonly string[], fn: () => Promise<void>) =>
      it(name, { timeout: 300_000 }, async (t: TestContext) => {
        if (!requireTools(tools, t)) return;
        if (!registry) return t.skip(POSTGRES_SKIP_MESSAGE);
        await fn();
      });

    /** The repository exists, private, as the push created it. */
    const assertPrivate = async (name: string) => {
      const row = await registry!.app.metadata.stores.repositoryAdmin.findDetail(name);
      assert.equal(row?.visibility, 'private', `${name} after the push`);
    };

    describe('skopeo', () => {
      const skopeo = (...args: string[]) => run('skopeo', args, { timeout: 120_000 });
      const ref = () => `docker://${host}/alice/skopeo:v1`;

      test('--creds pushes a new private repository and reads it back', ['skopeo', 'umoci'], async () => {
        await skopeo('copy', '--dest-tls-verify=false', '--dest-creds', `${OWNER.user}:${OWNER.password}`, image!.ref, ref());
        await assertPrivate('alice/skopeo');
        const { stdout } = await skopeo('inspect', TLS, '--creds', `${OWNER.user}:${OWNER.password}`, ref());
        assert.equal((JSON.parse(stdout) as { Digest: string }).Digest, local.manifestDigest);
      });

      test('skopeo login stores credentials that pull the private image; a wrong password fails', ['skopeo', 'umoci'], async () => {
        const authfile = join(scratch, 'skopeo-auth.json');
        const login = await skopeo('login', TLS, '--authfile', authfile, '-u', OWNER.user, '-p', OWNER.password, host);
        assert.match(login.stdout, /Login Succeeded/);
        const out = join(scratch, 'skopeo-pulled');
        await skopeo('copy', '--src-tls-verify=false', '--authfile', authfile, ref(), `oci:${out}:v1`);
        const pulled = await readLayout(out, 'v1');
        assert.equal(pulled.manifestDigest, local.manifestDigest);
        assert.deepEqual(pulled.layerDigests, local.layerDigests);
        const wrong = await failureOf('login with a wrong password', () => skopeo('login', TLS, '--authfile', join(scratch, 'wrong.json'), '-u', OWNER.user, '-p', 'wrong-password', host));
        assert.match(wrong, /unauthorized|invalid username\/password/i);
      });

      test('another user and an anonymous client cannot pull it', ['skopeo', 'umoci'], async () => {
        const other = await failureOf('pull as another user', () => skopeo('inspect', TLS, '--creds', `${OTHER.user}:${OTHER.password}`, ref()));
        assert.match(other, /denied/i);
        const anonymous = await failureOf('anonymous pull', () => skopeo('inspect', TLS, '--no-creds', ref()));
        assert.match(anonymous, /unauthorized|authentication required/i);
      });
    });

    describe('podman', () => {
      let podman: PrivatePodman;
      const ref = () => `${host}/alice/podman:v1`;
      const imageId = async (name: string) => `sha256:${(JSON.parse((await podman('image', 'inspect', name)).stdout) as { Id: string }[])[0]!.Id}`;

      test('podman login, push, rmi and pull of a private repository', ['podman', 'umoci'], async () => {
        podman = await privatePodman(join(scratch, 'podman'));
        await podman.in(dirname(image!.layoutDir), 'pull', `oci:${basename(image!.layoutDir)}:${image!.tag}`);
        const login = await podman('login', TLS, '-u', OWNER.user, '-p', OWNER.password, host);
        assert.match(login.stdout, /Login Succeeded/);
        await podman('push', TLS, 'localhost/image:latest', `docker://${ref()}`);
        await assertPrivate('alice/podman');
        await podman('rmi', '--all', '--force');
        await podman('pull', TLS, ref());
        assert.equal(await imageId(ref()), local.configDigest, 'the same image came back');
      });

      test('after logout, and as another user, podman cannot pull it', ['podman', 'umoci'], async () => {
        assert.ok(podman, 'the push test ran');
        await podman('rmi', '--all', '--force');
        await podman('logout', host);
        const anonymous = await failureOf('anonymous pull', () => podman('pull', TLS, ref()));
        assert.match(anonymous, /unauthorized|authentication required/i);
        await podman('login', TLS, '-u', OTHER.user, '-p', OTHER.password, host);
        const other = await failureOf('pull as another user', () => podman('pull', TLS, ref()));
        assert.match(other, /denied/i);
        assert.equal((await podman('images', '--quiet')).stdout.trim(), '', 'nothing was pulled');
      });
    });

    describe('docker', () => {
      const ref = () => `${host}/alice/docker:v1`;
      const cli = () => {
        const docker = dockerOf();
        if (docker instanceof Error) throw docker;
        assert.ok(docker, 'dockerd is running');
        return docker.docker;
      };

      test('docker login, import, push, rmi and pull of a private repository', ['docker', 'dockerd'], async () => {
        const docker = cli();
        const rootfs = join(scratch, 'rootfs');
        await mkdir(join(rootfs, 'etc'), { recursive: true });
        await writeFile(join(rootfs, 'etc', 'wharf-login-test'), `pushed by docker on ${dialect} ${randomBytes(8).toString('hex')}\n`);
        const tarball = join(scratch, 'rootfs.tar');
        await run('tar', ['-C', rootfs, '-cf', tarball, '.']);
        const login = await docker('login', '-u', OWNER.user, '-p', OWNER.password, host);
        assert.match(login.stdout, /Login Succeeded/);
        const imported = (await docker('import', tarball, ref())).stdout.trim();
        assert.match(imported, /^sha256:[0-9a-f]{64}$/);
        await docker('push', ref());
        await assertPrivate('alice/docker');
        await docker('rmi', ref());
        await failureOf('inspect after rmi', () => docker('image', 'inspect', ref()));
        await docker('pull', ref());
        assert.equal((await docker('image', 'inspect', '--format', '{{.Id}}', ref())).stdout.trim(), imported, 'the same image came back');
        await docker('rmi', ref());
      });

      test('after logout, and as another user, docker cannot pull it; a wrong password cannot log in', ['docker', 'dockerd'], async () => {
        const docker = cli();
        await docker('logout', host);
        const anonymous = await failureOf('anonymous pull', () => docker('pull', ref()));
        assert.match(anonymous, /unauthorized|authentication required|denied/i);
        const wrong = await failureOf('login with a wrong password', () => docker('login', '-u', OWNER.user, '-p', 'wrong-password', host));
        assert.match(wrong, /unauthorized/i);
        await docker('login', '-u', OTHER.user, '-p', OTHER.password, host);
        const other = await failureOf('pull as another user', () => docker('pull', ref()));
        assert.match(other, /denied/i);
        await docker('logout', host);
      });
    });
  });
}
