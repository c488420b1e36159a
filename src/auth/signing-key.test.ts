import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { calculateJwkThumbprint, CompactSign, compactVerify, importJWK } from 'jose';
import { pino } from 'pino';
import { generateSigningKey, loadSigningKey } from './signing-key.js';

/** A logger that keeps its records, to check what was said (and that no key material was). */
function recordingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

async function signsAndVerifies(key: Awaited<ReturnType<typeof generateSigningKey>>): Promise<void> {
  const jws = await new CompactSign(new TextEncoder().encode('hello')).setProtectedHeader({ alg: 'ES256' }).sign(key.privateKey);
  const { payload } = await compactVerify(jws, await importJWK(key.publicJwk, 'ES256'));
  assert.equal(new TextDecoder().decode(payload), 'hello');
}

describe('loadSigningKey', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(path.join(tmpdir(), 'wharf-signing-key-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  it('generates the key in a new folder with mode 0600, then reloads the same kid', async () => {
    const keyPath = path.join(dir, 'nested', 'conf', 'quay.pem');
    const { logger, lines } = recordingLogger();
    const first = await loadSigningKey(keyPath, logger);
    assert.equal((await stat(keyPath)).mode & 0o777, 0o600);
    const pem = await readFile(keyPath, 'utf8');
    assert.match(pem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(first.kid, await calculateJwkThumbprint({ kty: 'EC', crv: 'P-256', x: first.publicJwk.x!, y: first.publicJwk.y! }, 'sha256'));
    assert.deepEqual(
      { kty: first.publicJwk.kty, crv: first.publicJwk.crv, alg: first.publicJwk.alg, kid: first.publicJwk.kid, d: first.publicJwk.d },
      { kty: 'EC', crv: 'P-256', alg: 'ES256', kid: first.kid, d: undefined },
    );
    assert.ok(lines.some((line) => line.msg === 'generated a token-signing key' && line.path === keyPath && line.kid === first.kid));
    assert.ok(!JSON.stringify(lines).includes('PRIVATE KEY'));

    const again = await loadSigningKey(keyPath, logger);
    assert.equal(again.kid, first.kid);
    assert.equal(await readFile(keyPath, 'utf8'), pem, 'an existing key is never rewritten');
    await signsAndVerifies(again);
  });

  it('accepts an operator-provided SEC1 EC key', async () => {
    const keyPath = path.join(dir, 'sec1.pem');
    const sec1 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    await writeFile(keyPath, sec1);
    const key = await loadSigningKey(keyPath, pino({ level: 'silent' }));
    assert.equal(await readFile(keyPath, 'utf8'), sec1);
    await signsAndVerifies(key);
  });

  it('refuses keys that are not P-256, and files that are not keys, without overwriting them', async () => {
    const rsaPath = path.join(dir, 'rsa.pem');
    await writeFile(rsaPath, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await assert.rejects(loadSigningKey(rsaPath, pino({ level: 'silent' })), /EC P-256/);
    const junkPath = path.join(dir, 'junk.pem');
    await writeFile(junkPath, 'not a key');
    await assert.rejects(loadSigningKey(junkPath, pino({ level: 'silent' })), /not a PEM private key/);
    assert.equal(await readFile(junkPath, 'utf8'), 'not a key');
  });

  it('keeps the key in memory, with a warning, when the folder cannot be written', async () => {
    // A regular file where a folder should be: not writable for any user, root included.
    const blocker = path.join(dir, 'blocker');
    await writeFile(blocker, '');
    const { logger, lines } = recordingLogger();
    const key = await loadSigningKey(path.join(blocker, 'quay.pem'), logger);
    await signsAndVerifies(key);
    const warning = lines.find((line) => line.level === 40);
    assert.ok(warning, 'a warning was logged');
    assert.match(String(warning.msg), /in-memory key/);
    assert.equal(warning.kid, key.kid);
  });

});

describe('generateSigningKey', () => {
  it('makes a fresh usable key each time', async () => {
    const [a, b] = await Promise.all([generateSigningKey(), generateSigningKey()]);
    assert.notEqual(a.kid, b.kid);
    await signsAndVerifies(a);
  });
});
