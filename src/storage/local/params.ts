import { z } from 'zod';

/**
 * Parameters of `LocalStorage`, as in Quay's `DISTRIBUTED_STORAGE_CONFIG`:
 *
 *   local_us: [LocalStorage, { storage_path: /datastorage/registry }]
 *
 * A relative `storage_path` resolves against the process working directory.
 */
export const localStorageParams = z.strictObject({
  storage_path: z.string().min(1, 'must not be empty'),
});

export type LocalStorageParams = z.infer<typeof localStorageParams>;
