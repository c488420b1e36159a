import type { z } from 'zod';
import type { StorageDriver } from './driver.js';
import { azureStorageDriver } from './azure/registration.js';
import { LocalStorage } from './local/local-storage.js';
import { localStorageParams } from './local/params.js';
import { S3_DRIVERS } from './s3/registrations.js';

/**
 * The one table from a `DISTRIBUTED_STORAGE_CONFIG` driver name to its factory. Adding a driver
 * means adding a row here; nothing else switches on driver names.
 */
export interface DriverRegistration {
  /** The driver's parameter schema (a strict object, so unknown keys are named). */
  readonly params: z.ZodType;
  /** Builds a driver; `params` must already satisfy `params` (the factory parses it again). */
  create(params: unknown, deps: DriverDeps): Promise<StorageDriver>;
}

export interface DriverDeps {
  readonly logger?: { warn(obj: object, msg?: string): void };
}

export interface ParamProblem {
  /** Path of the offending parameter relative to the params object, e.g. `storage_path`; '' for the whole. */
  readonly path: string;
  readonly message: string;
}

export const STORAGE_DRIVERS: Readonly<Record<string, DriverRegistration>> = Object.freeze({
  LocalStorage: {
    params: localStorageParams,
    async create(params, deps) {
      const parsed = localStorageParams.parse(params);
      const driver = new LocalStorage(parsed);
      if (driver.root !== parsed.storage_path) {
        deps.logger?.warn({ storage_path: parsed.storage_path, resolved: driver.root }, 'LocalStorage storage_path resolved');
      }
      await driver.init();
      return driver;
    },
  },
  ...S3_DRIVERS,
  AzureStorage: azureStorageDriver,
});

/** Problems with a driver name and its parameters; empty when they are valid. */
export function validateDriverParams(driver: string, params: unknown): ParamProblem[] {
  const registration = registrationOf(driver);
  if (!registration) {
    const known = Object.keys(STORAGE_DRIVERS).join(', ');
    return [{ path: '', message: `unknown storage driver ${JSON.stringify(driver)}; known drivers: ${known}` }];
  }
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    return [{ path: '', message: `parameters of ${driver} must be a mapping` }];
  }
  const result = registration.params.safeParse(params);
  if (result.success) return [];
  return result.error.issues.flatMap((issue): ParamProblem[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: joinPath([...issue.path, key]), message: `unknown parameter for ${driver}` }));
    }
    const missing = issue.code === 'invalid_type' && issue.path.length === 1 && !Object.hasOwn(params, issue.path[0] as PropertyKey);
    return [{ path: joinPath(issue.path), message: missing ? `required parameter of ${driver} is missing` : issue.message }];
  });
}

/** Validates the parameters and builds the driver; throws an Error listing every problem. */
export async function createDriver(driver: string, params: unknown, deps: DriverDeps = {}): Promise<StorageDriver> {
  const problems = validateDriverParams(driver, params);
  if (problems.length > 0) {
    const lines = problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`));
    throw new Error(`invalid storage configuration for ${driver}: ${lines.join('; ')}`);
  }
  return (registrationOf(driver) as DriverRegistration).create(params, deps);
}

function registrationOf(driver: string): DriverRegistration | undefined {
  return Object.hasOwn(STORAGE_DRIVERS, driver) ? STORAGE_DRIVERS[driver] : undefined;
}

function joinPath(path: readonly PropertyKey[]): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : String(part))).join('.').replaceAll('.[', '[');
}
