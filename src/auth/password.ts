/**
 * Password hashing with scrypt (memory-hard, in node:crypto, no native dependency). A hash is
 * self-describing, `scrypt$N$r$p$<salt base64>$<key base64>`, so the cost can be raised later
 * without invalidating stored hashes: verification always uses the parameters in the hash.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const COST = 2 ** 15;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;
const SALT_BYTES = 16;
const KEY_BYTES = 32;
/** Bounds on parameters read back from a hash, so a corrupt row cannot make one check take minutes or gigabytes. */
const MAX_COST = 2 ** 20;
const MAX_BLOCK_SIZE = 32;
const MAX_PARALLELISM = 16;

/** A fixed, well-formed hash for {@link burnPasswordCheck}; no password matches it by design (its key is all zeros). */
const DUMMY_HASH = `scrypt$${COST}$${BLOCK_SIZE}$${PARALLELISM}$${Buffer.alloc(SALT_BYTES, 7).toString('base64')}$${Buffer.alloc(KEY_BYTES).toString('base64')}`;

interface ParsedHash {
  readonly options: ScryptOptions;
  readonly salt: Buffer;
  readonly key: Buffer;
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const options = { N: COST, r: BLOCK_SIZE, p: PARALLELISM };
  const key = await derive(password, salt, KEY_BYTES, options);
  return ['scrypt', COST, BLOCK_SIZE, PARALLELISM, salt.toString('base64'), key.toString('base64')].join('$');
}

/** Constant-time comparison; false (never a throw) when the hash is malformed. */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  const parsed = parseHash(hash);
  if (!parsed) return false;
  const key = await derive(password, parsed.salt, parsed.key.length, parsed.options);
  return timingSafeEqual(key, parsed.key);
}

/** Runs the KDF against a fixed dummy hash so unknown users take as long as wrong passwords. */
export async function burnPasswordCheck(password: string): Promise<void> {
  await verifyPassword(password, DUMMY_HASH);
}

function parseHash(hash: string): ParsedHash | undefined {
  const parts = hash.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map((part) => (/^[1-9][0-9]{0,7}$/.test(part) ? Number(part) : NaN)) as [number, number, number];
  // scrypt needs N to be a power of two above 1.
  if (!(N > 1 && N <= MAX_COST && (N & (N - 1)) === 0)) return undefined;
  if (!(r >= 1 && r <= MAX_BLOCK_SIZE && p >= 1 && p <= MAX_PARALLELISM)) return undefined;
  const salt = decodeBase64(parts[4]!);
  const key = decodeBase64(parts[5]!);
  if (!salt || !key || salt.length < 8 || key.length < 16 || key.length > 64) return undefined;
  return { options: { N, r, p }, salt, key };
}

/** Strict base64: Buffer.from() silently skips garbage, which would accept corrupt hashes. */
function decodeBase64(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  return Buffer.from(text, 'base64');
}

function derive(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  // scrypt needs about 128 * N * r bytes; node's default cap (32 MiB) is exactly our cost, which it refuses.
  const maxmem = 256 * (options.N ?? COST) * (options.r ?? BLOCK_SIZE);
  return new Promise((resolve, reject) => {
    scryptCallback(password.normalize('NFC'), salt, length, { ...options, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}
