import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExpiringMap } from './expiring-map.js';

describe('ExpiringMap', () => {
  it('misses from the expiry on, and never stores what has expired', () => {
    let now = 100;
    const map = new ExpiringMap<string>({ maxEntries: 10, now: () => now });
    map.set('t', 'verified', 150);
    map.set('old', 'verified', 100);
    assert.equal(map.get('t'), 'verified');
    assert.equal(map.get('old'), undefined);
    now = 149;
    assert.equal(map.get('t'), 'verified');
    now = 150;
    assert.equal(map.get('t'), undefined);
    assert.equal(map.size, 0);
  });

  it('when full, sweeps expired entries, then drops the oldest', () => {
    let now = 0;
    const map = new ExpiringMap<number>({ maxEntries: 2, now: () => now });
    map.set('a', 1, 10);
    map.set('b', 2, 100);
    now = 20;
    map.set('c', 3, 100);
    assert.deepEqual([map.get('a'), map.get('b'), map.get('c')], [undefined, 2, 3]);
    map.set('d', 4, 100);
    assert.deepEqual([map.get('b'), map.get('c'), map.get('d')], [undefined, 3, 4]);
  });
});
