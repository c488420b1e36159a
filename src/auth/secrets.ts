/**
 * Robot and API tokens: long random strings shown once, stored only as a SHA-256 digest. They
 * carry far more entropy than a password, so a fast hash is enough and allows lookup by hash.
 */
import { createHash, randomInt } from 'node:crypto';

/** Quay's token alphabet (upper-case letters and digits): URL-safe and easy to paste into a password prompt. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * A random token of `length` characters (default 64, Quay's robot token length: about 330 bits).
 * randomInt draws without modulo bias.
 */
export function generateToken(length = 64): string {
  if (!Number.isInteger(length) || length < 16) throw new RangeError(`token length must be an integer of at least 16, got ${length}`);
  let token = '';
  for (let i = 0; i < length; i++) token += ALPHABET[randomInt(ALPHABET.length)];
  return token;
}

/** The stored form of a token: SHA-256, lower-case hex. */
export function tokenHash(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
