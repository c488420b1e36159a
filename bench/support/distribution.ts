// Debian's `docker-registry` (Distribution 2.8), the reference registry the benchmarks compare
// with: filesystem storage, deletes enabled, an in-memory blob-descriptor cache (as in Debian's
// packaged config), access log off so it does not write a line per request.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, startRegistry, type RegistryProcess } from './processes.js';

export const DISTRIBUTION = '/usr/bin/docker-registry';

export function distributionConfig(port: number, storage: string): string {
  return [
    'version: 0.1',
    'log:',
    '  level: warn',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  cache:',
    '    blobdescriptor: inmemory',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '',
  ].join('\n');
}

/**
 * `docker-registry serve` on a free port with its storage at `work`/distribution-storage, so a
 * restart in the same `work` finds what an earlier process stored. `name` also names the log file.
 */
export async function startDistribution(work: string, name = 'distribution'): Promise<RegistryProcess> {
  const port = await freePort();
  const config = join(work, `${name}.yml`);
  await writeFile(config, distributionConfig(port, join(work, 'distribution-storage')));
  return startRegistry({ name, command: DISTRIBUTION, args: ['serve', config], cwd: work, port, logFile: join(work, `${name}.log`) });
}

/** The version `docker-registry --version` prints, e.g. 2.8.2+ds1. */
export function distributionVersion(): string {
  const out = execFileSync(DISTRIBUTION, ['--version'], { encoding: 'utf8' });
  return /\s(v?\d[^\s]*)\s*$/.exec(out.trim())?.[1] ?? out.trim();
}
