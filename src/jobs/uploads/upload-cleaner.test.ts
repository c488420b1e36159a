import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { it } from 'node:test';
import { openMetadataStore } from '../../metadata/sql/metadata-store.js';
import { silentLogger } from '../../observability/logger.js';
import { createDriver } from '../../storage/drivers.js';
import { LocationSet } from '../../storage/locations/location-set.js';
import { parseRepositoryName } from '../../domain/index.js';
import { UploadCleaner } from './upload-cleaner.js';

it('removes sessions idle past the limit, bytes first, and keeps fresh ones', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'wharf-cleaner-'));
  const metadata = await openMetadataStore({ dialect: 'sqlite', path: join(dir, 'db.sqlite') });
  try {
    await metadata.migrate();
    const location = (await metadata.stores.locations.sync(['local'])).get('local')!;
    const driver = await createDriver('LocalStorage', { storage_path: join(dir, 'storage') });
    const locations = new LocationSet([{ id: location.id, name: 'local', driver }], ['local']);
    const repo = await metadata.stores.repositories.ensure(parseRepositoryName('acme/app'));
    const ids = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];
    for (const id of ids) {
      const state = await driver.appendUpload(await driver.startUpload(id), Readable.from([Buffer.from('partial')]));
      await metadata.stores.uploads.create({ id, repositoryId: repo.id, locationId: location.id, driverState: null });
      await metadata.stores.uploads.advance(id, 0, state.size, null);
    }
    let now = Date.now();
    const cleaner = new UploadCleaner({ metadata, locations, logger: silentLogger(), staleAfterMs: 60_000, now: () => now });
    assert.equal(await cleaner.sweep(), 0, 'nothing is stale yet');
    now += 61_000;
    assert.equal(await cleaner.sweep(), 2);
    for (const id of ids) assert.equal(await metadata.stores.uploads.find(id), undefined);
    assert.deepEqual(await readdir(join(dir, 'storage/uploads')), []);
  } finally {
    await metadata.close();
    await rm(dir, { recursive: true, force: true });
  }
});
