import { createHash, type Hash } from 'node:crypto';
import { Errors, WharfError } from '../errors/index.js';

/** A validated content digest, e.g. `sha256:<64 lowercase hex>`. */
export interface Digest {
  readonly algorithm: DigestAlgorithm;
  readonly hex: string;
  /** The canonical `algorithm:hex` string. */
  readonly value: string;
}

export type DigestAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const DIGEST_PATTERN = /^([a-z0-9]+(?:[+._-][a-z0-9]+)*):([a-f0-9]+)$/;

/**
 * Parses a digest string. Only sha256 and sha512 are accepted, with exactly the right number of
 * lowercase hex characters, so a digest can never smuggle path characters into a storage key.
 */
export function parseDigest(input: string): Digest {
  const match = DIGEST_PATTERN.exec(input);
  if (!match) throw new WharfError(Errors.DIGEST_INVALID, `malformed digest ${JSON.stringify(input.slice(0, 200))}`);
  const algorithm = match[1] as string;
  const hex = match[2] as string;
  if (algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new WharfError(Errors.DIGEST_INVALID, `unsupported digest algorithm ${JSON.stringify(algorithm)}`);
  }
  if (hex.length !== HEX_LENGTH[algorithm]) {
    throw new WharfError(Errors.DIGEST_INVALID, `${algorithm} digest must have ${HEX_LENGTH[algorithm]} hex characters`);
  }
  return { algorithm, hex, value: input };
}

/** True when the string is a syntactically valid digest (used to tell tags from digests). */
export function looksLikeDigest(input: string): boolean {
  return input.includes(':');
}

export function newHash(algorithm: DigestAlgorithm): Hash {
  return createHash(algorithm);
}

export function digestOf(bytes: Uint8Array, algorithm: DigestAlgorithm = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
}
