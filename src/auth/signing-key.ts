/**
 * This instance's key for signing registry tokens: ES256 (P-256), kept as a PKCS#8 PEM file at
 * INSTANCE_SERVICE_KEY_LOCATION. A missing file is generated on first start; a folder we cannot
 * write to leaves the key in memory only (tokens then stop verifying once the process restarts,
 * which costs clients one re-login, never access). The public half is published through
 * ServiceKeyStore (registry-tokens.ts), so each instance verifies every other instance's tokens.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, importPKCS8, type JWK } from 'jose';
import type { Logger } from '../observability/logger.js';

export const SIGNING_ALGORITHM = 'ES256';

export interface SigningKey {
  /** RFC 7638 thumbprint of the public key: stable across restarts for the same file. */
  readonly kid: string;
  readonly privateKey: CryptoKey;
  /** The public half as a JWK (kty, crv, x, y plus kid, alg, use), as published for other instances. */
  readonly publicJwk: Readonly<JWK>;
}

/** Loads the key at `keyPath`, generating and writing it (mode 0600) when the file does not exist. */
export async function loadSigningKey(keyPath: string, logger: Logger): Promise<SigningKey> {
  const pem = await readKeyFile(keyPath);
  if (pem !== undefined) {
    const key = await fromPem(pem, keyPath);
    logger.info({ path: keyPath, kid: key.kid }, 'loaded the token-signing key');
    return key;
  }
  const generated = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  try {
    await mkdir(path.dirname(keyPath), { recursive: true, mode: 0o700 });
    // `wx`: when another instance sharing the folder wrote a key first, use theirs rather than overwrite it.
    await writeFile(keyPath, generated, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    const theirs = (err as NodeJS.ErrnoException).code === 'EEXIST' ? await readKeyFile(keyPath) : undefined;
    if (theirs !== undefined) return fromPem(theirs, keyPath);
    const key = await fromPem(generated, keyPath);
    logger.warn(
      { err, path: keyPath, kid: key.kid },
      'cannot write the token-signing key; using an in-memory key, so tokens this instance issued stop verifying when it restarts',
    );
    return key;
  }
  const key = await fromPem(generated, keyPath);
  logger.info({ path: keyPath, kid: key.kid }, 'generated a token-signing key');
  return key;
}

/** A fresh in-memory key (tests, and tools that never persist one). */
export async function generateSigningKey(): Promise<SigningKey> {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return fromPem(pem, 'memory');
}

async function readKeyFile(keyPath: string): Promise<string | undefined> {
  try {
    return await readFile(keyPath, 'utf8');
  } catch (err) {
    // ENOTDIR: a file sits where a parent folder should be; there is no key, and writing one will fail (then: memory).
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new Error(`cannot read the token-signing key ${keyPath}: ${(err as Error).message}`, { cause: err });
  }
}

async function fromPem(pem: string, source: string): Promise<SigningKey> {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new Error(`${source} is not a PEM private key: ${(err as Error).message}`, { cause: err });
  }
  const curve = keyObject.asymmetricKeyDetails?.namedCurve;
  if (keyObject.asymmetricKeyType !== 'ec' || curve !== 'prime256v1') {
    throw new Error(`${source} must hold an EC P-256 private key (ES256); found ${keyObject.asymmetricKeyType ?? 'unknown'} ${curve ?? ''}`.trimEnd());
  }
  // Re-export as PKCS#8 so a SEC1 ("EC PRIVATE KEY") file is accepted too.
  const pkcs8 = keyObject.export({ type: 'pkcs8', format: 'pem' }).toString();
  const privateKey = await importPKCS8(pkcs8, SIGNING_ALGORITHM);
  const { kty, crv, x, y } = createPublicKey(keyObject).export({ format: 'jwk' });
  const kid = await calculateJwkThumbprint({ kty, crv, x, y } as JWK, 'sha256');
  return { kid, privateKey, publicJwk: Object.freeze({ kty, crv, x, y, kid, alg: SIGNING_ALGORITHM, use: 'sig' } as JWK) };
}
