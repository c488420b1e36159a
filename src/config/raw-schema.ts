import { z } from 'zod';

/**
 * The Quay `config.yaml` keys Wharf reads, with their types. Unknown keys are not errors
 * (Quay configs carry many keys Wharf does not use); they become warnings.
 */
const locationEntry = z.union([
  z.tuple([z.string().min(1)]),
  z.tuple([z.string().min(1), z.record(z.string(), z.unknown())]),
]);

const locationList = z.array(z.string().min(1));

/** Quay's Redis mapping (`BUILDLOGS_REDIS`, `USER_EVENTS_REDIS`): keyword arguments of a client. */
const redisEntry = z.looseObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).optional(),
  password: z.string().optional(),
  db: z.number().int().min(0).optional(),
  ssl: z.boolean().optional(),
});

export const rawConfigSchema = z.looseObject({
  DB_URI: z.string().min(1),
  DISTRIBUTED_STORAGE_CONFIG: z
    .record(z.string().min(1), locationEntry)
    .refine((v) => Object.keys(v).length > 0, 'must configure at least one storage location'),
  DISTRIBUTED_STORAGE_PREFERENCE: locationList.optional(),
  DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: locationList.optional(),
  FEATURE_STORAGE_REPLICATION: z.boolean().optional(),
  FEATURE_PROXY_STORAGE: z.boolean().optional(),
  /** Quay's lease of a claimed replication item; Wharf renews it while copying. */
  STORAGE_REPLICATION_PROCESSING_SECONDS: z.number().int().min(1).max(86_400).optional(),
  SERVER_HOSTNAME: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/, 'must be a host name with an optional :port, without a scheme')
    .optional(),
  PREFERRED_URL_SCHEME: z.enum(['http', 'https']).optional(),
  AUTHENTICATION_TYPE: z.enum(['Database', 'Open']).optional(),
  FEATURE_ANONYMOUS_ACCESS: z.boolean().optional(),
  SUPER_USERS: z.array(z.string().min(1)).optional(),
  /** Quay's path of the instance's service key (PEM); Wharf signs registry tokens with it. */
  INSTANCE_SERVICE_KEY_LOCATION: z.string().min(1).optional(),
  /** Wharf's own: a superuser to create at start; the password comes from a file or a variable, never the config. */
  WHARF_INITIAL_SUPERUSER: z
    .strictObject({
      username: z.string().min(1),
      email: z.string().min(3).optional(),
      password_file: z.string().min(1).optional(),
      password_env: z.string().min(1).optional(),
    })
    .refine((v) => (v.password_file === undefined) !== (v.password_env === undefined), 'set exactly one of password_file and password_env')
    .optional(),
  USER_EVENTS_REDIS: redisEntry.optional(),
  BUILDLOGS_REDIS: redisEntry.optional(),
  /** Wharf's own: reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For names the client. */
  WHARF_TRUSTED_PROXIES: z.array(z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'must be an IP address or CIDR range')).optional(),
  /** Wharf's own: prefix of every Redis key and channel, so registries can share one Redis. */
  WHARF_REDIS_PREFIX: z.string().min(1).optional(),
});

export type RawConfig = z.infer<typeof rawConfigSchema>;

/** The keys above, for telling unknown keys apart. */
export const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.keys(rawConfigSchema.shape));
