/**
 * A SQLite database and LocalStorage locations in a temporary folder, with a config.yaml for
 * the `wharf` CLI, seeded through the metadata stores and the storage drivers directly: blobs
 * whose bytes are really at the locations their placements claim.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { digestOf, parseDigest, parseRepositoryName } from '../../src/domain/index.js';
import { openMetadataStore } from '../../src/metadata/sql/metadata-store.js';
import type { BlobRow, Id, MetadataStore } from '../../src/metadata/store.js';
import type { StorageDriver } from '../../src/storage/driver.js';
import { createDriver } from '../../src/storage/drivers.js';
import { blobKey } from '../../src/storage/layout.js';
import { wharfArgv } from './wharf-process.js';

export interface ConfigShape {
  /** Configured locations (the database may hold more: see `extraLocations`). */
  readonly locations: readonly string[];
  readonly defaults: readonly string[];
  readonly replication?: boolean;
}

export interface Fixture {
  readonly dir: string;
  readonly store: MetadataStore;
  readonly ids: ReadonlyMap<string, Id>;
  /** Writes a config file and returns its path. */
  config(shape: ConfigShape, name?: string): Promise<string>;
  /** Records a blob, writes its bytes to each location and places it there. */
  blob(content: string, at: readonly string[], repo?: string): Promise<BlobRow>;
  driver(location: string): Promise<StorageDriver>;
  keyOf(blob: BlobRow): string;
  destroy(): Promise<void>;
}

export async function replicationFixture(locations: readonly string[]): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-replication-'));
  const store = await openMetadataStore({ dialect: 'sqlite', path: join(dir, 'wharf.db') });
  await store.migrate();
  const rows = await store.stores.locations.sync(locations);
  const ids = new Map([...rows].map(([name, row]) => [name, row.id]));
  const drivers = new Map<string, StorageDriver>();
  const driver = async (location: string) => {
    let d = drivers.get(location);
    if (!d) drivers.set(location, (d = await createDriver('LocalStorage', { storage_path: join(dir, location) })));
    return d;
  };
  const keyOf = (b: BlobRow) => blobKey(parseDigest(b.digest));
  return {
    dir,
    store,
    ids,
    driver,
    keyOf,
    async config(shape, name = 'config.yaml') {
      const lines = [
        `DB_URI: sqlite:///${join(dir, 'wharf.db')}`,
        'AUTHENTICATION_TYPE: Open',
        `FEATURE_STORAGE_REPLICATION: ${shape.replication ?? true}`,
        'DISTRIBUTED_STORAGE_CONFIG:',
        ...shape.locations.map((l) => `  ${l}: [LocalStorage, {storage_path: ${join(dir, l)}}]`),
        `DISTRIBUTED_STORAGE_PREFERENCE: [${shape.locations.join(', ')}]`,
        `DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: [${shape.defaults.join(', ')}]`,
      ];
      const path = join(dir, name);
      await writeFile(path, `${lines.join('\n')}\n`);
      return path;
    },
    async blob(content, at, repo) {
      const bytes = Buffer.from(content);
      const row = await store.stores.blobs.record(digestOf(bytes), bytes.length);
      for (const location of at) {
        const d = await driver(location);
        const state = await d.appendUpload(await d.startUpload(randomUUID()), Readable.from([bytes]));
        await d.commitUpload(state, keyOf(row));
        await store.stores.placements.add(row.id, ids.get(location)!);
      }
      if (repo) await store.stores.blobs.link((await store.stores.repositories.ensure(parseRepositoryName(repo))).id, row.id);
      return row;
    },
    async destroy() {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `wharf <args>` as a child process; `input` is written to its stdin, which is then closed. */
export function wharf(args: readonly string[], options: { cwd: string; input?: string }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, wharfArgv(args), { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}
