import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { memoryLoginThrottle, type LoginThrottle } from '../cache/login-throttle.js';
import { WharfError } from '../errors/index.js';
import type { MetadataStore, RobotRow } from '../metadata/store.js';
import { silentLogger } from '../observability/logger.js';
import { forEachDialect, type OpenedMetadata } from '../../test/support/metadata.js';
import { Authenticator, parseAuthorization } from './authenticator.js';
import { hashPassword } from './password.js';
import { generateToken, tokenHash } from './secrets.js';

const basic = (value: string) => `Basic ${Buffer.from(value).toString('base64')}`;

describe('parseAuthorization', () => {
  it('reads Basic and Bearer credentials, case-insensitive scheme', () => {
    assert.equal(parseAuthorization(undefined), undefined);
    assert.equal(parseAuthorization(''), undefined);
    assert.deepEqual(parseAuthorization(basic('alice:s3cret')), { kind: 'basic', username: 'alice', password: 's3cret' });
    assert.deepEqual(parseAuthorization(basic('alice:with:colons')), { kind: 'basic', username: 'alice', password: 'with:colons' });
    assert.deepEqual(parseAuthorization(basic('acme+ci:')), { kind: 'basic', username: 'acme+ci', password: '' });
    assert.deepEqual(parseAuthorization(basic('jürgen:päss')), { kind: 'basic', username: 'jürgen', password: 'päss' });
    assert.deepEqual(parseAuthorization(`basic ${Buffer.from('a:b').toString('base64')}`), { kind: 'basic', username: 'a', password: 'b' });
    assert.deepEqual(parseAuthorization('Bearer eyJhbGciOi.eyJzdWIi.c2ln-_'), { kind: 'bearer', token: 'eyJhbGciOi.eyJzdWIi.c2ln-_' });
    assert.deepEqual(parseAuthorization('BEARER ABC123'), { kind: 'bearer', token: 'ABC123' });
  });

  it('refuses malformed headers with UNAUTHORIZED', () => {
    const malformed = [
      'Basic',
      'Basic ',
      `Basic ${Buffer.from('no-colon').toString('base64')}`,
      'Basic not*base64',
      'Basic YWJj', // "abc": no colon
      'Basic YTpi=', // bad padding
      'Bearer',
      'Bearer a b',
      'Bearer tok"en',
      'Digest username="a"',
      'Token abc',
      'abc',
    ];
    for (const header of malformed) {
      assert.throws(() => parseAuthorization(header), (err) => err instanceof WharfError && err.entry.code === 'UNAUTHORIZED', header);
    }
  });
});

await forEachDialect((dialect, open) => {
  describe(`Authenticator on ${dialect}`, () => {
    let db: OpenedMetadata;
    let store: MetadataStore;
    let robot: RobotRow;
    let robotToken: string;
    let aliceToken: string;
    let aliceId: number;
    const throttles: LoginThrottle[] = [];
    const authenticator = (throttle: LoginThrottle = memoryLoginThrottle()) => {
      throttles.push(throttle);
      return new Authenticator({ metadata: store, throttle, superUsers: ['admin'], logger: silentLogger() });
    };

    before(async () => {
      db = await open();
      store = db.store;
      const accounts = store.stores.accounts;
      const passwordHash = await hashPassword('right password');
      aliceId = (await accounts.createUser({ name: 'alice', passwordHash })).id;
      const bob = await accounts.createUser({ name: 'bob', passwordHash });
      await accounts.updateUser(bob.id, { enabled: false });
      await accounts.createUser({ name: 'carol', passwordHash, superuser: true });
      await accounts.createUser({ name: 'admin', passwordHash });
      await accounts.createUser({ name: 'nopass' });
      const acme = await accounts.createOrganization({ name: 'acme' });
      robotToken = generateToken();
      robot = await store.stores.robots.create({ namespaceId: acme.id, shortName: 'ci', description: '', tokenHash: tokenHash(robotToken) });
      aliceToken = generateToken();
      await store.stores.apiTokens.create({ userId: aliceId, title: 'cli', tokenHash: tokenHash(aliceToken) });
    });
    after(async () => {
      await Promise.all(throttles.map((t) => t.close()));
      await db.close();
    });

    it('logs a user in with the right password only', async () => {
      const auth = authenticator();
      assert.deepEqual(await auth.password('alice', 'right password', '10.0.0.1'), { kind: 'user', id: aliceId, name: 'alice', superuser: false });
      assert.equal(await auth.password('alice', 'wrong password', '10.0.0.1'), undefined);
      assert.equal(await auth.password('alice', '', '10.0.0.1'), undefined);
      assert.equal(await auth.password('Alice', 'right password', '10.0.0.1'), undefined, 'names are exact');
    });

    it('refuses disabled users, unknown users and users without a password', async () => {
      const auth = authenticator();
      assert.equal(await auth.password('bob', 'right password', '10.0.0.2'), undefined);
      assert.equal(await auth.password('nobody', 'right password', '10.0.0.2'), undefined);
      assert.equal(await auth.password('nopass', '', '10.0.0.2'), undefined);
    });

    it('makes superusers from the database flag and from SUPER_USERS', async () => {
      const auth = authenticator();
      assert.equal(((await auth.password('carol', 'right password', undefined)) as { superuser: boolean }).superuser, true);
      assert.equal(((await auth.password('admin', 'right password', undefined)) as { superuser: boolean }).superuser, true);
    });

    it('logs a robot in with its token and records the access at most once a minute', async () => {
      const auth = authenticator();
      assert.equal((await store.stores.robots.findById(robot.id))?.lastAccessedAt, undefined);
      const before = Date.now();
      assert.deepEqual(await auth.password('acme+ci', robotToken, '10.0.0.3'), { kind: 'robot', id: robot.id, name: 'acme+ci', namespaceId: robot.namespaceId });
      const touched = (await store.stores.robots.findById(robot.id))?.lastAccessedAt;
      assert.ok(touched !== undefined && touched >= before);
      await auth.password('acme+ci', robotToken, '10.0.0.3');
      assert.equal((await store.stores.robots.findById(robot.id))?.lastAccessedAt, touched, 'not rewritten within the minute');
      assert.equal(await auth.password('acme+ci', robotToken.toLowerCase(), '10.0.0.3'), undefined);
      assert.equal(await auth.password('acme+ci', 'right password', '10.0.0.3'), undefined);
      assert.equal(await auth.password('acme+nope', robotToken, '10.0.0.3'), undefined);
      assert.equal(await auth.password('other+ci', robotToken, '10.0.0.3'), undefined);
    });

    it('takes an API token as the password of $app, $oauthtoken or its owner', async () => {
      const auth = authenticator();
      const alice = { kind: 'user', id: aliceId, name: 'alice', superuser: false };
      assert.deepEqual(await auth.password('$app', aliceToken, '10.0.0.4'), alice);
      assert.deepEqual(await auth.password('$oauthtoken', aliceToken, '10.0.0.4'), alice);
      assert.deepEqual(await auth.password('alice', aliceToken, '10.0.0.4'), alice);
      assert.equal(await auth.password('carol', aliceToken, '10.0.0.4'), undefined, 'not as somebody else');
      assert.equal(await auth.password('$app', 'right password', '10.0.0.4'), undefined);
      assert.equal(await auth.password('$app', generateToken(), '10.0.0.4'), undefined);
      assert.ok((await store.stores.apiTokens.findByHash(tokenHash(aliceToken)))?.lastAccessedAt !== undefined);
    });

    it('accepts an API token as a Bearer credential until it expires or its owner is disabled', async () => {
      const auth = authenticator();
      assert.deepEqual(await auth.apiToken(aliceToken, '10.0.0.5'), { kind: 'user', id: aliceId, name: 'alice', superuser: false });
      assert.equal(await auth.apiToken(generateToken(), '10.0.0.5'), undefined);
      assert.equal(await auth.apiToken(robotToken, '10.0.0.5'), undefined, 'a robot token is not an API token');

      const expired = generateToken();
      await store.stores.apiTokens.create({ userId: aliceId, title: 'old', tokenHash: tokenHash(expired), expiresAt: Date.now() - 1000 });
      assert.equal(await auth.apiToken(expired, '10.0.0.5'), undefined);
      assert.equal(await auth.password('$app', expired, '10.0.0.5'), undefined);
      const later = generateToken();
      await store.stores.apiTokens.create({ userId: aliceId, title: 'new', tokenHash: tokenHash(later), expiresAt: Date.now() + 60_000 });
      assert.equal((await auth.apiToken(later, '10.0.0.5'))?.kind, 'user');

      const dave = await store.stores.accounts.createUser({ name: 'dave' });
      const daveToken = generateToken();
      await store.stores.apiTokens.create({ userId: dave.id, title: 'cli', tokenHash: tokenHash(daveToken) });
      assert.equal((await auth.apiToken(daveToken, '10.0.0.5'))?.kind, 'user');
      await store.stores.accounts.updateUser(dave.id, { enabled: false });
      assert.equal(await auth.apiToken(daveToken, '10.0.0.5'), undefined);
      assert.equal(await auth.password('$app', daveToken, '10.0.0.5'), undefined);
    });

    it('refuses an address after five failures with TOOMANYREQUESTS and Retry-After, even with the right password', async () => {
      let clock = Date.now();
      const auth = authenticator(memoryLoginThrottle({ now: () => clock }));
      for (let i = 0; i < 5; i++) assert.equal(await auth.password('alice', `guess ${i}`, '192.0.2.9'), undefined);
      const refused = (err: unknown, seconds: string) =>
        err instanceof WharfError && err.entry.code === 'TOOMANYREQUESTS' && err.entry.status === 429 && err.headers['Retry-After'] === seconds;
      await assert.rejects(auth.password('alice', 'right password', '192.0.2.9'), (err) => refused(err, '1'));
      await assert.rejects(auth.apiToken(aliceToken, '192.0.2.9'), (err) => refused(err, '1'));
      assert.equal((await auth.password('alice', 'right password', '192.0.2.10'))?.kind, 'user', 'other addresses may log in');
      assert.equal((await auth.password('alice', 'right password', undefined))?.kind, 'user', 'no address, no throttle');

      clock += 1000;
      assert.equal(await auth.apiToken(generateToken(), '192.0.2.9'), undefined, 'bad API tokens count too');
      await assert.rejects(auth.password('alice', 'right password', '192.0.2.9'), (err) => refused(err, '2'));
      clock += 2000;
      assert.equal((await auth.password('alice', 'right password', '192.0.2.9'))?.kind, 'user');
      assert.equal(await auth.password('alice', 'wrong', '192.0.2.9'), undefined, 'the success cleared the count');
      assert.equal((await auth.password('alice', 'right password', '192.0.2.9'))?.kind, 'user');
    });

    it('counts unknown users, disabled users and robots as failures', async () => {
      const auth = authenticator();
      for (const [name, password] of [['nobody', 'x'], ['bob', 'right password'], ['acme+ci', 'x'], ['$app', 'x'], ['nopass', '']]) {
        assert.equal(await auth.password(name!, password!, '198.51.100.7'), undefined);
      }
      await assert.rejects(auth.password('alice', 'right password', '198.51.100.7'), WharfError);
    });
  });
});
