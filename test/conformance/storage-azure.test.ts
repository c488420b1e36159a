/**
 * AzureStorage against a real azurite (started here, one per file; a fresh container per test):
 * the shared conformance suite, then what only Azure has (test/conformance/azure/).
 */
import { after, before } from 'node:test';
import { createDriver } from '../../src/storage/drivers.js';
import { startAzurite, type Azurite } from '../support/azurite.js';
import { azureAccessTests } from './azure/access.js';
import { azureCopyTests } from './azure/copies.js';
import { azureSessionTests } from './azure/sessions.js';
import { storageDriverSuite } from './storage-driver-suite.js';

let azurite: Azurite | undefined;
const env = (): Azurite => {
  if (!azurite) throw new Error('azurite is not running');
  return azurite;
};
before(async () => {
  azurite = await startAzurite();
});
after(async () => azurite?.stop());

storageDriverSuite('AzureStorage (azurite)', async () => {
  const container = await env().createContainer();
  const driver = await createDriver('AzureStorage', env().params(container, { storage_path: '/registry/data' }));
  return { driver, cleanup: () => env().deleteContainer(container) };
});

azureSessionTests(env);
azureCopyTests(env);
azureAccessTests(env);
