import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { StorageError } from '../driver.js';
import { FileRange } from './file-range.js';

/** File-system helpers of LocalStorage. */
export const DRIVER = 'LocalStorage';

/** A stream of the inclusive range [start, end] of an open file of `size` bytes, clamped to it. */
export function openRange(handle: FileHandle, size: number, start: number, end?: number): Readable {
  return new FileRange(handle, start, Math.min(end ?? size - 1, size - 1));
}

/** Tells, after a failed pipeline, whether the source (client) or the file failed first. */
export function whichFailedFirst(source: Readable, sink: NodeJS.WritableStream): () => 'source' | 'sink' | undefined {
  let first: 'source' | 'sink' | undefined;
  source.once('error', () => (first ??= 'source'));
  source.once('close', () => (first ??= source.readableEnded ? undefined : 'source'));
  sink.once('error', () => (first ??= 'sink'));
  return () => first;
}

export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Maps a file-system error: missing → not-found; anything else (EACCES, EIO, ENOSPC…) → unavailable. */
export function fail(err: unknown, key: string, action: string): never {
  if (err instanceof StorageError) throw err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code ?? 'error';
  if (isMissing(err)) throw new StorageError('not-found', DRIVER, key, `${action}: not found`, { cause: err });
  throw new StorageError('unavailable', DRIVER, key, `${action} failed (${code})`, { cause: err });
}
