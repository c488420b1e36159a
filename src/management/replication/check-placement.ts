/** One placement against its storage: the object exists, has the recorded size, and (full) the digest. */
import { newHash, parseDigest } from '../../domain/index.js';
import type { StorageDriver } from '../../storage/driver.js';

export type Check =
  | { readonly kind: 'ok' }
  | { readonly kind: 'missing' | 'size' | 'digest' | 'unconfigured' | 'error'; readonly detail: string };

export async function checkPlacement(driver: StorageDriver, key: string, blob: { digest: string; size: number }, full: boolean): Promise<Check> {
  try {
    const info = await driver.stat(key);
    if (!info) return { kind: 'missing', detail: `no object at ${key}` };
    if (info.size !== blob.size) return { kind: 'size', detail: `object has ${info.size} bytes, the blob ${blob.size}` };
    if (!full) return { kind: 'ok' };
    const digest = parseDigest(blob.digest);
    const hash = newHash(digest.algorithm);
    for await (const chunk of await driver.read(key)) hash.update(chunk as Buffer);
    const actual = hash.digest('hex');
    return actual === digest.hex ? { kind: 'ok' } : { kind: 'digest', detail: `content hashes to ${digest.algorithm}:${actual}` };
  } catch (err) {
    return { kind: 'error', detail: err instanceof Error ? err.message : String(err) };
  }
}
