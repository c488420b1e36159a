import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Errors, WharfError } from '../errors/index.js';
import { checkEmail, checkNamespaceName, checkPassword, checkRobotShortName, checkTeamName, normalizeEmail } from './account-rules.js';

function refused(fn: () => void, message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof WharfError);
    assert.equal(err.entry, Errors.INVALID_REQUEST);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('account rules (Quay\'s)', () => {
  it('namespace and team names: lowercase, digits, single separators, 2 to 255 characters', () => {
    for (const name of ['ab', 'acme', 'a.b', 'a_b', 'a-b', 'team2', 'x'.repeat(255), '0day']) {
      checkNamespaceName(name);
      checkTeamName(name);
    }
    for (const name of ['a', 'x'.repeat(256), 'Acme', 'a b', '-ab', 'ab-', 'a..b', 'a._b', 'a+b', 'a/b', '']) {
      refused(() => checkNamespaceName(name));
      refused(() => checkTeamName(name));
    }
    refused(() => checkNamespaceName('Acme', 'organization name'), /^invalid request: organization name "Acme" is invalid/);
  });

  it('robot short names start with a letter, then letters, digits and underscores', () => {
    for (const name of ['ci', 'ci_bot', 'b2', 'x'.repeat(255)]) checkRobotShortName(name);
    for (const name of ['c', '2ci', 'CI', 'ci-bot', 'ci.bot', 'ci+bot', 'x'.repeat(256)]) refused(() => checkRobotShortName(name));
  });

  it('e-mail addresses: one @, a local part, a dotted domain; empty means none', () => {
    for (const email of ['a@b.co', 'first.last+tag@example.org']) checkEmail(email);
    for (const email of ['plain', '@example.com', 'a@', 'a@localhost', 'a@b..c', 'a@@b.c', 'a b@c.d', `${'x'.repeat(250)}@b.co`]) refused(() => checkEmail(email));
    assert.equal(normalizeEmail(undefined), undefined);
    assert.equal(normalizeEmail(null), undefined);
    assert.equal(normalizeEmail('  '), undefined);
    assert.equal(normalizeEmail(' a@b.co '), 'a@b.co');
  });

  it('passwords: at least 8 characters, no whitespace, and never echoed in the message', () => {
    checkPassword('12345678');
    checkPassword('correct-horse-battery');
    for (const password of ['short', '1234567', 'has space in it', 'tab\tinside1']) {
      refused(() => checkPassword(password), /at least 8 characters/);
      try {
        checkPassword(password);
      } catch (err) {
        assert.ok(!(err as Error).message.includes(password));
      }
    }
  });
});
