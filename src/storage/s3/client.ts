import { S3Client } from '@aws-sdk/client-s3';
import { StorageError } from '../driver.js';
import type { S3Config } from './config.js';

/** A connection that cannot be made within this fails (an unreachable endpoint is not a hang). */
export const CONNECT_TIMEOUT_MS = 5_000;
/** Attempts per request, the first included; the SDK backs off between them. */
export const MAX_ATTEMPTS = 3;

/**
 * The S3 client of one driver. Checksums only where an operation requires them (with the
 * defaults, streamed uploads are stored corrupted by some S3-compatible servers and presigned
 * URLs carry an empty-body checksum). Timeouts: connecting, and the time a request may go
 * without any byte moving (a wall-clock limit would cut multi-GB transfers and server-side
 * copies, which are bounded by the idle limit instead).
 */
export function createS3Client(config: S3Config): S3Client {
  return new S3Client({
    region: config.region,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    forcePathStyle: config.forcePathStyle,
    ...(config.credentials === undefined ? {} : { credentials: { ...config.credentials } }), // the SDK annotates it
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: config.idleTimeoutMs },
  });
}

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const AUTH_ERRORS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'ExpiredToken', 'InvalidToken', 'InvalidSecurity', 'CredentialsProviderError']);
const NETWORK_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EPIPE']);

/** True for "no such key" (a HEAD's bare 404 included), false for a missing bucket. */
export function isMissingKey(err: unknown): boolean {
  const e = err as SdkError | undefined;
  if (e?.name === 'NoSuchBucket') return false;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.$metadata?.httpStatusCode === 404;
}

/** The server does not implement the operation (s3rver has no UploadPartCopy, for one). */
export function isNotImplemented(err: unknown): boolean {
  const e = err as SdkError | undefined;
  return e?.name === 'NotImplemented' || e?.$metadata?.httpStatusCode === 501;
}

/** The requested range starts past the end of the object. */
export function isInvalidRange(err: unknown): boolean {
  const e = err as SdkError | undefined;
  return e?.name === 'InvalidRange' || e?.$metadata?.httpStatusCode === 416;
}

/**
 * Maps an SDK failure to a StorageError: a missing key → not-found; refused credentials,
 * a missing bucket, an unreachable endpoint and anything else → unavailable, with a message
 * that says which.
 */
export function s3Error(config: S3Config, err: unknown, key: string, action: string): StorageError {
  if (err instanceof StorageError) return err;
  const e = (err ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const code = e.name === undefined || e.name === 'Error' || e.name === 'Unknown' ? e.code ?? 'HTTP' : e.name;
  const where = `${config.endpoint ?? `AWS S3 (${config.region})`}, bucket ${config.bucket}`;
  let message: string;
  if (isMissingKey(err)) return new StorageError('not-found', config.driverName, key, `${action}: not found`, { cause: err });
  if (e.name === 'NoSuchBucket') message = `bucket ${config.bucket} does not exist at ${config.endpoint ?? `AWS S3 (${config.region})`}`;
  else if (AUTH_ERRORS.has(code) || status === 401 || status === 403) {
    message = `authentication failed (${code}${status ? ` ${status}` : ''}): check the access key and secret key for ${where}`;
  } else if (e.name === 'TimeoutError' || NETWORK_ERRORS.has(e.code ?? '') || NETWORK_ERRORS.has(code)) {
    message = `cannot reach ${where} (${e.code ?? e.name}): ${e.message ?? ''}`.trim();
  } else message = `${action} failed at ${where} (${code}${status ? ` ${status}` : ''}): ${e.message ?? ''}`.trim();
  return new StorageError('unavailable', config.driverName, key, `${action}: ${message}`, { cause: err });
}
