import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StorageDriver } from '../driver.js';
import { LocationHealth } from './location-health.js';
import { type Location, LocationSet } from './location-set.js';

const driver = {} as StorageDriver;
const loc = (id: number, name: string): Location => ({ id, name, driver });

describe('LocationSet', () => {
  it("orders by this instance's preference, unlisted locations last in config order", () => {
    const set = new LocationSet([loc(1, 'us'), loc(2, 'eu'), loc(3, 'ap')], ['eu', 'us']);
    assert.deepEqual(set.all().map((l) => l.name), ['eu', 'us', 'ap']);
    assert.deepEqual(set.nearestFirst([3, 1]).map((l) => l.name), ['us', 'ap']);
    assert.equal(set.byName('ap')?.id, 3);
  });

  it('moves recently failed locations last for uploads and reads, and forgives them after the cool-down', () => {
    let now = 0;
    const health = new LocationHealth(1000, () => now);
    const set = new LocationSet([loc(1, 'us'), loc(2, 'eu')], ['us', 'eu'], health);
    health.markFailed(1);
    assert.deepEqual(set.uploadTargets().map((l) => l.name), ['eu', 'us']);
    assert.deepEqual(set.nearestFirst([1, 2]).map((l) => l.name), ['eu', 'us']);
    assert.deepEqual(set.nearestFirst([1]).map((l) => l.name), ['us'], 'a failed holder is still a last resort');
    now = 1001;
    assert.deepEqual(set.uploadTargets().map((l) => l.name), ['us', 'eu']);
  });
});
