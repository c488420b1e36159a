/**
 * A real azurite (the Azure Storage emulator, blob service only) for the tests: a child process
 * on a free port with a temporary workspace, removed when stopped. Azurite accepts the
 * well-known development account below.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import { listeningPort, stopChild } from './child-process.js';

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
    port = await listeningPort(child, 'azurite', /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/, 30_000);
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

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
