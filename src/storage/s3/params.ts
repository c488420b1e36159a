import { z } from 'zod';

/**
 * Parameters of the S3-family drivers, as Quay's `DISTRIBUTED_STORAGE_CONFIG` spells them
 * (QUAY-COMPAT §1.2). Each schema is strict, so an unknown parameter is named. Optional values
 * may be written as `null` or `''` in YAML; both mean "not set".
 *
 *   us: [S3Storage, {s3_bucket: wharf-us, storage_path: /registry, s3_region: us-east-1}]
 *   gcs: [GoogleCloudStorage, {access_key: GOOG…, secret_key: …, bucket_name: wharf, storage_path: /registry}]
 *   ceph: [RadosGWStorage, {hostname: rgw.local, is_secure: true, access_key: …, secret_key: …,
 *          bucket_name: wharf, storage_path: /registry}]
 *
 * Wharf extensions: `s3_force_path_style` (S3Storage; path-style addressing, for MinIO and other
 * S3-compatible servers) and `endpoint_url` (GoogleCloudStorage; replaces
 * https://storage.googleapis.com, e.g. to point tests at an S3-compatible server).
 */
const text = z.string().min(1, 'must not be empty');
const blank = (v: unknown) => (v === null || v === '' ? undefined : v);
const optional = <T extends z.ZodType>(schema: T) => z.preprocess(blank, schema.optional());
const numeric = (v: unknown) => (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : v);
const boolean = (v: unknown) => (typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v);

const port = z.preprocess(numeric, z.number().int().min(1).max(65_535));
const flag = z.preprocess(boolean, z.boolean());
const positive = z.preprocess(numeric, z.number().positive());
/** Only SigV4 exists in the SDK; legacy values are accepted (Quay configs carry them) and warned about. */
const signatureVersion = optional(z.string());
/** `''`, `/` or null mean the bucket's root. */
const storagePath = z.string().nullable();

export const s3StorageParams = z.strictObject({
  storage_path: storagePath,
  s3_bucket: text,
  s3_access_key: optional(z.string()),
  s3_secret_key: optional(z.string()),
  s3_region: optional(z.string()),
  host: optional(z.string()),
  port: optional(port),
  endpoint_url: optional(z.url()),
  maximum_chunk_size_gb: optional(positive),
  minimum_chunk_size_mb: optional(positive),
  aws_session_token: optional(z.string()),
  signature_version: signatureVersion,
  s3_force_path_style: optional(flag),
});

export const googleCloudStorageParams = z.strictObject({
  storage_path: storagePath,
  access_key: text,
  secret_key: text,
  bucket_name: text,
  boto_timeout: optional(positive),
  minimum_chunk_size_mb: optional(positive),
  signature_version: signatureVersion,
  endpoint_url: optional(z.url()),
});

const hostedParams = {
  hostname: text,
  is_secure: flag,
  port: optional(port),
  storage_path: storagePath,
  access_key: text,
  secret_key: text,
  bucket_name: text,
  signature_version: signatureVersion,
  maximum_chunk_size_mb: optional(positive),
};

export const radosGWStorageParams = z.strictObject({
  ...hostedParams,
  region_name: optional(z.string()),
  minimum_chunk_size_mb: optional(positive),
  server_side_assembly: optional(flag),
});

export const ibmCloudStorageParams = z.strictObject(hostedParams);

export type S3StorageParams = z.infer<typeof s3StorageParams>;
export type GoogleCloudStorageParams = z.infer<typeof googleCloudStorageParams>;
export type RadosGWStorageParams = z.infer<typeof radosGWStorageParams>;
export type IBMCloudStorageParams = z.infer<typeof ibmCloudStorageParams>;
