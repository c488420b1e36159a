import { StorageError } from './driver.js';

/**
 * Key checks every driver runs before touching its backend (defence in depth: the registry only
 * builds keys through layout.ts). A key is a non-empty, '/'-separated relative path whose
 * segments are non-empty and not '.' or '..', without backslashes or NUL characters.
 */
export function checkKey(driverName: string, key: string): string[] {
  const problem = keyProblem(key);
  if (problem) throw new StorageError('invalid-key', driverName, printable(key), problem);
  return key.split('/');
}

/**
 * A list prefix is a key, a key followed by '/', or '' (everything). Matching is by string
 * prefix, as in object stores: `sha256/ab` matches `sha256/ab/…` and `sha256/abc/…`.
 */
export function checkPrefix(driverName: string, prefix: string): void {
  if (prefix === '') return;
  checkKey(driverName, prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}

function keyProblem(key: string): string | undefined {
  if (typeof key !== 'string' || key.length === 0) return 'key is empty';
  if (key.includes('\0')) return 'key contains a NUL character';
  if (key.includes('\\')) return 'key contains a backslash';
  if (key.startsWith('/') || /^[A-Za-z]:/.test(key)) return 'key is absolute';
  for (const segment of key.split('/')) {
    if (segment === '') return 'key has an empty segment';
    if (segment === '.' || segment === '..') return `key has a '${segment}' segment`;
  }
  return undefined;
}

function printable(key: string): string {
  return typeof key === 'string' ? JSON.stringify(key.slice(0, 200)) : String(key);
}
