import type { ErrorEntry } from './catalogue.js';

/**
 * An error from the catalogue, thrown anywhere below the HTTP layer. The HTTP layer turns it
 * into the OCI envelope; `headers` carries the few headers an error response must have
 * (e.g. `Range` on 416).
 */
export class WharfError extends Error {
  readonly entry: ErrorEntry;
  readonly detail: unknown;
  readonly headers: Readonly<Record<string, string>>;

  constructor(entry: ErrorEntry, detail?: unknown, headers: Record<string, string> = {}) {
    super(typeof detail === 'string' ? `${entry.message}: ${detail}` : entry.message);
    this.name = 'WharfError';
    this.entry = entry;
    this.detail = detail;
    this.headers = headers;
  }
}

export function isWharfError(err: unknown): err is WharfError {
  return err instanceof WharfError;
}
