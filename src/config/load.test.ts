import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from './config.js';
import { buildConfig, splitPreference } from './load.js';

const storage = {
  us: ['LocalStorage', { storage_path: '/data/us' }],
  eu: ['LocalStorage', { storage_path: '/data/eu' }],
};
const valid = { DB_URI: 'sqlite:///data/wharf.db', DISTRIBUTED_STORAGE_CONFIG: storage };

function problems(doc: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    buildConfig('test.yaml', doc, { env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('buildConfig', () => {
  it('reads the Quay keys into a typed config with Quay defaults', () => {
    const config = buildConfig('c.yaml', { ...valid, SERVER_HOSTNAME: 'registry.example.com:8443', PREFERRED_URL_SCHEME: 'https', FEATURE_BUILD_SUPPORT: false });
    assert.deepEqual(config.database, { dialect: 'sqlite', path: 'data/wharf.db' });
    assert.deepEqual(config.storage.preference, ['us', 'eu'], 'all locations in config order');
    assert.deepEqual(config.storage.defaultLocations, []);
    assert.equal(config.storage.replication, false);
    assert.equal(config.authenticationType, 'Database');
    assert.equal(config.serverHostname, 'registry.example.com:8443');
    assert.deepEqual(config.warnings, ['FEATURE_BUILD_SUPPORT: not used by Wharf; ignored']);
  });

  it('reads the access keys with Quay defaults: anonymous pulls on, key beside the config, loopback proxies trusted', () => {
    const config = buildConfig('/etc/wharf/config.yaml', valid);
    assert.deepEqual(config.access, { anonymousAccess: true, superUsers: [], serviceKeyPath: '/etc/wharf/quay.pem', initialSuperuser: undefined });
    assert.deepEqual(config.trustedProxies, ['127.0.0.1/8', '::1/128']);
    const custom = buildConfig('/etc/wharf/config.yaml', {
      ...valid,
      FEATURE_ANONYMOUS_ACCESS: false,
      SUPER_USERS: ['admin'],
      INSTANCE_SERVICE_KEY_LOCATION: 'keys/instance.pem',
      WHARF_TRUSTED_PROXIES: ['10.0.0.0/8'],
      WHARF_INITIAL_SUPERUSER: { username: 'admin', password_env: 'ADMIN_PW' },
    }, { env: { ADMIN_PW: 's3cret-pw' } });
    assert.deepEqual(custom.access, {
      anonymousAccess: false,
      superUsers: ['admin'],
      serviceKeyPath: '/etc/wharf/keys/instance.pem',
      initialSuperuser: { username: 'admin', email: undefined, password: 's3cret-pw' },
    });
    assert.deepEqual(custom.trustedProxies, ['10.0.0.0/8']);
  });

  it('names what is wrong with the access keys', () => {
    const superuser = (entry: unknown, env: NodeJS.ProcessEnv = {}) => problems({ ...valid, WHARF_INITIAL_SUPERUSER: entry }, env);
    assert.match(superuser({ username: 'admin' })[0] ?? '', /^WHARF_INITIAL_SUPERUSER: set exactly one of password_file and password_env/);
    assert.match(superuser({ username: 'admin', password_env: 'A', password_file: 'f' })[0] ?? '', /set exactly one/);
    assert.deepEqual(superuser({ username: 'admin', password_env: 'NOT_SET' }), ['WHARF_INITIAL_SUPERUSER.password_env: the variable NOT_SET is not set']);
    assert.match(superuser({ username: 'admin', password_file: '/nonexistent/pw' })[0] ?? '', /^WHARF_INITIAL_SUPERUSER\.password_file: ENOENT/);
    assert.match(superuser({ username: 'admin', password: 'inline', password_env: 'A' }, { A: 'x' })[0] ?? '', /^WHARF_INITIAL_SUPERUSER: /, 'no password in the config itself');
    assert.match(problems({ ...valid, WHARF_TRUSTED_PROXIES: ['nginx.local'] })[0] ?? '', /^WHARF_TRUSTED_PROXIES\[0\]: must be an IP address or CIDR range/);
    assert.match(problems({ ...valid, FEATURE_ANONYMOUS_ACCESS: 'yes' })[0] ?? '', /^FEATURE_ANONYMOUS_ACCESS: /);
  });

  it('takes the shared Redis from USER_EVENTS_REDIS, else BUILDLOGS_REDIS', () => {
    assert.equal(buildConfig('c', valid).redis, undefined);
    assert.deepEqual(buildConfig('c', { ...valid, BUILDLOGS_REDIS: { host: 'r1' }, WHARF_REDIS_PREFIX: 'eu1:' }).redis, { host: 'r1', port: 6379, password: undefined, db: 0, tls: false, prefix: 'eu1:' });
    assert.equal(buildConfig('c', { ...valid, BUILDLOGS_REDIS: { host: 'r1' }, USER_EVENTS_REDIS: { host: 'r2', port: 6380, password: 'pw' } }).redis?.host, 'r2');
    assert.match(problems({ ...valid, USER_EVENTS_REDIS: { port: 1 } })[0] ?? '', /^USER_EVENTS_REDIS\.host: /);
  });

  it('parses SQLAlchemy-style database URIs', () => {
    assert.deepEqual(buildConfig('c', { ...valid, DB_URI: 'sqlite:////var/lib/wharf.db' }).database, { dialect: 'sqlite', path: '/var/lib/wharf.db' });
    assert.deepEqual(buildConfig('c', { ...valid, DB_URI: 'postgresql+psycopg2://u:p@db/quay' }).database, { dialect: 'postgres', url: 'postgresql://u:p@db/quay' });
    assert.deepEqual(problems({ ...valid, DB_URI: 'mysql+pymysql://u@db/quay' }), ['DB_URI: unsupported database "mysql": use sqlite:///PATH or postgresql://...']);
  });

  it('lets QUAY_DISTRIBUTED_STORAGE_PREFERENCE replace the preference (spaces or commas)', () => {
    const config = buildConfig('c', { ...valid, DISTRIBUTED_STORAGE_PREFERENCE: ['us', 'eu'] }, { env: { QUAY_DISTRIBUTED_STORAGE_PREFERENCE: 'eu us' } });
    assert.deepEqual(config.storage.preference, ['eu', 'us']);
    assert.deepEqual(splitPreference(' eu, us\tx '), ['eu', 'us', 'x']);
  });

  it('names every problem by key path', () => {
    assert.deepEqual(problems({}), ['DB_URI: is required', 'DISTRIBUTED_STORAGE_CONFIG: is required']);
    assert.deepEqual(problems({ ...valid, DISTRIBUTED_STORAGE_PREFERENCE: ['us', 'asia'], DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: ['mars'] }), [
      'DISTRIBUTED_STORAGE_PREFERENCE[1]: "asia" is not defined in DISTRIBUTED_STORAGE_CONFIG',
      'DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS[0]: "mars" is not defined in DISTRIBUTED_STORAGE_CONFIG',
    ]);
    assert.deepEqual(problems(valid, { QUAY_DISTRIBUTED_STORAGE_PREFERENCE: 'nowhere' }), [
      'QUAY_DISTRIBUTED_STORAGE_PREFERENCE[0]: "nowhere" is not defined in DISTRIBUTED_STORAGE_CONFIG',
    ]);
    assert.match(problems({ ...valid, FEATURE_STORAGE_REPLICATION: true })[0] ?? '', /^DISTRIBUTED_STORAGE_PREFERENCE: missing storage preference for geo-replication/);
    assert.match(problems({ ...valid, FEATURE_STORAGE_REPLICATION: 'yes' })[0] ?? '', /^FEATURE_STORAGE_REPLICATION: /);
    assert.match(problems({ ...valid, DISTRIBUTED_STORAGE_CONFIG: { us: 'LocalStorage' } })[0] ?? '', /^DISTRIBUTED_STORAGE_CONFIG\.us: /);
    assert.match(problems({ ...valid, SERVER_HOSTNAME: 'https://x' })[0] ?? '', /^SERVER_HOSTNAME: must be a host name/);
    assert.deepEqual(problems('just a string'), ['(root): must be a mapping of keys to values']);
  });

  it('asks the driver validator about parameters and reports its findings under the location', () => {
    const validate = (driver: string, params: unknown) =>
      driver === 'LocalStorage' && 'bogus' in (params as object) ? [{ path: 'bogus', message: 'unknown parameter' }] : driver === 'LocalStorage' ? [] : [{ path: '', message: `unknown driver ${driver}` }];
    try {
      buildConfig('c', { ...valid, DISTRIBUTED_STORAGE_CONFIG: { us: ['LocalStorage', { storage_path: '/x', bogus: 1 }], eu: ['FakeStorage'] } }, { validateDriverParams: validate });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [
        { path: 'DISTRIBUTED_STORAGE_CONFIG.us[1].bogus', message: 'unknown parameter' },
        { path: 'DISTRIBUTED_STORAGE_CONFIG.eu[0]', message: 'unknown driver FakeStorage' },
      ]);
    }
  });
});
