/**
 * A real azurite (the Azure Storage emulator, blob service only) for the tests: a child process
 * on a free port with a temporary workspace, removed when stopped. Azurite accepts the
 * well-known development account below.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';

export const AZURITE_ACCOUNT = 'devstoreaccount1';
/** Azurite's published development key (not a secret). */
export const AZURITE_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

const BIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules', '.bin', 'azurite-blob');

export interface Azurite {
  readonly port: number;
  /** `http://127.0.0.1:<port>/devstoreaccount1`, the `endpoint_url` to give AzureStorage. */
  readonly accountUrl: string;
  /** AzureStorage parameters for `container`, with the development account key. */
  params(container: string, extra?: Record<string, unknown>): Record<string, unknown>;
  /** Creates a container with a fresh random name and returns the name. */
  createContainer(): Promise<string>;
  deleteContainer(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startAzurite(): Promise<Azurite> {
  const location = await mkdtemp(path.join(tmpdir(), 'wharf-azurite-'));
  const args = ['--blobHost', '127.0.0.1', '--blobPort', '0', '--location', location, '--silent', '--skipApiVersionCheck', '--disableTelemetry'];
  const child = spawn(BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // Never leave an emulator behind: not at exit, nor when the runner stops this file with a signal.
  const killOnExit = () => child.kill('SIGKILL');
  const killOnSignal = (signal: NodeJS.Signals) => {
    killOnExit();
    rmSync(location, { recursive: true, force: true });
    process.kill(process.pid, signal); // the handler ran once and is gone: the default action follows
  };
  process.once('exit', killOnExit);
  process.once('SIGTERM', killOnSignal);
  process.once('SIGINT', killOnSignal);
  let port: number;
  try {
    port = await listeningPort(child);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(location, { recursive: true, force: true });
    throw err;
  }
  const accountUrl = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT}`;
  const credential = new StorageSharedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY);
  const container = (name: string) => new ContainerClient(`${accountUrl}/${name}`, credential);
  let stopped: Promise<void> | undefined;
  return {
    port,
    accountUrl,
    params: (name, extra = {}) => ({
      azure_container: name,
      azure_account_name: AZURITE_ACCOUNT,
      azure_account_key: AZURITE_KEY,
      endpoint_url: accountUrl,
      ...extra,
    }),
    async createContainer() {
      const name = `wharf-${randomBytes(6).toString('hex')}`;
      await container(name).create();
      return name;
    },
    async deleteContainer(name) {
      await container(name).deleteIfExists();
    },
    stop() {
      stopped ??= (async () => {
        process.removeListener('exit', killOnExit);
        process.removeListener('SIGTERM', killOnSignal);
        process.removeListener('SIGINT', killOnSignal);
        await stopChild(child);
        await rm(location, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

/** Waits for azurite's "successfully listens on http://127.0.0.1:<port>" line. */
function listeningPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`azurite did not start within 30 s:\n${output}`)), 30_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume(); // keep draining, so that azurite never blocks on a full pipe
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
    child.once('error', (err) => (clearTimeout(timer), reject(err)));
    child.once('exit', (code) => (clearTimeout(timer), reject(new Error(`azurite exited with ${code}:\n${output}`))));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
