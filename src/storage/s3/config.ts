import type { GoogleCloudStorageParams, IBMCloudStorageParams, RadosGWStorageParams, S3StorageParams } from './params.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** S3's bounds for a part of a multipart upload (and 5 GiB is also CopyObject's limit). */
export const MIN_PART = 5 * MiB;
export const MAX_PART = 5 * GiB;

/** Where and how an S3-family driver connects, resolved from one driver's Quay parameters. */
export interface S3Config {
  readonly driverName: string;
  readonly bucket: string;
  /** `storage_path` without leading or trailing slashes; '' for the bucket's root. */
  readonly prefix: string;
  /** Undefined: AWS's own endpoint for `region`. */
  readonly endpoint?: string;
  readonly region: string;
  readonly forcePathStyle: boolean;
  /** Undefined: the SDK's default credential chain (environment, profile, instance role). */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
  /** Non-final chunks of at least this many bytes can become parts of a server-side assembly. */
  readonly minPartSize: number;
  /** The largest object copied in one request, and the largest part of a server-side copy. */
  readonly maxPartSize: number;
  /** False: completing an upload of several chunks always streams them (no UploadPartCopy). */
  readonly serverSideAssembly: boolean;
  /** A request fails after this long without any byte moving. */
  readonly idleTimeoutMs: number;
  /** A `signature_version` other than SigV4, which the SDK cannot use (the driver warns). */
  readonly legacySignature?: string;
}

export function s3StorageConfig(p: S3StorageParams): S3Config {
  const host = p.host === undefined ? undefined : `https://${p.host}${p.port === undefined ? '' : `:${p.port}`}`;
  const credentials = p.s3_access_key !== undefined && p.s3_secret_key !== undefined
    ? { accessKeyId: p.s3_access_key, secretAccessKey: p.s3_secret_key, ...(p.aws_session_token ? { sessionToken: p.aws_session_token } : {}) }
    : undefined;
  return {
    ...common('S3Storage', p.storage_path, p.s3_bucket, p.signature_version),
    endpoint: p.endpoint_url ?? host,
    region: p.s3_region ?? 'us-east-1',
    forcePathStyle: p.s3_force_path_style ?? false,
    credentials,
    ...partSizes(p.minimum_chunk_size_mb, (p.maximum_chunk_size_gb ?? 5) * 1024),
    serverSideAssembly: true,
  };
}

/** GCS through its S3-interoperable XML API with HMAC keys. It has no UploadPartCopy. */
export function googleCloudStorageConfig(p: GoogleCloudStorageParams): S3Config {
  return {
    ...common('GoogleCloudStorage', p.storage_path, p.bucket_name, p.signature_version),
    endpoint: p.endpoint_url ?? 'https://storage.googleapis.com',
    region: 'auto',
    forcePathStyle: true,
    credentials: { accessKeyId: p.access_key, secretAccessKey: p.secret_key },
    ...partSizes(p.minimum_chunk_size_mb, 5 * 1024),
    serverSideAssembly: false,
    idleTimeoutMs: (p.boto_timeout ?? 60) * 1000,
  };
}

/** Ceph RadosGW (and Red Hat OCS, its alias): path-style S3 on `hostname`. */
export function radosGWConfig(driverName: string, p: RadosGWStorageParams): S3Config {
  return { ...hostedConfig(driverName, p, p.minimum_chunk_size_mb), region: p.region_name ?? 'us-east-1', serverSideAssembly: p.server_side_assembly ?? true };
}

/** IBM Cloud Object Storage: path-style S3 on `hostname`. */
export function ibmCloudConfig(p: IBMCloudStorageParams): S3Config {
  return hostedConfig('IBMCloudStorage', p, undefined);
}

function hostedConfig(driverName: string, p: IBMCloudStorageParams, minimumMb: number | undefined): S3Config {
  return {
    ...common(driverName, p.storage_path, p.bucket_name, p.signature_version),
    endpoint: `${p.is_secure ? 'https' : 'http'}://${p.hostname}${p.port === undefined ? '' : `:${p.port}`}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: p.access_key, secretAccessKey: p.secret_key },
    ...partSizes(minimumMb, p.maximum_chunk_size_mb ?? 100),
    serverSideAssembly: true,
  };
}

/**
 * Two configs on which a server-side copy from one to the other works: the same service
 * (endpoint and region) and the same credentials (Quay's rule for `copy_to`).
 */
export function sameService(a: S3Config, b: S3Config): boolean {
  const identity = ({ endpoint, region, credentials: k }: S3Config) =>
    JSON.stringify([endpoint ?? null, region, k?.accessKeyId ?? null, k?.secretAccessKey ?? null, k?.sessionToken ?? null]);
  return identity(a) === identity(b);
}

function common(driverName: string, storagePath: string | null, bucket: string, signature: string | undefined) {
  const legacy = signature === undefined || /^(s3)?v4$/i.test(signature) ? undefined : signature;
  return {
    driverName,
    bucket,
    prefix: (storagePath ?? '').replace(/^\/+|\/+$/g, ''),
    idleTimeoutMs: 60_000,
    ...(legacy === undefined ? {} : { legacySignature: legacy }),
  };
}

/** Part sizes in bytes, within S3's bounds, from Quay's `minimum_chunk_size_mb` and a maximum in MiB. */
function partSizes(minimumMb: number | undefined, maximumMb: number): { minPartSize: number; maxPartSize: number } {
  const minPartSize = Math.min(MAX_PART, Math.max(MIN_PART, Math.ceil((minimumMb ?? 5) * MiB)));
  const maxPartSize = Math.min(MAX_PART, Math.max(minPartSize, Math.floor(maximumMb * MiB)));
  return { minPartSize, maxPartSize };
}
