import type { DriverRegistration } from '../drivers.js';
import { azureStorageParams } from './params.js';

/**
 * The `AzureStorage` row of `STORAGE_DRIVERS` (drivers.ts). Building makes no request: one
 * region's outage must not stop the others from starting; the first use reports it.
 */
export const azureStorageDriver: DriverRegistration = {
  params: azureStorageParams,
  async create(params) {
    // The Azure SDK loads only when a location uses it.
    const { AzureStorage } = await import('./azure-storage.js');
    return new AzureStorage(azureStorageParams.parse(params));
  },
};
