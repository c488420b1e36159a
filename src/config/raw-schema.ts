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

export const rawConfigSchema = z.looseObject({
  DB_URI: z.string().min(1),
  DISTRIBUTED_STORAGE_CONFIG: z
    .record(z.string().min(1), locationEntry)
    .refine((v) => Object.keys(v).length > 0, 'must configure at least one storage location'),
  DISTRIBUTED_STORAGE_PREFERENCE: locationList.optional(),
  DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS: locationList.optional(),
  FEATURE_STORAGE_REPLICATION: z.boolean().optional(),
  SERVER_HOSTNAME: z
    .string()
    .regex(/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/, 'must be a host name with an optional :port, without a scheme')
    .optional(),
  PREFERRED_URL_SCHEME: z.enum(['http', 'https']).optional(),
  AUTHENTICATION_TYPE: z.enum(['Database', 'Open']).optional(),
});

export type RawConfig = z.infer<typeof rawConfigSchema>;

/** The keys above, for telling unknown keys apart. */
export const KNOWN_KEYS: ReadonlySet<string> = new Set(Object.keys(rawConfigSchema.shape));
