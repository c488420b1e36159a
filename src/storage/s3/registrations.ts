import type { z } from 'zod';
import type { DriverRegistration } from '../drivers.js';
import { googleCloudStorageConfig, ibmCloudConfig, radosGWConfig, s3StorageConfig, type S3Config } from './config.js';
import { googleCloudStorageParams, ibmCloudStorageParams, radosGWStorageParams, s3StorageParams } from './params.js';

/** A row of the drivers table: parse the params, map them to a connection config, build. */
function s3Driver<T extends z.ZodType>(params: T, toConfig: (parsed: z.output<T>) => S3Config): DriverRegistration {
  return {
    params,
    async create(raw, deps) {
      // The AWS SDK loads only when a location uses it: every command starts faster without it.
      const { S3Storage } = await import('./s3-storage.js');
      return new S3Storage(toConfig(params.parse(raw)), deps);
    },
  };
}

/** The S3-family rows of `STORAGE_DRIVERS` (drivers.ts): Quay's names, one implementation. */
export const S3_DRIVERS: Readonly<Record<string, DriverRegistration>> = {
  S3Storage: s3Driver(s3StorageParams, s3StorageConfig),
  GoogleCloudStorage: s3Driver(googleCloudStorageParams, googleCloudStorageConfig),
  RadosGWStorage: s3Driver(radosGWStorageParams, (p) => radosGWConfig('RadosGWStorage', p)),
  RHOCSStorage: s3Driver(radosGWStorageParams, (p) => radosGWConfig('RHOCSStorage', p)),
  IBMCloudStorage: s3Driver(ibmCloudStorageParams, ibmCloudConfig),
};
