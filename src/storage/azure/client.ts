import {
  AnonymousCredential,
  BlobSASPermissions,
  ContainerClient,
  newPipeline,
  StorageSharedKeyCredential,
  type BlobClient,
} from '@azure/storage-blob';
import { sasGrantsRead, type AzureTarget } from './params.js';

export interface ClientOptions {
  /** Attempts per request, the first included (connection errors, 500 and 503 are retried). */
  readonly maxTries: number;
  /** Client-side bound on one request until its response headers arrive (a body is not cut). */
  readonly requestTimeoutMs: number;
  /** The same bound for a synchronous copy, which answers only when the copy is done. */
  readonly syncCopyTimeoutMs: number;
}

export const DEFAULT_CLIENT_OPTIONS: ClientOptions = { maxTries: 3, requestTimeoutMs: 30_000, syncCopyTimeoutMs: 10 * 60_000 };

/** The SDK clients of one container, and how to hand out read URLs of its blobs. */
export class AzureClients {
  readonly container: ContainerClient;
  /** `<account url>/<container>`, for messages (never with a SAS). */
  readonly where: string;
  readonly #target: AzureTarget;

  constructor(target: AzureTarget, options: ClientOptions) {
    this.#target = target;
    this.where = `${target.accountUrl}/${target.container}`;
    const credential = target.accountKey ? new StorageSharedKeyCredential(target.accountName, target.accountKey) : new AnonymousCredential();
    const url = target.sasToken && !target.accountKey ? `${this.where}?${target.sasToken}` : this.where;
    // No `tryTimeoutInMs`: it is only a server-side timeout; requests are bounded by withTimeout.
    const pipeline = newPipeline(credential, {
      retryOptions: { maxTries: options.maxTries, retryDelayInMs: 200, maxRetryDelayInMs: 2_000 },
      userAgentOptions: { userAgentPrefix: 'wharf' },
    });
    this.container = new ContainerClient(url, pipeline);
  }

  /** Whether {@link readUrl} can give URLs: an account key signs them, or the SAS token grants read. */
  get canPresign(): boolean {
    return this.#target.accountKey !== undefined || (this.#target.sasToken !== undefined && sasGrantsRead(this.#target.sasToken));
  }

  /**
   * A URL that lets its holder read `blob`: with the account key, a fresh blob SAS (read only,
   * valid from 5 minutes ago, for clock skew, until `ttlSeconds` from now); with only a
   * `sas_token`, the blob URL with that token, whose own expiry applies; otherwise undefined.
   */
  async readUrl(blob: BlobClient, ttlSeconds: number): Promise<string | undefined> {
    if (this.#target.accountKey !== undefined) {
      const now = Date.now();
      return blob.generateSasUrl({
        permissions: BlobSASPermissions.parse('r'),
        startsOn: new Date(now - 5 * 60_000),
        expiresOn: new Date(now + ttlSeconds * 1000),
      });
    }
    return this.canPresign ? blob.url : undefined;
  }
}
