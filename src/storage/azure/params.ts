import { z } from 'zod';

/**
 * Parameters of `AzureStorage`, as Quay's `DISTRIBUTED_STORAGE_CONFIG` spells them
 * (QUAY-COMPAT §1.2). The schema is strict, so an unknown parameter is named. Optional values may
 * be written as `null` or `''` in YAML; both mean "not set" (Quay tests them for truthiness).
 *
 *   eu: [AzureStorage, {azure_container: wharf, azure_account_name: wharfeu,
 *        azure_account_key: <base64>, storage_path: /registry}]
 *
 * Credentials: `azure_account_key` (Shared Key; also signs SAS URLs) wins over `sas_token`; with
 * neither the container is accessed anonymously (read-only, public containers).
 * `endpoint_url` replaces `https://<account>.blob.core.windows.net`, e.g. for azurite:
 * `http://127.0.0.1:10000/devstoreaccount1`.
 */
const blank = (v: unknown) => (v === null || v === '' ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blank, schema.optional());

/** Azure's container naming rules: 3–63 of a-z, 0-9 and single inner hyphens. */
const containerName = z
  .string()
  .regex(/^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/, 'must be 3-63 lowercase letters, digits or single hyphens');

export const azureStorageParams = z.strictObject({
  azure_container: containerName,
  azure_account_name: z.string().regex(/^[a-z0-9]{3,24}$/, 'must be 3-24 lowercase letters and digits'),
  storage_path: optional(z.string().refine((p) => !p.split('/').some((s) => s === '.' || s === '..'), "must not contain '.' or '..' segments")),
  azure_account_key: optional(z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64')),
  sas_token: optional(z.string()),
  endpoint_url: optional(z.url({ protocol: /^https?$/ })),
});

export type AzureStorageParams = z.infer<typeof azureStorageParams>;

/** What the driver derives from its parameters. */
export interface AzureTarget {
  /** `https://<account>.blob.core.windows.net` or `endpoint_url`, without a trailing '/'. */
  readonly accountUrl: string;
  readonly container: string;
  readonly accountName: string;
  readonly accountKey?: string;
  /** The SAS query string without a leading '?'. */
  readonly sasToken?: string;
  /** '' or `a/b/`: prepended to every key (Quay strips the leading '/'). */
  readonly prefix: string;
}

export function azureTarget(params: AzureStorageParams): AzureTarget {
  const segments = (params.storage_path ?? '').split('/').filter((s) => s !== '');
  const sas = params.sas_token?.replace(/^\?/, '');
  return {
    accountUrl: (params.endpoint_url ?? `https://${params.azure_account_name}.blob.core.windows.net`).replace(/\/+$/, ''),
    container: params.azure_container,
    accountName: params.azure_account_name,
    ...(params.azure_account_key ? { accountKey: params.azure_account_key } : {}),
    ...(sas ? { sasToken: sas } : {}),
    prefix: segments.length === 0 ? '' : `${segments.join('/')}/`,
  };
}

/**
 * Whether a SAS token lets its holder read blobs: `sp` holds `r`, and it is a service SAS on the
 * container or blob (`sr=c`/`b`) or an account SAS for objects (`srt` holds `o`).
 */
export function sasGrantsRead(token: string): boolean {
  const q = new URLSearchParams(token);
  const permissions = q.get('sp') ?? '';
  const scopeOk = q.has('srt') ? (q.get('srt') ?? '').includes('o') : ['c', 'b'].includes(q.get('sr') ?? '');
  return permissions.includes('r') && scopeOk;
}
