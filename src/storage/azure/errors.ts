import { StorageError } from '../driver.js';
import { CopyWaitError } from './copy.js';
import { RequestTimeout } from './timeout.js';

export const DRIVER = 'AzureStorage';

/** Azure's error code (`BlobNotFound`, `AuthenticationFailed`…), or a socket error code. */
export function azureCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; details?: { errorCode?: unknown } } | undefined;
  const code = e?.details?.errorCode ?? e?.code; // HEAD responses carry it only in a header
  return typeof code === 'string' ? code : undefined;
}

export function httpStatus(err: unknown): number | undefined {
  const status = (err as { statusCode?: unknown } | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

export function isMissing(err: unknown): boolean {
  return httpStatus(err) === 404 && azureCode(err) !== 'ContainerNotFound';
}

/**
 * Maps an SDK failure to the contract's errors, with a message an operator can act on:
 * a missing blob → not-found; a missing container, refused credentials, an unreachable endpoint
 * or a server error → unavailable; a failed precondition or a stale block list → conflict.
 */
export function toStorageError(err: unknown, key: string, action: string, where: string): StorageError {
  if (err instanceof StorageError) return err;
  if (err instanceof RequestTimeout) return new StorageError('unavailable', DRIVER, key, `${action}: no answer from ${where} within ${err.ms} ms`, { cause: err });
  if (err instanceof CopyWaitError) {
    return new StorageError(err.reason === 'superseded' ? 'conflict' : 'unavailable', DRIVER, key, `${action}: ${err.message}`, { cause: err });
  }
  const status = httpStatus(err);
  const code = azureCode(err) ?? 'error';
  const make = (kind: StorageError['kind'], message: string) => new StorageError(kind, DRIVER, key, `${action}: ${message}`, { cause: err });
  if (status === 404 && code === 'ContainerNotFound') return make('unavailable', `container ${where} does not exist`);
  if (status === 404) return make('not-found', 'not found');
  if (status === 403 || status === 401) {
    return make('unavailable', `${where} refused the credentials (${code}); check azure_account_key or sas_token`);
  }
  if (status === 409 || status === 412 || code === 'InvalidBlockList') return make('conflict', `${code} (HTTP ${status})`);
  if (status === undefined) {
    const name = (err as Error | undefined)?.name;
    if (name === 'AbortError') return make('unavailable', `no answer from ${where} in time, or aborted`);
    return make('unavailable', `cannot reach ${where} (${code}: ${String((err as Error | undefined)?.message ?? err).slice(0, 200)})`);
  }
  return make('unavailable', `${where} answered HTTP ${status} (${code})`);
}
