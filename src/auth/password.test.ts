import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { burnPasswordCheck, hashPassword, verifyPassword } from './password.js';

describe('password hashing', () => {
  it('hashes in the self-describing scrypt format and verifies the right password only', async () => {
    const hash = await hashPassword('correct horse battery staple');
    const [scheme, n, r, p, salt, key] = hash.split('$');
    assert.deepEqual([scheme, n, r, p], ['scrypt', '32768', '8', '1']);
    assert.equal(Buffer.from(salt!, 'base64').length, 16);
    assert.equal(Buffer.from(key!, 'base64').length, 32);
    assert.equal(await verifyPassword('correct horse battery staple', hash), true);
    assert.equal(await verifyPassword('correct horse battery stapler', hash), false);
    assert.equal(await verifyPassword('', hash), false);
  });

  it('salts every hash differently', async () => {
    const [a, b] = await Promise.all([hashPassword('same'), hashPassword('same')]);
    assert.notEqual(a, b);
    assert.notEqual(a.split('$')[4], b.split('$')[4]);
    assert.equal(await verifyPassword('same', a), true);
    assert.equal(await verifyPassword('same', b), true);
  });

  it('treats Unicode passwords by their NFC form', async () => {
    const hash = await hashPassword('caf\u00e9');
    assert.equal(await verifyPassword('cafe\u0301', hash), true);
  });

  it('returns false, never throws, for malformed or hostile hashes', async () => {
    const good = await hashPassword('pw');
    const [, , , , salt, key] = good.split('$');
    const bad = [
      '',
      'plain',
      'bcrypt$10$abc',
      good.replace('scrypt$', 'scrypt2$'),
      `scrypt$32768$8$1$${salt}`,
      `scrypt$32767$8$1$${salt}$${key}`, // N not a power of two
      `scrypt$${2 ** 24}$8$1$${salt}$${key}`, // absurd memory cost
      `scrypt$32768$0$1$${salt}$${key}`,
      `scrypt$32768$8$1$${salt}$not*base64`,
      `scrypt$32768$8$1$$${key}`,
      `scrypt$032768$8$1$${salt}$${key}`,
      `${good}$extra`,
    ];
    for (const hash of bad) assert.equal(await verifyPassword('pw', hash), false, hash);
  });

  it('a dummy check costs about as much as a real one', async () => {
    const hash = await hashPassword('pw');
    // The fastest of three runs: robust against a busy machine slowing one run down.
    const time = async (fn: () => Promise<unknown>) => {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const start = process.hrtime.bigint();
        await fn();
        best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
      }
      return best;
    };
    const real = await time(() => verifyPassword('wrong', hash));
    const burn = await time(() => burnPasswordCheck('wrong'));
    // Same KDF and parameters: within a factor of three either way on any machine.
    assert.ok(burn > real / 3 && burn < real * 3, `burn ${burn} ms vs verify ${real} ms`);
  });
});
