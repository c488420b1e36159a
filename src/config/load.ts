import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { type Config, ConfigError, DEFAULT_TRUSTED_PROXIES, type ConfigProblem, type InitialSuperuser, type RedisConfig, type StorageLocationConfig } from './config.js';
import { parseDatabaseUri } from './database-uri.js';
import { KNOWN_KEYS, rawConfigSchema, type RawConfig } from './raw-schema.js';

/** Checks one location's driver parameters; supplied by the composition root (storage/drivers.ts). */
export type DriverParamsValidator = (driver: string, params: unknown) => readonly ConfigProblem[];

export interface LoadOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly validateDriverParams?: DriverParamsValidator;
}

/** The environment variable that replaces DISTRIBUTED_STORAGE_PREFERENCE (Quay's name). */
export const PREFERENCE_ENV = 'QUAY_DISTRIBUTED_STORAGE_PREFERENCE';

export function loadConfigFile(file: string, options: LoadOptions = {}): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '(file)', message: (err as Error).message }]);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, [{ path: '(yaml)', message: (err as Error).message }]);
  }
  return buildConfig(file, doc, options);
}

/** Validates a parsed YAML document; every problem is reported at once, named by key path. */
export function buildConfig(source: string, doc: unknown, options: LoadOptions = {}): Config {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ConfigError(source, [{ path: '(root)', message: 'must be a mapping of keys to values' }]);
  }
  const parsed = rawConfigSchema.safeParse(doc);
  if (!parsed.success) throw new ConfigError(source, zodProblems(parsed.error));
  const raw = parsed.data;
  const problems: ConfigProblem[] = [];

  const database = parseDatabaseUri(raw.DB_URI);
  if (typeof database === 'string') problems.push({ path: 'DB_URI', message: database });

  const locations = storageLocations(raw, options.validateDriverParams, problems);
  const names = new Set(locations.map((l) => l.name));
  const envPreference = splitPreference(options.env?.[PREFERENCE_ENV]);
  const preference = envPreference.length > 0 ? envPreference : raw.DISTRIBUTED_STORAGE_PREFERENCE ?? [];
  const preferenceKey = envPreference.length > 0 ? PREFERENCE_ENV : 'DISTRIBUTED_STORAGE_PREFERENCE';
  checkNames(preferenceKey, preference, names, problems);
  const defaultLocations = raw.DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS ?? [];
  checkNames('DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS', defaultLocations, names, problems);
  const replication = raw.FEATURE_STORAGE_REPLICATION ?? false;
  if (replication && preference.length === 0) {
    problems.push({
      path: 'DISTRIBUTED_STORAGE_PREFERENCE',
      message: `missing storage preference for geo-replication: set it, or ${PREFERENCE_ENV}, when FEATURE_STORAGE_REPLICATION is true`,
    });
  }
  const initialSuperuser = readInitialSuperuser(raw, source, options.env ?? {}, problems);
  if (problems.length > 0) throw new ConfigError(source, problems);

  return {
    source,
    database: database as Exclude<typeof database, string>,
    storage: {
      locations,
      preference: preference.length > 0 ? preference : locations.map((l) => l.name),
      defaultLocations,
      replication,
      proxyStorage: raw.FEATURE_PROXY_STORAGE ?? false,
      // Quay's default is 1200 s because it never renews; Wharf renews every third of the lease,
      // so a short lease only shortens how long a dead worker's job waits to be taken over.
      replicationLeaseSeconds: raw.STORAGE_REPLICATION_PROCESSING_SECONDS ?? 60,
    },
    serverHostname: raw.SERVER_HOSTNAME,
    preferredUrlScheme: raw.PREFERRED_URL_SCHEME ?? 'http',
    // Quay's default, and Wharf's whenever a config file is used.
    authenticationType: raw.AUTHENTICATION_TYPE ?? 'Database',
    trustedProxies: raw.WHARF_TRUSTED_PROXIES ?? DEFAULT_TRUSTED_PROXIES,
    access: {
      anonymousAccess: raw.FEATURE_ANONYMOUS_ACCESS ?? true,
      superUsers: raw.SUPER_USERS ?? [],
      serviceKeyPath: resolve(dirname(source), raw.INSTANCE_SERVICE_KEY_LOCATION ?? 'quay.pem'),
      initialSuperuser,
    },
    redis: redisConfig(raw),
    warnings: Object.keys(doc).filter((k) => !KNOWN_KEYS.has(k)).map((k) => `${k}: not used by Wharf; ignored`),
  };
}

function readInitialSuperuser(raw: RawConfig, source: string, env: NodeJS.ProcessEnv, problems: ConfigProblem[]): InitialSuperuser | undefined {
  const entry = raw.WHARF_INITIAL_SUPERUSER;
  if (!entry) return undefined;
  let password: string | undefined;
  if (entry.password_env !== undefined) {
    password = env[entry.password_env];
    if (!password) problems.push({ path: 'WHARF_INITIAL_SUPERUSER.password_env', message: `the variable ${entry.password_env} is not set` });
  } else if (entry.password_file !== undefined) {
    try {
      password = readFileSync(resolve(dirname(source), entry.password_file), 'utf8').replace(/\r?\n$/, '');
    } catch (err) {
      problems.push({ path: 'WHARF_INITIAL_SUPERUSER.password_file', message: (err as Error).message });
    }
  }
  if (password === undefined || password === '') return undefined;
  return { username: entry.username, email: entry.email, password };
}

function redisConfig(raw: RawConfig): RedisConfig | undefined {
  const entry = raw.USER_EVENTS_REDIS ?? raw.BUILDLOGS_REDIS;
  if (!entry) return undefined;
  return {
    host: entry.host,
    port: entry.port ?? 6379,
    password: entry.password,
    db: entry.db ?? 0,
    tls: entry.ssl ?? false,
    prefix: raw.WHARF_REDIS_PREFIX ?? 'wharf:',
  };
}

/** `"us eu"`, `"us,eu"` and `"us, eu"` all mean [us, eu]. */
export function splitPreference(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter((s) => s.length > 0);
}

function storageLocations(raw: RawConfig, validate: DriverParamsValidator | undefined, problems: ConfigProblem[]): StorageLocationConfig[] {
  return Object.entries(raw.DISTRIBUTED_STORAGE_CONFIG).map(([name, entry]) => {
    const [driver, params = {}] = entry;
    for (const p of validate?.(driver, params) ?? []) {
      const where = p.path === '' ? `[0]` : `[1].${p.path}`;
      problems.push({ path: `DISTRIBUTED_STORAGE_CONFIG.${name}${where}`, message: p.message });
    }
    return { name, driver, params };
  });
}

function checkNames(key: string, list: readonly string[], known: ReadonlySet<string>, problems: ConfigProblem[]): void {
  list.forEach((name, i) => {
    if (!known.has(name)) {
      problems.push({ path: `${key}[${i}]`, message: `${JSON.stringify(name)} is not defined in DISTRIBUTED_STORAGE_CONFIG` });
    }
  });
}

function zodProblems(error: z.ZodError): ConfigProblem[] {
  return error.issues.map((issue) => ({
    path: issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('') || '(root)',
    message: issue.code === 'invalid_type' && issue.message.includes('undefined') ? 'is required' : issue.message,
  }));
}
