import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Principal } from '../auth/principal.js';
import { isWharfError } from '../errors/index.js';
import { openMetadataStore } from '../metadata/sql/metadata-store.js';
import type { MetadataStore, ReplicationStatus } from '../metadata/store.js';
import { createDriver } from '../storage/drivers.js';
import { LocationSet } from '../storage/locations/location-set.js';
import type { ManagementContext } from './context.js';
import { replicationStatus, replicationStatusView, storageLocations } from './storage-views.js';
import { managementContext } from '../../test/support/management.js';

const ROOT: Principal = { kind: 'user', id: 1, name: 'root', superuser: true };
const LISTED: Principal = { kind: 'user', id: 2, name: 'listed', superuser: false };
const ALICE: Principal = { kind: 'user', id: 3, name: 'alice', superuser: false };

describe('storage views', () => {
  let dir: string;
  let metadata: MetadataStore;
  let ctx: ManagementContext;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-storage-views-'));
    metadata = await openMetadataStore({ dialect: 'sqlite', path: join(dir, 'wharf.db') });
    await metadata.migrate();
    const rows = await metadata.stores.locations.sync(['east', 'west']);
    const located = await Promise.all(
      ['east', 'west'].map(async (name) => ({ id: rows.get(name)!.id, name, driver: await createDriver('LocalStorage', { storage_path: join(dir, name) }) })),
    );
    // This instance prefers west; only east is a default location.
    const locations = new LocationSet(located, ['west', 'east']);
    ctx = managementContext(metadata, { locations, defaultLocationIds: [rows.get('east')!.id], superUsers: ['listed'] });
  });
  after(async () => {
    await metadata.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists locations in this instance's preference order with the default flag and health", () => {
    const west = ctx.locations.byName('west')!;
    ctx.locations.health.markFailed(west.id);
    const views = storageLocations(ctx, ROOT);
    ctx.locations.health.markHealthy(west.id);
    assert.deepEqual(
      views.map((v) => [v.name, v.driver, v.preference, v.isDefault, v.healthy]),
      [
        ['west', 'LocalStorage', 1, false, false],
        ['east', 'LocalStorage', 2, true, true],
      ],
    );
  });

  it('is for superusers: marked in the database or listed in SUPER_USERS', async () => {
    assert.equal(storageLocations(ctx, LISTED).length, 2);
    const refused = (fn: () => unknown) => assert.throws(fn, (e: unknown) => isWharfError(e) && e.entry.code === 'INSUFFICIENT_SCOPE');
    refused(() => storageLocations(ctx, ALICE));
    await assert.rejects(replicationStatus(ctx, ALICE), (e: unknown) => isWharfError(e) && e.entry.code === 'INSUFFICIENT_SCOPE');
    assert.throws(() => storageLocations(ctx, { kind: 'anonymous' }), (e: unknown) => isWharfError(e) && e.entry.code === 'INVALID_TOKEN');
    refused(() => storageLocations(ctx, { kind: 'robot', id: 9, name: 'acme+ci', namespaceId: 4 }));
  });

  it('replication status counts a blob placed only off the default location as missing there', async () => {
    const blob = await metadata.stores.blobs.record(`sha256:${'a'.repeat(64)}`, 10);
    await metadata.stores.placements.add(blob.id, ctx.locations.byName('west')!.id);
    const status = await replicationStatus(ctx, ROOT);
    const east = status.locations.find((l) => l.name === 'east');
    assert.deepEqual([east?.required, east?.present, east?.missing, east?.oldestPendingAgeMs], [1, 0, 1, null]);
    assert.deepEqual([status.missing, status.converged], [1, false]);
  });

  it('adds the totals and turns an unknown age into null (the shape `wharf replication status --json` prints too)', () => {
    const status: ReplicationStatus = {
      locations: [
        { id: 1, name: 'east', required: 3, present: 2, missing: 1, queued: 1, dead: 0, unqueued: 0, oldestPendingAgeMs: 1500 },
        { id: 2, name: 'west', required: 3, present: 3, missing: 0, queued: 0, dead: 0, unqueued: 0, oldestPendingAgeMs: undefined },
      ],
      jobs: { pending: 1, running: 0, done: 0, dead: 0 },
      lost: 0,
      unreplicable: 0,
      deadJobs: [],
    };
    const view = replicationStatusView(status);
    assert.deepEqual([view.missing, view.converged, view.jobs.pending], [1, false, 1]);
    assert.deepEqual(view.locations.map((l) => l.oldestPendingAgeMs), [1500, null]);
  });
});
