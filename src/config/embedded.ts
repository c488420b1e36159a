import { join } from 'node:path';
import { type Config, DEFAULT_TRUSTED_PROXIES } from './config.js';

/**
 * The local-development default: SQLite and one LocalStorage location under `dataDir`, open
 * access, no other service. Used when neither --config, WHARF_CONFIG nor ./config.yaml exists.
 */
export function embeddedConfig(dataDir = 'data'): Config {
  return {
    source: 'embedded default',
    database: { dialect: 'sqlite', path: join(dataDir, 'wharf.db') },
    storage: {
      locations: [{ name: 'local', driver: 'LocalStorage', params: { storage_path: join(dataDir, 'storage') } }],
      preference: ['local'],
      defaultLocations: [],
      replication: false,
      proxyStorage: false,
      replicationLeaseSeconds: 60,
    },
    serverHostname: undefined,
    preferredUrlScheme: 'http',
    trustedProxies: DEFAULT_TRUSTED_PROXIES,
    authenticationType: 'Open',
    access: { anonymousAccess: true, superUsers: [], serviceKeyPath: join(dataDir, 'quay.pem'), initialSuperuser: undefined },
    redis: undefined,
    warnings: [],
  };
}
