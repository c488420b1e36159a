/** The one validated, typed configuration every part of Wharf is built from. */
export interface Config {
  /** Where it came from: a file path, or `embedded default`. */
  readonly source: string;
  readonly database: DatabaseConfig;
  readonly storage: StorageConfig;
  /** `SERVER_HOSTNAME`; when set, Location headers are absolute URLs on it. */
  readonly serverHostname: string | undefined;
  readonly preferredUrlScheme: 'http' | 'https';
  readonly authenticationType: 'Open' | 'Database';
  /** WHARF_TRUSTED_PROXIES: reverse proxies whose X-Forwarded-For is believed (default: loopback). */
  readonly trustedProxies: readonly string[];
  /** Accounts and tokens; only read when authenticationType is Database. */
  readonly access: AccessConfig;
  /** The shared Redis (USER_EVENTS_REDIS, else BUILDLOGS_REDIS); undefined = everything in-process. */
  readonly redis: RedisConfig | undefined;
  /** Unknown keys and other non-fatal findings, logged at start and by `config validate`. */
  readonly warnings: readonly string[];
}

/** An nginx on the same machine (the documented single entry point) is trusted by default. */
export const DEFAULT_TRUSTED_PROXIES: readonly string[] = ['127.0.0.1/8', '::1/128'];

export interface AccessConfig {
  /** FEATURE_ANONYMOUS_ACCESS (Quay's default true): anonymous pulls of public repositories. */
  readonly anonymousAccess: boolean;
  /** SUPER_USERS: user names that are superusers, on top of those marked in the database. */
  readonly superUsers: readonly string[];
  /**
   * The PEM file of this instance's token-signing key: INSTANCE_SERVICE_KEY_LOCATION, else
   * `quay.pem` beside the config file (the data folder for the embedded default). Generated and
   * written there on first start when missing.
   */
  readonly serviceKeyPath: string;
  /** WHARF_INITIAL_SUPERUSER: a superuser created at start when no user of that name exists. */
  readonly initialSuperuser: InitialSuperuser | undefined;
}

export interface InitialSuperuser {
  readonly username: string;
  readonly email: string | undefined;
  /** Read from `password_file` (relative to the config file) or the `password_env` variable at load time. */
  readonly password: string;
}

export type DatabaseConfig =
  | { readonly dialect: 'sqlite'; readonly path: string }
  | { readonly dialect: 'postgres'; readonly url: string };

export interface RedisConfig {
  readonly host: string;
  readonly port: number;
  readonly password: string | undefined;
  readonly db: number;
  readonly tls: boolean;
  /** Prefix of every key and pub/sub channel (WHARF_REDIS_PREFIX, default `wharf:`). */
  readonly prefix: string;
}

export interface StorageLocationConfig {
  /** The key in DISTRIBUTED_STORAGE_CONFIG, e.g. `us_east`. */
  readonly name: string;
  /** The driver name, e.g. `LocalStorage`. */
  readonly driver: string;
  /** The driver's parameters, validated by the driver's own schema (storage/drivers.ts). */
  readonly params: Readonly<Record<string, unknown>>;
}

export interface StorageConfig {
  readonly locations: readonly StorageLocationConfig[];
  /** This instance's order: [0] receives uploads, the whole list orders reads. */
  readonly preference: readonly string[];
  /** DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: where every blob must end up. */
  readonly defaultLocations: readonly string[];
  readonly replication: boolean;
  /** FEATURE_PROXY_STORAGE: stream pulls through the registry instead of redirecting to storage. */
  readonly proxyStorage: boolean;
  /** STORAGE_REPLICATION_PROCESSING_SECONDS: a worker's lease on a job, renewed while it copies. */
  readonly replicationLeaseSeconds: number;
}

/** One problem found in a config, named by its key path. */
export interface ConfigProblem {
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(source: string, problems: readonly ConfigProblem[]) {
    super(`invalid configuration (${source}):\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}
